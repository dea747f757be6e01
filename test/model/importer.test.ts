/**
 * The tfjs importer on the cpu backend: the reference models through onnx-test on both executors,
 * logits detection, unsupported-op errors, BatchNorm train mode and its running-statistics update,
 * and the conv/maxpool kernel checks.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/model/backend.ts';
import { importModel, listUnsupportedOps } from '../../src/model/importer.ts';
import { findLogits } from '../../src/model/logits.ts';
import { loadModel } from '../../src/model/onnx-io.ts';
import { tinyModel } from './importer-tiny-model.ts';
import { expandTestDirs, runTestCase } from '../../src/model/onnx-test-runner.ts';
import { UnsupportedOpError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';
import { registerKernelTests } from './importer-kernels-shared.ts';
import { MODELS, REF } from './importer-grad-shared.ts';

before(async () => {
  await selectBackend('cpu');
});

test('reference models pass onnx-test on onnxruntime and tfjs(cpu), both data sets', async (t) => {
  const dirs = expandTestDirs([REF]);
  assert.equal(dirs.length, 3);
  for (const d of dirs) {
    const res = await runTestCase(d, ['ort', 'tfjs'], 1e-3, 1e-5);
    assert.equal(res.length, 4, d);
    for (const r of res) {
      t.diagnostic(`${r.test} ${r.set} ${r.executor}: ${r.error ?? r.outputs.map((o) => `max_abs ${o.maxAbs.toExponential(2)}`).join(' ')}`);
      assert.ok(r.pass, `${r.test} ${r.set} ${r.executor}: ${r.error ?? JSON.stringify(r.outputs)}`);
      for (const o of r.outputs) assert.ok(o.maxAbs <= 1e-5);
    }
  }
});

test('logits: input of the terminal Softmax/LogSoftmax, the graph output otherwise, --logits overrides', () => {
  const want: Record<string, string> = { mlp_spliced_op13: '/out/Gemm_output_0', cnn2d_kws_op13_nofold: '/out/Gemm_output_0', tdnn1d_op13: 'y' };
  for (const m of MODELS) {
    const model = loadModel(`${REF}/${m}/model.onnx`);
    const l = findLogits(model);
    assert.equal(l.name, want[m]);
    assert.match(l.reason, m === 'tdnn1d_op13' ? /not produced by Softmax/ : /input of terminal (Log)?Softmax node/);
    assert.equal(findLogits(model, '/Concat_output_0').name, '/Concat_output_0');
  }
  assert.throws(() => findLogits(loadModel(`${REF}/tdnn1d_op13/model.onnx`), 'nope'), /--logits nope/);
  // Softmax behind an Identity
  const m = tinyModel(
    [
      { op: 'Relu', name: 'r', inputs: ['x'], outputs: ['a'] },
      { op: 'Softmax', name: 'sm', inputs: ['a'], outputs: ['p'] },
      { op: 'Identity', name: 'id', inputs: ['p'], outputs: ['y'] },
    ],
    {},
    { name: 'x', dims: [2, 3] },
    ['y'],
  );
  const l = findLogits(m);
  assert.equal(l.name, 'a');
  assert.match(l.reason, /Softmax node 'sm'.*via Identity node 'id'/);
});

test('an unsupported op is named with op type, node name and position', () => {
  const m = tinyModel(
    [
      { op: 'Relu', name: 'first', inputs: ['x'], outputs: ['a'] },
      { op: 'FancyWarp', name: 'warp_1', inputs: ['a'], outputs: ['y'] },
    ],
    {},
    { name: 'x', dims: [2, 3] },
    ['y'],
  );
  assert.deepEqual(listUnsupportedOps(m), [{ opType: 'FancyWarp', name: 'warp_1', index: 1, domain: '' }]);
  assert.throws(
    () => importModel(m),
    (e: unknown) => e instanceof UnsupportedOpError && /node #1 'warp_1' \(FancyWarp\)/.test(e.message) && /FancyWarp/.test(e.message),
  );
});

test('BatchNormalization: eval uses running stats; train uses batch stats and updates them with the momentum (unbiased var)', () => {
  const C = 3;
  const rng = new Rng(5);
  const scale = [1.5, 0.5, 2];
  const bias = [0.1, -0.2, 0.3];
  const rm = [0.2, -0.1, 0.05];
  const rv = [1.2, 0.8, 2.5];
  const momentum = 0.9;
  const eps = 1e-5;
  const m = tinyModel(
    [{ op: 'BatchNormalization', name: 'bn', inputs: ['x', 's', 'b', 'rm', 'rv'], outputs: ['y'], attrs: { epsilon: eps, momentum } }],
    { s: { dims: [C], data: scale }, b: { dims: [C], data: bias }, rm: { dims: [C], data: rm }, rv: { dims: [C], data: rv } },
    { name: 'x', dims: [4, C, 5] },
    ['y'],
  );
  const model = importModel(m, { trainable: 'bn' });
  assert.deepEqual(model.trainableVariables().length, 2);
  assert.equal(model.variables.get('rm')!.trainable, false);
  const B = 4;
  const T = 5;
  const xs = Array.from({ length: B * C * T }, () => rng.normal() * 2 + 1);
  const x = tf.tensor(xs, [B, C, T]);
  const at = (b: number, c: number, t: number) => xs[(b * C + c) * T + t]!;
  // eval
  const ye = model.run(x, ['y'])[0]!.arraySync() as number[][][];
  for (let c = 0; c < C; c++) {
    const want = ((at(1, c, 2) - rm[c]!) / Math.sqrt(rv[c]! + eps)) * scale[c]! + bias[c]!;
    assert.ok(Math.abs(ye[1]![c]![2]! - want) < 1e-5);
  }
  // train, with update
  const yt = model.run(x, ['y'], { training: true, updateStats: true })[0]!.arraySync() as number[][][];
  const newMean = model.variables.get('rm')!.dataSync();
  const newVar = model.variables.get('rv')!.dataSync();
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) s += at(b, c, t);
    const mean = s / (B * T);
    let ss = 0;
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) ss += (at(b, c, t) - mean) ** 2;
    const varB = ss / (B * T);
    const varU = ss / (B * T - 1);
    const want = ((at(3, c, 4) - mean) / Math.sqrt(varB + eps)) * scale[c]! + bias[c]!;
    assert.ok(Math.abs(yt[3]![c]![4]! - want) < 1e-4, `train output c=${c}`);
    assert.ok(Math.abs(newMean[c]! - (rm[c]! * momentum + mean * (1 - momentum))) < 1e-5, `running mean c=${c}`);
    assert.ok(Math.abs(newVar[c]! - (rv[c]! * momentum + varU * (1 - momentum))) < 1e-5, `running var c=${c}`);
  }
  // train without updateStats leaves them alone
  const before = Array.from(model.variables.get('rm')!.dataSync());
  model.run(x, ['y'], { training: true })[0]!.dispose();
  assert.deepEqual(Array.from(model.variables.get('rm')!.dataSync()), before);
  // getWeights carries the updated running stats
  assert.deepEqual(Array.from(model.getWeights().get('rm')!), before);
  model.dispose();
  x.dispose();
});

test('no tensors leak from run/logits', () => {
  const model = importModel(loadModel(`${REF}/mlp_spliced_op13/model.onnx`));
  const x = tf.randomNormal([3, 11, 13]);
  const n0 = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) model.logits(x).dispose();
  assert.equal(tf.memory().numTensors, n0);
  x.dispose();
  model.dispose();
});

for (const op of ['LSTM', 'GRU', 'RNN'] as const) {
  test(`${op} (bidirectional, bias): input and weight gradients match central differences`, () => {
    const rng = new Rng(17);
    const H = 4;
    const I = 3;
    const G = op === 'LSTM' ? 4 : op === 'GRU' ? 3 : 1;
    const r = (n: number) => Array.from({ length: n }, () => 0.5 * rng.normal());
    const m = tinyModel(
      [{ op, name: 'rec', inputs: ['x', 'W', 'R', 'B'], outputs: ['Y', 'Y_h'], attrs: { hidden_size: H, direction: 'bidirectional' } }],
      { W: { dims: [2, G * H, I], data: r(2 * G * H * I) }, R: { dims: [2, G * H, H], data: r(2 * G * H * H) }, B: { dims: [2, 2 * G * H], data: r(4 * G * H) } },
      { name: 'x', dims: [5, 2, I] },
      ['Y', 'Y_h'],
    );
    const model = importModel(m);
    const x = tf.tensor(r(30), [5, 2, I]);
    const Rw = tf.tensor(r(5 * 2 * 2 * H), [5, 2, 2, H]);
    const loss = () => tf.sum(tf.mul(model.run(x, ['Y'])[0]!, Rw)) as tf.Scalar;
    const W = model.variables.get('W')!;
    const { grads } = tf.variableGrads(loss);
    const gx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(model.run(xx, ['Y'])[0]!, Rw)))(x);
    const eps = 1e-2;
    const v = tf.tensor(r(30), x.shape);
    const fdx = (tf.sum(tf.mul(model.run(tf.add(x, tf.mul(v, eps)), ['Y'])[0]!, Rw)).dataSync()[0]! - tf.sum(tf.mul(model.run(tf.sub(x, tf.mul(v, eps)), ['Y'])[0]!, Rw)).dataSync()[0]!) / (2 * eps);
    const anx = tf.sum(tf.mul(gx, v)).dataSync()[0]!;
    assert.ok(Math.abs(anx - fdx) / Math.abs(anx) < 1e-2, `input: ${anx} vs ${fdx}`);
    const dW = tf.tensor(r(W.size), W.shape);
    const w0 = W.clone();
    W.assign(tf.add(w0, tf.mul(dW, eps)));
    const lp = loss().dataSync()[0]!;
    W.assign(tf.sub(w0, tf.mul(dW, eps)));
    const lm = loss().dataSync()[0]!;
    W.assign(w0);
    const anw = tf.sum(tf.mul(grads[W.name]!, dW)).dataSync()[0]!;
    const fdw = (lp - lm) / (2 * eps);
    assert.ok(Math.abs(anw - fdw) / Math.abs(anw) < 1e-2, `W: ${anw} vs ${fdw}`);
    model.dispose();
  });
}

registerKernelTests('cpu');
