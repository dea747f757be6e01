/**
 * If on the tfjs importer: a condition computed from shapes (Shape → Gather → GreaterOrEqual, as
 * exported keyword-spotting graphs have) picks its branch without reading a tensor; branches read
 * tensors of the enclosing graph and have their own initializers; gradients flow through the
 * chosen branch; a data-dependent condition is read back; a Loop inside a branch is reported.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/model/backend.ts';
import { importModel, listUnsupportedOps } from '../../src/model/importer.ts';
import { floatTensor, int64Tensor, onnx, type AttributeProto, type ModelProto, type NodeProto } from '../../src/model/onnx-io.ts';
import { UnsupportedOpError } from '../../src/util/errors.ts';

before(async () => {
  await selectBackend('cpu');
});

const node = (op: string, inputs: string[], outputs: string[], attribute: AttributeProto[] = []) => onnx.NodeProto.create({ opType: op, name: outputs[0], input: inputs, output: outputs, attribute });
const vi = (name: string, dims: (number | string)[], elemType = 1) =>
  onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } });

/**
 * y = If(x.shape[1] >= threshold) then 2·relu(x)·w_then (w_then a branch initializer) else −x·w
 * (w an outer initializer read by the branch without being an input of the If node).
 */
function ifModel(threshold: number, branchBody?: NodeProto[], condInput = false): ModelProto {
  const thenBranch = onnx.GraphProto.create({
    name: 'then',
    node: branchBody ?? [node('Relu', ['x'], ['r']), node('Mul', ['r', 'w_then'], ['y_then'])],
    initializer: [floatTensor('w_then', [], [2])],
    output: [vi(branchBody ? 'z' : 'y_then', ['B', 4])],
  });
  const elseBranch = onnx.GraphProto.create({ name: 'else', node: [node('Neg', ['x'], ['nx']), node('Mul', ['nx', 'w'], ['y_else'])], output: [vi('y_else', ['B', 4])] });
  return onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'g',
      node: [
        node('Shape', ['x'], ['shape']),
        node('Gather', ['shape', 'one'], ['width'], [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }]),
        node('GreaterOrEqual', ['width', 'threshold'], ['wide']),
        node('If', [condInput ? 'c' : 'wide'], ['y'], [
          { name: 'then_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: thenBranch },
          { name: 'else_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: elseBranch },
        ]),
      ],
      initializer: [int64Tensor('one', [], [1]), int64Tensor('threshold', [], [threshold]), floatTensor('w', [4], [1, 2, 3, 4])],
      input: condInput ? [vi('x', ['B', 4]), vi('c', [], 9)] : [vi('x', ['B', 4])],
      output: [vi('y', ['B', 4])],
    },
  });
}

const X = [-1, 2, -3, 4, 5, -6, 7, -8];

test('If on a condition from shapes: the branch it picks, outer tensors and branch initializers visible, gradients through the branch', () => {
  const wide = importModel(ifModel(4));
  const narrow = importModel(ifModel(5));
  const x = tf.tensor2d(X, [2, 4]);
  const [a] = wide.run(x, ['y']);
  assert.deepEqual(Array.from(a.dataSync()), X.map((v) => 2 * Math.max(0, v)));
  const [b] = narrow.run(x, ['y']);
  assert.deepEqual(Array.from(b.dataSync()), X.map((v, i) => -v * [1, 2, 3, 4][i % 4]));
  // ∂ sum(y)/∂x: 2·[x > 0] through the then branch, −w through the else branch
  const ga = tf.grad((t: tf.Tensor) => tf.sum(wide.run(t, ['y'])[0]))(x);
  assert.deepEqual(Array.from(ga.dataSync()), X.map((v) => (v > 0 ? 2 : 0)));
  const gb = tf.grad((t: tf.Tensor) => tf.sum(narrow.run(t, ['y'])[0]))(x);
  assert.deepEqual(Array.from(gb.dataSync()), X.map((_, i) => -[1, 2, 3, 4][i % 4]));
  // the outer initializer 'w' is trainable and gets its gradient through the else branch
  const w = narrow.variables.get('w')!;
  const gw = Object.values(tf.variableGrads(() => tf.sum(narrow.run(x, ['y'])[0]) as tf.Scalar, [w]).grads)[0];
  assert.deepEqual(Array.from(gw.dataSync()), [-(-1 + 5), -(2 - 6), -(-3 + 7), -(4 - 8)]);
  for (const t of [x, a, b, ga, gb, gw]) t.dispose();
  wide.dispose();
  narrow.dispose();
});

test('If on a data-dependent condition reads it back; a Loop inside a branch is an unsupported node', () => {
  // the condition is a graph input: a bool tensor, read back when the If runs
  const g = importModel(ifModel(4, undefined, true));
  const x = tf.tensor2d(X, [2, 4]);
  for (const [cond, want] of [[true, X.map((v) => 2 * Math.max(0, v))], [false, X.map((v, i) => -v * [1, 2, 3, 4][i % 4])]] as const) {
    const [y] = g.runFeeds(new Map<string, tf.Tensor>([['x', x], ['c', tf.scalar(cond, 'bool')]]), ['y']);
    assert.deepEqual(Array.from(y.dataSync()), want);
    y.dispose();
  }
  x.dispose();
  g.dispose();
  const withLoop = ifModel(4, [node('Loop', ['', ''], ['z'])]);
  assert.deepEqual(listUnsupportedOps(withLoop).map((r) => [r.opType, r.index]), [['Loop', 3]]);
  assert.throws(() => importModel(withLoop), (e: unknown) => e instanceof UnsupportedOpError && /Loop/.test((e as Error).message));
});
