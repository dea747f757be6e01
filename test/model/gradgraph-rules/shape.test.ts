/**
 * Finite-difference checks of the shape and data-movement rules (rules/shape.ts): identity-like ops,
 * reshapes, Expand, Transpose, Concat, Split, Pad, Slice (static and dynamic axes), and Gather
 * (index path only: its data input has no rule).
 */
import assert from 'node:assert/strict';
import { opTest, checkGrad, node, randTensor, Rng, f32, i64 } from './helpers.ts';
import { VjpOrt } from '../../../src/model/vjp-ort.ts';
import { UnsupportedOpError } from '../../../src/util/errors.ts';
import { tinyModel } from '../grad-graph-helpers.ts';

const X = [2, 3, 4];
/** Dynamic time axis (summed out before the logits). */
const DYN = { xDims: [2, 3, 'T'], shape: [2, 3, 5], sumAxis: 2 };
const INF = 2 ** 62;

/** y = op(x) ⊙ Tanh(op(x)) so that a wrong pass-through (scale, layout) shows. */
function through(op: string, ins: string[], attrs = {}, inits: ReturnType<typeof i64>[] = [], extra = {}): Promise<unknown> {
  const nodes = [node(op, ['x', ...ins], ['o'], attrs), node('Tanh', ['o'], ['t']), node('Mul', ['o', 't'], ['y'])];
  return checkGrad({ nodes, inits, xDims: X, out: 'y', ...extra });
}

opTest('Identity', 'pass-through', () => through('Identity', []).then(() => undefined));
opTest('Dropout', 'inference (no training_mode), opset 13', () => through('Dropout', []).then(() => undefined));
opTest('Dropout', 'inference with ratio input', () => through('Dropout', ['ratio'], {}, [f32('ratio', [], [0.3])], { trainable: [] }).then(() => undefined));
opTest('Cast', 'float → float', () => through('Cast', [], { to: { i: 1 } }).then(() => undefined));
opTest('Flatten', 'axis 1', () => through('Flatten', [], { axis: { i: 1 } }).then(() => undefined));
opTest('Flatten', 'axis 2 ([6, 4])', () => through('Flatten', [], { axis: { i: 2 } }, [], { logitsShape: [2, -1] }).then(() => undefined));
opTest('Reshape', '[4, 6] (rows regrouped)', () => through('Reshape', ['s'], {}, [i64('s', [2], [4, 6])], { logitsShape: [2, -1] }).then(() => undefined));
opTest('Reshape', '[0, -1, 2], dynamic last axis', async () => {
  const nodes = [node('Reshape', ['x', 's'], ['o']), node('Tanh', ['o'], ['t']), node('Mul', ['o', 't'], ['y'])];
  await checkGrad({ nodes, inits: [i64('s', [3], [0, -1, 2])], xDims: ['N', 3, 'T'], shape: [2, 3, 4], sumAxis: 1, out: 'y', opts: { probeShapes: [[2, 3, 64], [3, 3, 70]] } });
});
opTest('Squeeze', 'axes input [2] on [2, 3, 1, 4]', async () => {
  const nodes = [node('Squeeze', ['x', 'a'], ['o']), node('Tanh', ['o'], ['t']), node('Mul', ['o', 't'], ['y'])];
  await checkGrad({ nodes, inits: [i64('a', [1], [2])], xDims: [2, 3, 1, 4], out: 'y' });
});
opTest('Squeeze', 'no axes (all 1-axes) on [2, 1, 3, 1]', async () => {
  const nodes = [node('Squeeze', ['x'], ['o']), node('Tanh', ['o'], ['t']), node('Mul', ['o', 't'], ['y'])];
  await checkGrad({ nodes, xDims: [2, 1, 3, 1], out: 'y' });
});
opTest('Unsqueeze', 'axes input [1, -1]', () => through('Unsqueeze', ['a'], {}, [i64('a', [2], [1, -1])]).then(() => undefined));

opTest('Expand', 'x[2, 3, 1] → [2, 3, 4] (summed back over the expanded axis)', async () => {
  const nodes = [node('Expand', ['x', 's'], ['o']), node('Mul', ['o', 'w'], ['y'])];
  await checkGrad({ nodes, inits: [i64('s', [3], [2, 3, 4]), randTensor(new Rng(1), 'w', [4])], xDims: [2, 3, 1], out: 'y', trainable: [] });
});
opTest('Expand', 'weight w[3, 1] → [1, 3, 4] (rank grows, added to x), and x[2, 4] → [3, 2, 4]', async () => {
  const nodes = [node('Expand', ['w', 's'], ['we']), node('Add', ['x', 'we'], ['o']), node('Tanh', ['o'], ['y'])];
  await checkGrad({ nodes, inits: [i64('s', [3], [1, 3, 4]), randTensor(new Rng(2), 'w', [3, 1])], xDims: X, out: 'y', expectGrads: ['w'] });
  const n2 = [node('Expand', ['x', 's2'], ['o']), node('Tanh', ['o'], ['t']), node('Mul', ['o', 't'], ['y'])];
  await checkGrad({ nodes: n2, inits: [i64('s2', [3], [3, 2, 4])], xDims: [2, 4], out: 'y', logitsShape: [2, -1] });
});

opTest('Transpose', 'perm [2, 0, 1]', () => through('Transpose', [], { perm: { ints: [2, 0, 1] } }, [], { logitsShape: [2, -1] }).then(() => undefined));
opTest('Transpose', 'default perm (reversed axes)', () => through('Transpose', [], {}, [], { logitsShape: [2, -1] }).then(() => undefined));

opTest('Concat', 'axis 1: x, weight, Constant (not differentiable), Tanh(x)', async () => {
  const nodes = [
    node('Constant', [], ['k'], { value: { t: f32('kv', [2, 1, 4], [1, 2, 3, 4, 5, 6, 7, 8]) } }),
    node('Tanh', ['x'], ['t']),
    node('Concat', ['x', 'w', 'k', 't'], ['o'], { axis: { i: 1 } }),
    node('Mul', ['o', 'o'], ['y']),
  ];
  await checkGrad({ nodes, inits: [randTensor(new Rng(3), 'w', [2, 2, 4])], xDims: X, out: 'y', expectGrads: ['w'] });
});
opTest('Concat', 'axis -1 on a dynamic axis (split sizes from Shape)', async () => {
  const nodes = [node('Tanh', ['x'], ['t']), node('Concat', ['t', 'x', 'w'], ['o'], { axis: { i: -1 } }), node('Mul', ['o', 'o'], ['y'])];
  await checkGrad({ nodes, inits: [randTensor(new Rng(4), 'w', [2, 3, 2])], ...DYN, out: 'y', expectGrads: ['w'] });
});

opTest('Split', 'split input [2, 4] on axis 1, outputs used differently', async () => {
  const nodes = [node('Split', ['x', 's'], ['a', 'b'], { axis: { i: 1 } }), node('Exp', ['a'], ['ea']), node('Concat', ['b', 'ea'], ['y'], { axis: { i: 1 } })];
  await checkGrad({ nodes, inits: [i64('s', [2], [2, 4])], xDims: [2, 6, 3], out: 'y' });
});
opTest('Split', 'equal parts on axis -1, one output unused (zeros for its gradient)', async () => {
  const nodes = [node('Split', ['x'], ['a', 'b', 'c'], { axis: { i: -1 } }), node('Mul', ['a', 'c'], ['y'])];
  await checkGrad({ nodes, xDims: [2, 3, 6], out: 'y' });
});

opTest('Pad', 'constant pads at both ends, some zero (open-ended slice back)', async () => {
  const nodes = [node('Pad', ['x', 'p'], ['o'], { mode: { s: 'constant' } }), node('Tanh', ['o'], ['t']), node('Mul', ['o', 't'], ['y'])];
  await checkGrad({ nodes, inits: [i64('p', [6], [0, 1, 0, 0, 2, 3])], xDims: X, out: 'y' });
});
opTest('Pad', 'constant value input, dynamic axis padded at the start only', async () => {
  const nodes = [node('Pad', ['x', 'p', 'v'], ['o']), node('Tanh', ['o'], ['t']), node('Mul', ['o', 't'], ['y'])];
  await checkGrad({ nodes, inits: [i64('p', [6], [0, 0, 2, 0, 1, 0]), f32('v', [], [0.5])], ...DYN, out: 'y', trainable: [] });
});

function slice(inits: ReturnType<typeof i64>[], ins: string[], dims: object = { xDims: X }): Promise<unknown> {
  const nodes = [node('Slice', ['x', ...ins], ['o']), node('Tanh', ['o'], ['t']), node('Mul', ['o', 't'], ['y'])];
  return checkGrad({ nodes, inits, out: 'y', ...(dims as { xDims: number[] }) });
}
opTest('Slice', 'axes [1, 2], positive starts/ends', () => slice([i64('s', [2], [1, 1]), i64('e', [2], [3, 3]), i64('a', [2], [1, 2])], ['s', 'e', 'a']).then(() => undefined));
opTest('Slice', 'no axes input, negative starts and ends', () => slice([i64('s', [3], [0, -2, -3]), i64('e', [3], [2, 3, -1])], ['s', 'e']).then(() => undefined));
opTest('Slice', 'ends past the end (clamped), negative axis, steps 1', () =>
  slice([i64('s', [1], [1]), i64('e', [1], [100]), i64('a', [1], [-1]), i64('st', [1], [1])], ['s', 'e', 'a', 'st']).then(() => undefined),
);
opTest('Slice', 'dynamic axis [2:]', () => slice([i64('s', [1], [2]), i64('e', [1], [INF]), i64('a', [1], [2])], ['s', 'e', 'a'], DYN).then(() => undefined));

opTest('Gather', 'on the index path (Shape → Gather → Cast scales x); no gradient through Gather', async () => {
  const nodes = [
    node('Shape', ['x'], ['sh']),
    node('Gather', ['sh', 'i'], ['d'], { axis: { i: 0 } }),
    node('Cast', ['d'], ['df'], { to: { i: 1 } }),
    node('Mul', ['x', 'df'], ['o']),
    node('Tanh', ['o'], ['y']),
  ];
  await checkGrad({ nodes, inits: [i64('i', [], [2])], ...DYN, out: 'y' });
});
opTest('Gather', 'on the differentiable path: UnsupportedOpError (data input has no gradient rule)', async () => {
  const m = tinyModel([node('Gather', ['x', 'i'], ['o'], { axis: { i: 1 } }), node('Reshape', ['o', 's'], ['logits'])], [i64('i', [2], [0, 2]), i64('s', [2], [0, -1])], X, 'logits');
  await assert.rejects(VjpOrt.create(m, { logitsName: 'logits', trainable: 'all', bnMode: 'eval', wantInputGrad: true, executionProviders: ['cpu'] }), UnsupportedOpError);
});
