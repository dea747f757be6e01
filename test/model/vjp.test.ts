/**
 * VJP graph: parameter gradients against central finite differences (float64 accumulation) on
 * tiny graphs that exercise every weight rule (grouped/strided/dilated/padded Conv 1-D and 2-D with
 * bias, Gemm with transA/transB/alpha/beta, MatMul, broadcast Add/Mul weights, BatchNorm in both
 * modes), the BatchNorm batch-statistics outputs, trainable subsets, and grad_x against the
 * energy-gradient graph.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VjpOrt, crossEntropyLoss, softmaxHeadEnergy } from '../../src/model/vjp-ort.ts';
import { OrtRunner } from '../../src/model/ort-runner.ts';
import { EnergyGradOrt } from '../../src/model/energy-grad-ort.ts';
import { floatTensor, tensorToArray, type ModelProto } from '../../src/model/onnx-io.ts';
import { kwsCnn, defaultFrontEnd, DEFAULT_KWS_LABELS } from '../../src/model/builders/index.ts';
import { Rng } from '../../src/util/rng.ts';
import { node, tinyModel, randTensor } from './grad-graph-helpers.ts';
import { fdCheck } from './vjp-helpers.ts';

const CPU = { executionProviders: ['cpu'], threads: 1 };

/** Conv2d grouped/strided/dilated/asymmetric pads + bias, Mul/Add weights, BatchNorm, Relu, GAP, Gemm(alpha, beta, transB). */
function convModel(rng: Rng): ModelProto {
  return tinyModel(
    [
      node('Conv', ['x', 'w1', 'b1'], ['c1'], { group: { i: 2 }, strides: { ints: [2, 1] }, dilations: { ints: [1, 2] }, pads: { ints: [1, 0, 0, 1] }, kernel_shape: { ints: [3, 2] } }),
      node('Mul', ['c1', 'm1'], ['c2']),
      node('Add', ['c2', 'a1'], ['c3']),
      node('BatchNormalization', ['c3', 'bs', 'bb', 'bm', 'bv'], ['c4'], { epsilon: { f: 1e-3 }, momentum: { f: 0.8 } }),
      node('Tanh', ['c4'], ['c5']),
      node('Conv', ['c5', 'w2'], ['c6'], { pads: { ints: [1, 1, 1, 1] } }),
      node('GlobalAveragePool', ['c6'], ['p']),
      node('Flatten', ['p'], ['f'], { axis: { i: 1 } }),
      node('Gemm', ['f', 'g1', 'gc'], ['logits'], { transB: { i: 1 }, alpha: { f: 0.7 }, beta: { f: 1.3 } }),
    ],
    [
      randTensor(rng, 'w1', [6, 2, 3, 2], 0.4),
      randTensor(rng, 'b1', [6], 0.3),
      randTensor(rng, 'm1', [6, 1, 1], 0.5, 1),
      randTensor(rng, 'a1', [1, 6, 1, 1], 0.3),
      randTensor(rng, 'bs', [6], 0.2, 1),
      randTensor(rng, 'bb', [6], 0.2),
      randTensor(rng, 'bm', [6], 0.2),
      floatTensor('bv', [6], new Float32Array(6).fill(1.5)),
      randTensor(rng, 'w2', [5, 6, 3, 3], 0.3),
      randTensor(rng, 'g1', [4, 5], 0.5),
      randTensor(rng, 'gc', [4], 0.5),
    ],
    ['N', 4, 9, 8],
    'logits',
  );
}

/** Conv1d strided/dilated with bias, Transpose, MatMul weight, ReduceMean, Gemm with transA on an activation. */
function conv1dModel(rng: Rng): ModelProto {
  return tinyModel(
    [
      node('Conv', ['x', 'w1', 'b1'], ['c1'], { strides: { ints: [2] }, dilations: { ints: [2] }, pads: { ints: [2, 1] } }),
      node('Sigmoid', ['c1'], ['c2']),
      node('Transpose', ['c2'], ['t'], { perm: { ints: [0, 2, 1] } }),
      node('MatMul', ['t', 'mm'], ['h']),
      node('ReduceMean', ['h'], ['r'], { axes: { ints: [1] }, keepdims: { i: 0 } }),
      node('Transpose', ['r'], ['rt'], { perm: { ints: [1, 0] } }),
      node('Gemm', ['rt', 'g1'], ['logits'], { transA: { i: 1 } }),
    ],
    [randTensor(rng, 'w1', [4, 3, 3], 0.5), randTensor(rng, 'b1', [4], 0.3), randTensor(rng, 'mm', [4, 5], 0.5), randTensor(rng, 'g1', [5, 3], 0.5)],
    ['N', 3, 'T'],
    'logits',
  );
}

for (const bnMode of ['eval', 'train'] as const) {
  test(`conv2d graph (groups, strides, dilations, pads, bias, Mul/Add weights, BN), ${bnMode}: weight gradients match finite differences`, async () => {
    const rng = new Rng(5);
    const m = convModel(rng);
    const v = await VjpOrt.create(m, { logitsName: 'logits', trainable: 'all', bnMode, ...CPU });
    assert.deepEqual((await v.trainableNames()).sort(), ['a1', 'b1', 'bb', 'bs', 'g1', 'gc', 'm1', 'w1', 'w2']);
    const B = 3;
    const x = rng.fillNormal(new Float32Array(B * 4 * 9 * 8));
    const rel = await fdCheck(v, x, B, bnMode, 1);
    console.log(`conv2d ${bnMode}: worst directional rel ${rel.toExponential(2)}`);
    assert.ok(rel <= 1e-2, `rel ${rel}`);
    await v.dispose();
  });
}

test('conv1d graph (strided, dilated, MatMul weight, Gemm transA): weight gradients match finite differences, dynamic time axis', async () => {
  const rng = new Rng(6);
  const m = conv1dModel(rng);
  const v = await VjpOrt.create(m, { logitsName: 'logits', trainable: 'all', bnMode: 'eval', wantInputGrad: true, ...CPU });
  for (const T of [13, 20]) {
    const B = 2;
    const x = rng.fillNormal(new Float32Array(B * 3 * T));
    const rel = await fdCheck(v, x, B, 'eval', T, 3, 1e-3);
    console.log(`conv1d T=${T}: worst directional rel ${rel.toExponential(2)}`);
    assert.ok(rel <= 1e-2, `rel ${rel}`);
    // (uses the per-call exampleShape for the dynamic axis)
    void (await v.forward(x, B, { exampleShape: [3, T] }));
  }
  await v.dispose();
});

test('BatchNorm train mode: batch statistics outputs equal the formula (biased for normalising, unbiased output)', async () => {
  const rng = new Rng(8);
  const C = 3;
  const m = tinyModel(
    [
      node('BatchNormalization', ['x', 's', 'b', 'mu', 'var'], ['y'], { momentum: { f: 0.7 } }),
      node('GlobalAveragePool', ['y'], ['p']),
      node('Flatten', ['p'], ['f']),
      node('Gemm', ['f', 'w'], ['logits']),
    ],
    [randTensor(rng, 's', [C], 0.1, 1), randTensor(rng, 'b', [C], 0.1), floatTensor('mu', [C], new Float32Array(C)), floatTensor('var', [C], new Float32Array(C).fill(1)), randTensor(rng, 'w', [C, 4])],
    ['N', C, 5, 7],
    'logits',
  );
  const v = await VjpOrt.create(m, { logitsName: 'logits', trainable: 'bn', bnMode: 'train', ...CPU });
  assert.deepEqual((await v.trainableNames()).sort(), ['b', 's']);
  const B = 4;
  const x = rng.fillNormal(new Float32Array(B * C * 35)).map((z, i) => 2 * z + (Math.floor(i / 35) % C));
  const r = await v.vjp(x, B, rng.fillNormal(new Float32Array(B * 4)));
  const st = [...r.bnStats!.values()][0];
  assert.ok(Math.abs(st.momentum - 0.7) < 1e-6);
  assert.equal(st.meanName, 'mu');
  assert.equal(st.varName, 'var');
  const n = B * 35;
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let b = 0; b < B; b++) for (let i = 0; i < 35; i++) s += x[(b * C + c) * 35 + i];
    const mean = s / n;
    let q = 0;
    for (let b = 0; b < B; b++) for (let i = 0; i < 35; i++) q += (x[(b * C + c) * 35 + i] - mean) ** 2;
    assert.ok(Math.abs(st.mean[c] - mean) <= 1e-5 * (1 + Math.abs(mean)), `mean ${st.mean[c]} vs ${mean}`);
    assert.ok(Math.abs(st.varUnbiased[c] - q / (n - 1)) <= 1e-5 * (q / (n - 1)), `var ${st.varUnbiased[c]} vs ${q / (n - 1)}`);
  }
  // Normalisation uses the biased variance: logits recomputed in float64.
  const W = tensorToArray(m.graph!.initializer!.find((t) => t.name === 'w')!).data as Float32Array;
  const sc = tensorToArray(m.graph!.initializer!.find((t) => t.name === 's')!).data as Float32Array;
  const bi = tensorToArray(m.graph!.initializer!.find((t) => t.name === 'b')!).data as Float32Array;
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < 4; k++) {
      let z = 0;
      for (let c = 0; c < C; c++) {
        const mean = st.mean[c];
        const vb = (st.varUnbiased[c] * (n - 1)) / n;
        let f = 0;
        for (let i = 0; i < 35; i++) f += ((x[(b * C + c) * 35 + i] - mean) / Math.sqrt(vb + 1e-5)) * sc[c] + bi[c];
        z += (f / 35) * W[c * 4 + k];
      }
      assert.ok(Math.abs(r.logits[b * 4 + k] - z) <= 1e-4 * (1 + Math.abs(z)), `logit ${r.logits[b * 4 + k]} vs ${z}`);
    }
  }
  const fw = await v.forwardWithStats(x, B);
  assert.equal(fw.bnStats!.size, 1);
  assert.deepEqual(Array.from(fw.logits), Array.from(r.logits));
  await v.dispose();
});

test("trainable 'bn' and name lists output only those gradients, equal to the 'all' ones", async () => {
  const m = kwsCnn({ channels: [4, 8], frontEnd: defaultFrontEnd('B1TF'), labels: DEFAULT_KWS_LABELS, seed: 2 });
  const rng = new Rng(9);
  const B = 3;
  const x = rng.fillNormal(new Float32Array(B * 98 * 40));
  const g = rng.fillNormal(new Float32Array(B * 12));
  const all = await VjpOrt.create(m, { logitsName: 'logits', trainable: 'all', bnMode: 'train', ...CPU });
  const bn = await VjpOrt.create(m, { logitsName: 'logits', trainable: 'bn', bnMode: 'train', ...CPU });
  const one = await VjpOrt.create(m, { logitsName: 'logits', trainable: ['fc1.weight'], bnMode: 'eval', ...CPU });
  const ra = await all.vjp(x, B, g);
  const rb = await bn.vjp(x, B, g);
  const names = [...rb.grads.keys()].sort();
  assert.equal(names.length, 4);
  assert.ok(names.every((n) => /^bn\d\.(weight|bias)$/.test(n) || /bn/.test(n)), names.join(','));
  for (const n of names) {
    const a = ra.grads.get(n)!;
    const b = rb.grads.get(n)!;
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-5 * (1 + Math.abs(a[i])), n);
  }
  const ro = await one.vjp(x, B, g);
  assert.deepEqual([...ro.grads.keys()], ['fc1.weight']);
  assert.equal(ro.bnStats, undefined);
  await Promise.all([all.dispose(), bn.dispose(), one.dispose()]);
});

test('grad_x with g = −softmax(logits) equals the energy gradient graph (eval mode)', async () => {
  const m = kwsCnn({ channels: [4, 8], frontEnd: defaultFrontEnd('B1TF'), labels: DEFAULT_KWS_LABELS, seed: 4 });
  const rng = new Rng(10);
  const B = 2;
  const x = rng.fillNormal(new Float32Array(B * 98 * 40));
  const v = await VjpOrt.create(m, { logitsName: 'logits', trainable: 'none', bnMode: 'eval', wantInputGrad: true, ...CPU });
  const eg = await EnergyGradOrt.create(m, { logitsName: 'logits', ...CPU });
  const logits = await v.forward(x, B);
  const g = new Float32Array(logits.length);
  for (let b = 0; b < B; b++) {
    const row = logits.subarray(b * 12, (b + 1) * 12);
    const mx = Math.max(...row);
    const s = row.reduce((a, z) => a + Math.exp(z - mx), 0);
    for (let k = 0; k < 12; k++) g[b * 12 + k] = -Math.exp(row[k] - mx) / s;
  }
  const r = await v.vjp(x, B, g);
  assert.equal(r.grads.size, 0);
  const ref = await eg.energyAndGrad(x, B);
  let d = 0;
  let s = 0;
  for (let i = 0; i < ref.grad.length; i++) {
    d += (r.gradX![i] - ref.grad[i]) ** 2;
    s += ref.grad[i] ** 2;
  }
  assert.ok(Math.sqrt(d / s) <= 1e-5, `rel ${Math.sqrt(d / s)}`);
  await Promise.all([v.dispose(), eg.dispose()]);
});


test("'softmax' head: one-run cross-entropy gradients equal forward → JS loss → vjp", async () => {
  const m = kwsCnn({ channels: [4, 8], frontEnd: defaultFrontEnd('B1TF'), labels: DEFAULT_KWS_LABELS, seed: 5 });
  const rng = new Rng(12);
  const B = 3;
  const x = rng.fillNormal(new Float32Array(B * 98 * 40));
  const labels = Int32Array.from([3, 0, 11]);
  const v = await VjpOrt.create(m, { logitsName: 'logits', trainable: 'all', bnMode: 'train', ...CPU });
  const a = await v.lossAndGrad(x, B, crossEntropyLoss(labels));
  const b = await v.crossEntropyGrad(x, B, labels);
  assert.ok(Math.abs(a.loss - b.loss) <= 1e-6 * a.loss, `${a.loss} vs ${b.loss}`);
  assert.deepEqual([...b.grads.keys()].sort(), [...a.grads.keys()].sort());
  let tot = 0;
  for (const ga of a.grads.values()) for (const z of ga) tot += z * z;
  for (const [n, ga] of a.grads) {
    const gb = b.grads.get(n)!;
    let d = 0;
    let s = 0;
    for (let i = 0; i < ga.length; i++) {
      d += (ga[i] - gb[i]) ** 2;
      s += ga[i] ** 2;
    }
    // (a conv bias before train-mode BatchNorm has a ~0 gradient: compare it against the total norm)
    assert.ok(Math.sqrt(d) <= 1e-5 * Math.sqrt(s) + 1e-6 * Math.sqrt(tot), `${n}: ${Math.sqrt(d / s)}`);
  }
  for (const [k, st] of a.bnStats!) assert.deepEqual(Array.from(b.bnStats!.get(k)!.mean), Array.from(st.mean));
  await v.dispose();
});

test('eval-mode forward of a train-mode engine equals the original model; energy head equals vjp with −w·softmax', async () => {
  const m = kwsCnn({ channels: [4, 8], frontEnd: defaultFrontEnd('B1TF'), labels: DEFAULT_KWS_LABELS, seed: 6 });
  const rng = new Rng(14);
  const B = 3;
  const x = rng.fillNormal(new Float32Array(B * 98 * 40));
  const v = await VjpOrt.create(m, { logitsName: 'logits', trainable: 'all', bnMode: 'train', ...CPU });
  const runner = await OrtRunner.create(m, { executionProviders: ['cpu'], threads: 1 });
  const ref = (await runner.run({ input: { data: x, dims: [B, 1, 98, 40] } }, ['logits'])).logits.data;
  const ev = await v.forward(x, B, { bnMode: 'eval' });
  for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(ev[i] - ref[i]) <= 1e-5 * (1 + Math.abs(ref[i])), `logit ${i}: ${ev[i]} vs ${ref[i]}`);
  const w = 0.37;
  const { coef, target } = softmaxHeadEnergy(B, 12, w);
  const a = await v.vjpSoftmax(x, B, coef, target);
  const g = new Float32Array(B * 12);
  for (let b = 0; b < B; b++) {
    const row = a.logits.subarray(b * 12, (b + 1) * 12);
    const mx = Math.max(...row);
    const s = row.reduce((acc, z) => acc + Math.exp(z - mx), 0);
    for (let k = 0; k < 12; k++) g[b * 12 + k] = (-w * Math.exp(row[k] - mx)) / s;
  }
  const b2 = await v.vjp(x, B, g);
  let tot = 0;
  for (const ga of b2.grads.values()) for (const z of ga) tot += z * z;
  for (const [n, gb] of b2.grads) {
    const ga = a.grads.get(n)!;
    let d = 0;
    for (let i = 0; i < ga.length; i++) d += (ga[i] - gb[i]) ** 2;
    assert.ok(Math.sqrt(d) <= 1e-5 * Math.sqrt(tot), `${n}: ${Math.sqrt(d / tot)}`);
  }
  await Promise.all([v.dispose(), runner.dispose()]);
});

test('InstanceNormalization and LayerNormalization (opset 17): gradients match finite differences', async () => {
  const rng = new Rng(15);
  const m = tinyModel(
    [
      node('InstanceNormalization', ['x', 's1', 'b1'], ['h1'], { epsilon: { f: 1e-3 } }),
      node('Conv', ['h1', 'w1'], ['h2']),
      node('Transpose', ['h2'], ['h3'], { perm: { ints: [0, 2, 3, 1] } }),
      node('LayerNormalization', ['h3', 's2', 'b2'], ['h4'], { axis: { i: -1 } }),
      node('Tanh', ['h4'], ['h5']),
      node('ReduceMean', ['h5'], ['h6'], { axes: { ints: [1, 2] }, keepdims: { i: 0 } }),
      node('Gemm', ['h6', 'w2'], ['logits']),
    ],
    [
      randTensor(rng, 's1', [4], 0.2, 1),
      randTensor(rng, 'b1', [4], 0.2),
      randTensor(rng, 'w1', [3, 4, 1, 1], 0.5),
      randTensor(rng, 's2', [3], 0.2, 1),
      randTensor(rng, 'b2', [3], 0.2),
      randTensor(rng, 'w2', [3, 5], 0.5),
    ],
    ['N', 4, 6, 5],
    'logits',
    17,
  );
  const v = await VjpOrt.create(m, { logitsName: 'logits', trainable: 'all', bnMode: 'train', wantInputGrad: true, ...CPU });
  assert.deepEqual((await v.trainableNames()).sort(), ['b1', 'b2', 's1', 's2', 'w1', 'w2']);
  const B = 2;
  const x = rng.fillNormal(new Float32Array(B * 120));
  const runner = await OrtRunner.create(m, { executionProviders: ['cpu'], threads: 1 });
  const ref = (await runner.run({ x: { data: x, dims: [B, 4, 6, 5] } }, ['logits'])).logits.data;
  const lg = await v.forward(x, B);
  for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(lg[i] - ref[i]) <= 1e-5 * (1 + Math.abs(ref[i])), `logit ${i}`);
  const rel = await fdCheck(v, x, B, 'train', 3);
  console.log(`norms: worst directional rel ${rel.toExponential(2)}`);
  assert.ok(rel <= 1e-2, `rel ${rel}`);
  await Promise.all([v.dispose(), runner.dispose()]);
});

test("trainable 'all' leaves rank-0 initializers (an export's epsilons) fixed, on onnxruntime and the tfjs importer", async () => {
  const { buildModel } = await import('../../src/model/builders/index.ts');
  const { importModel } = await import('../../src/model/importer.ts');
  const m = buildModel('tdnn', {}, defaultFrontEnd('BFT', { featDim: 40, numFrames: 98 }), DEFAULT_KWS_LABELS, 1);
  const scalars = (m.graph!.initializer ?? []).filter((t) => (t.dims ?? []).length === 0).map((t) => t.name ?? '');
  assert.ok(scalars.includes('stats_eps'), `${scalars}`);
  const v = await VjpOrt.create(m, { logitsName: 'logits', trainable: 'all', bnMode: 'train', exampleShape: [40, 98], ...CPU });
  const ort = await v.trainableNames();
  await v.dispose();
  assert.ok(ort.length > 4 && !ort.some((n) => scalars.includes(n)), `${ort}`);
  const im = importModel(m, { trainable: 'all' });
  const tfjs = im.trainableVariables().map((t) => t.name);
  im.dispose();
  assert.equal(tfjs.length, ort.length);
  assert.ok(!tfjs.some((n) => scalars.some((s) => n.includes(s))), `${tfjs}`);
});

test('gradFor: a VJP restricted to some weights gives their full-graph gradients (to float rounding), from a graph of its own', async () => {
  const { buildModel } = await import('../../src/model/builders/index.ts');
  const { resolveTrainable } = await import('../../src/model/vjp-graph.ts');
  const m = buildModel('kws-cnn', {}, defaultFrontEnd('B1TF', { featDim: 40, numFrames: 98 }), DEFAULT_KWS_LABELS, 1);
  const bn = resolveTrainable(m, 'bn');
  assert.ok(bn.size >= 4);
  const v = await VjpOrt.create(m, { logitsName: 'logits', trainable: 'all', bnMode: 'eval', ...CPU });
  try {
    const rng = new Rng(3);
    const B = 4;
    const x = rng.fillNormal(new Float32Array(B * 98 * 40));
    const g = rng.fillNormal(new Float32Array(B * 12));
    const full = await v.vjp(x, B, g, { bnMode: 'eval' });
    const part = await v.vjp(x, B, g, { bnMode: 'eval', gradFor: bn });
    assert.deepEqual([...part.grads.keys()].sort(), [...bn].sort());
    assert.ok(full.grads.size > bn.size);
    for (const k of bn) assert.ok(relL2(part.grads.get(k)!, full.grads.get(k)!) < 1e-6, k);
    // not bit-identical: with every weight trainable the Conv → BatchNorm pairs are folded (vjp-norm.ts), with the BatchNorm affine only they are not
    assert.ok(relL2(part.logits, full.logits) < 1e-6);
    // the softmax head too
    const coef = Float32Array.from({ length: B }, () => 0.25);
    const target = new Float32Array(B * 12);
    const sf = await v.vjpSoftmax(x, B, coef, target, { bnMode: 'eval' });
    const sp = await v.vjpSoftmax(x, B, coef, target, { bnMode: 'eval', gradFor: bn });
    assert.deepEqual([...sp.grads.keys()].sort(), [...bn].sort());
    for (const k of bn) assert.ok(relL2(sp.grads.get(k)!, sf.grads.get(k)!) < 1e-6, k);
  } finally {
    await v.dispose();
  }
});

function relL2(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return Math.sqrt(d / Math.max(n, 1e-30));
}
