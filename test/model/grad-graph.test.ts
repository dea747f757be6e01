import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnergyGradOrt } from '../../src/model/energy-grad-ort.ts';
import { buildEnergyGradGraph } from '../../src/model/grad-graph.ts';
import { OrtRunner, withExtraOutputs } from '../../src/model/ort-runner.ts';
import { floatTensor, int64Tensor, type ModelProto } from '../../src/model/onnx-io.ts';
import { UnsupportedOpError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';
import { REF_MODELS, refModel, refInput, node, tinyModel, randTensor, randn, fdCheck, scaledWeights } from './grad-graph-helpers.ts';

async function logitsOf(m: ModelProto, logits: string, x: Float32Array, dims: number[]) {
  const r = await OrtRunner.create(withExtraOutputs(m, [logits]), { executionProviders: ['cpu'] });
  const out = (await r.run({ x: { data: x, dims } }, [logits]))[logits];
  await r.dispose();
  return out;
}

function negLse(L: Float32Array, B: number, K: number): number[] {
  return Array.from({ length: B }, (_, b) => {
    let m = -Infinity;
    for (let k = 0; k < K; k++) m = Math.max(m, L[b * K + k]);
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(L[b * K + k] - m);
    return -(Math.log(s) + m);
  });
}

function cropTime(a: { data: Float32Array; dims: number[] }, T: number): { data: Float32Array; dims: number[] } {
  const [B, C, T0] = a.dims;
  const out = new Float32Array(B * C * T);
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) out.set(a.data.subarray((b * C + c) * T0, (b * C + c) * T0 + T), (b * C + c) * T);
  return { data: out, dims: [B, C, T] };
}

for (const ref of REF_MODELS) {
  test(`${ref.name}: energy = −logsumexp(onnxruntime logits), grad_x matches finite differences`, async () => {
    const m = refModel(ref.name);
    // TDNN: crop time to 24 frames; mean/std pooling over long inputs makes each element's effect
    // on E ~1/T of float32 resolution, which no finite difference can resolve.
    const { data: x, dims } = ref.name.startsWith('tdnn') ? cropTime(refInput(ref.name, 1), 24) : refInput(ref.name, 1);
    const B = dims[0];
    const eg = await EnergyGradOrt.create(m, { logitsName: ref.logits, exampleShape: dims.slice(1), executionProviders: ['cpu'] });
    const { energy, grad } = await eg.energyAndGrad(x, B);
    assert.equal(grad.length, x.length);
    const L = await logitsOf(m, ref.logits, x, dims);
    const want = negLse(L.data, B, L.dims[1]);
    for (let b = 0; b < B; b++) assert.ok(Math.abs(energy[b] - want[b]) <= 1e-5 * Math.abs(want[b]), `E[${b}] ${energy[b]} vs ${want[b]}`);
    // Untrained models: spread the logits (last layer ×30) so the gradient stands well above float32 noise.
    eg.setWeights(scaledWeights(eg.graph.weights, ref.last, 100));
    const fd = await fdCheck(eg, x, B, { eps: 3e-3, dirs: 3, elems: 6 });
    assert.ok(fd.dirRel <= 1e-2, `directional rel err ${fd.dirRel}`);
    assert.ok(fd.elemScaledErr <= 1e-2, `per-element err / max|grad| ${fd.elemScaledErr}`);
    console.log(
      `${ref.name}: |grad| ${fd.gradNorm.toExponential(3)}, FD: directions rel ${fd.dirRel.toExponential(2)}, ` +
        `elements rel ${fd.elemRel.toExponential(2)} (err/max|g| ${fd.elemScaledErr.toExponential(2)})`,
    );
    await eg.dispose();
  });
}

for (const weights of ['inputs', 'baked'] as const) {
  test(`setWeights (weights as ${weights}) gives exactly the results of a model rebuilt with those weights`, async () => {
    const ref = REF_MODELS[2];
    const m = refModel(ref.name);
    const { data: x, dims } = refInput(ref.name, 0);
    const opts = { logitsName: ref.logits, exampleShape: dims.slice(1), executionProviders: ['cpu'], weights };
    const eg = await EnergyGradOrt.create(m, opts);
    const rng = new Rng(3);
    const neww = new Map<string, Float32Array>();
    for (const [n, w] of eg.graph.weights) neww.set(n, n.includes('running_var') ? w.data.map((v) => v * 1.5) : w.data.map((v) => v + 0.05 * rng.normal()));
    const before = await eg.energyAndGrad(x, dims[0]);
    eg.setWeights(neww);
    const after = await eg.energyAndGrad(x, dims[0]);
    const m2 = refModel(ref.name);
    m2.graph!.initializer = m2.graph!.initializer!.map((t) => (neww.has(t.name!) ? floatTensor(t.name!, t.dims!.map(Number), neww.get(t.name!)!) : t));
    const eg2 = await EnergyGradOrt.create(m2, opts);
    const rebuilt = await eg2.energyAndGrad(x, dims[0]);
    assert.notDeepEqual(Array.from(after.energy), Array.from(before.energy));
    assert.deepEqual(Array.from(after.energy), Array.from(rebuilt.energy));
    assert.deepEqual(Array.from(after.grad), Array.from(rebuilt.grad));
    if (weights === 'baked') {
      // Same numbers as the weights-as-inputs graph up to float32 summation order.
      const eg3 = await EnergyGradOrt.create(m2, { ...opts, weights: 'inputs' });
      const viaInputs = await eg3.energyAndGrad(x, dims[0]);
      let gmax = 0;
      let err = 0;
      for (let i = 0; i < x.length; i++) {
        gmax = Math.max(gmax, Math.abs(viaInputs.grad[i]));
        err = Math.max(err, Math.abs(viaInputs.grad[i] - after.grad[i]));
      }
      assert.ok(err <= 1e-5 * gmax, `baked vs inputs ${err / gmax}`);
      await eg3.dispose();
    }
    await eg.dispose();
    await eg2.dispose();
  });
}

test('chunked batches give the same results as one call', async () => {
  const ref = REF_MODELS[0];
  const m = refModel(ref.name);
  const rng = new Rng(5);
  const x = randn(rng, 7 * 143);
  const a = await EnergyGradOrt.create(m, { logitsName: ref.logits, executionProviders: ['cpu'] });
  const b = await EnergyGradOrt.create(m, { logitsName: ref.logits, executionProviders: ['cpu'], maxChunk: 3 });
  const ra = await a.energyAndGrad(x, 7);
  const rb = await b.energyAndGrad(x, 7);
  for (let i = 0; i < 7; i++) assert.ok(Math.abs(ra.energy[i] - rb.energy[i]) <= 1e-6);
  for (let i = 0; i < x.length; i++) assert.ok(Math.abs(ra.grad[i] - rb.grad[i]) <= 1e-6 * (1 + Math.abs(ra.grad[i])));
  await a.dispose();
  await b.dispose();
});

test('class-conditional energy is −logits[y] and its gradient matches finite differences', async () => {
  const ref = REF_MODELS[1];
  const m = refModel(ref.name);
  const { data: x, dims } = refInput(ref.name, 0);
  const B = dims[0];
  const eg = await EnergyGradOrt.create(m, { logitsName: ref.logits, classConditional: true, executionProviders: ['cpu'] });
  const cls = Int32Array.from({ length: B }, (_, i) => (3 * i + 1) % 12);
  const { energy } = await eg.energyAndGrad(x, B, cls);
  const L = await logitsOf(m, ref.logits, x, dims);
  for (let b = 0; b < B; b++) assert.ok(Math.abs(energy[b] + L.data[b * 12 + cls[b]]) <= 1e-5 * (1 + Math.abs(energy[b])));
  const fd = await fdCheck(eg, x, B, { eps: 2e-3, cls, dirs: 2, elems: 4 });
  assert.ok(fd.dirRel <= 1e-2 && fd.elemScaledErr <= 1e-2, JSON.stringify(fd));
  await assert.rejects(eg.energyAndGrad(x, B), /needs classes/);
  await eg.dispose();
});

/** Conv(stride 2) → BatchNorm → LeakyRelu → MaxPool(3, stride 2, pad 1; overlapping) → grouped dilated
 * Conv → Tanh → AveragePool → Transpose → Pad/Slice → Concat with a Sigmoid branch → ReduceMean →
 * Pow/Sqrt/Div → Flatten → MatMul + Add → logits. */
function manyOpsModel(): ModelProto {
  const rng = new Rng(11);
  const inits = [
    randTensor(rng, 'w1', [4, 2, 3, 3], 0.4),
    randTensor(rng, 'b1', [4], 0.1),
    randTensor(rng, 'bn_s', [4], 0.2, 1),
    randTensor(rng, 'bn_b', [4], 0.1),
    randTensor(rng, 'bn_m', [4], 0.1),
    floatTensor('bn_v', [4], [0.5, 1.2, 0.8, 2.0]),
    randTensor(rng, 'w2', [6, 2, 3, 3], 0.4),
    randTensor(rng, 'wfc', [6 * 3 * 4, 5], 0.5),
    randTensor(rng, 'bfc', [5], 0.1),
    int64Tensor('pads', [8], [0, 0, 1, 0, 0, 0, 0, 1]),
    int64Tensor('st', [1], [1]),
    int64Tensor('en', [1], [3]),
    int64Tensor('ax', [1], [3]),
    floatTensor('two', [], [2]),
    floatTensor('one', [], [1]),
  ];
  const nodes = [
    node('Conv', ['x', 'w1', 'b1'], ['c1'], { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] } }),
    node('BatchNormalization', ['c1', 'bn_s', 'bn_b', 'bn_m', 'bn_v'], ['bn'], { epsilon: { f: 1e-5 } }),
    node('LeakyRelu', ['bn'], ['lr'], { alpha: { f: 0.1 } }),
    node('MaxPool', ['lr'], ['mp'], { kernel_shape: { ints: [3, 3] }, strides: { ints: [1, 1] }, pads: { ints: [1, 1, 1, 1] } }),
    node('Conv', ['mp', 'w2'], ['c2'], { kernel_shape: { ints: [3, 3] }, group: { i: 2 }, dilations: { ints: [2, 2] }, pads: { ints: [2, 2, 2, 2] } }),
    node('Tanh', ['c2'], ['t2']),
    node('AveragePool', ['t2'], ['ap'], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } }),
    node('Transpose', ['ap'], ['tr'], { perm: { ints: [0, 1, 3, 2] } }),
    node('Pad', ['tr', 'pads'], ['pd']),
    node('Slice', ['pd', 'st', 'en', 'ax'], ['sl']),
    node('Sigmoid', ['sl'], ['sg']),
    node('Concat', ['sl', 'sg'], ['cc'], { axis: { i: 3 } }),
    node('ReduceMean', ['cc'], ['rm'], { axes: { ints: [3] }, keepdims: { i: 1 } }),
    node('Sub', ['cc', 'rm'], ['cen']),
    node('Pow', ['cen', 'two'], ['sq']),
    node('Add', ['sq', 'one'], ['sq1']),
    node('Sqrt', ['sq1'], ['sd']),
    node('Div', ['cc', 'sd'], ['nrm']),
    node('Mul', ['nrm', 'cc'], ['mm']),
    node('Flatten', ['mm'], ['fl']),
    node('MatMul', ['fl', 'wfc'], ['fc']),
    node('Add', ['fc', 'bfc'], ['logits']),
    node('Softmax', ['logits'], ['prob'], { axis: { i: 1 } }),
  ];
  return tinyModel(nodes, inits, ['batch', 2, 9, 10], 'prob');
}

test('many ops (strided/grouped/dilated Conv, BatchNorm, overlapping MaxPool, Pad, Slice, Concat, ...) match finite differences', async () => {
  const m = manyOpsModel();
  const eg = await EnergyGradOrt.create(m, { logitsName: 'logits', executionProviders: ['cpu'] });
  const rng = new Rng(2);
  const B = 3;
  const x = randn(rng, B * 2 * 9 * 10);
  const fd = await fdCheck(eg, x, B, { eps: 1e-3, dirs: 3, elems: 8 });
  console.log(`many-ops model: FD rel err: directions ${fd.dirRel.toExponential(2)}, elements ${fd.elemRel.toExponential(2)}`);
  assert.ok(fd.dirRel <= 1e-2 && fd.elemScaledErr <= 1e-2, JSON.stringify(fd));
  await eg.dispose();
});

for (const variant of ['tiling, mask (ties share)', 'tiling, resize (ties share)', 'tiling, indices (first maximum)', 'ceil_mode=1, indices (first maximum)'] as const) {
  test(`MaxPool with ties, ${variant}; BatchNorm in eval mode`, async () => {
    const rng = new Rng(4);
    const inits = [
      floatTensor('s', [1], [2]),
      floatTensor('b', [1], [0.5]),
      floatTensor('mu', [1], [0.25]),
      floatTensor('var', [1], [3]),
      randTensor(rng, 'w', [3, 4], 1),
    ];
    const ceil = variant.startsWith('ceil');
    const nodes = [
      node('BatchNormalization', ['x', 's', 'b', 'mu', 'var'], ['bn']),
      node('MaxPool', ['bn'], ['mp'], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] }, ...(ceil ? { ceil_mode: { i: 1 } } : {}) }),
      node('Flatten', ['mp'], ['fl']),
      node('Gemm', ['fl', 'w'], ['logits'], { transB: { i: 1 } }),
    ];
    const m = tinyModel(nodes, inits, ['batch', 1, 4, 4], 'logits');
    const mode = variant.includes('mask') ? 'mask' : variant.includes('resize') ? 'resize' : 'indices';
    const maskPath = mode !== 'indices';
    const eg = await EnergyGradOrt.create(m, { logitsName: 'logits', executionProviders: ['cpu'], maxPoolGrad: mode });
    const B = 2;
    const x = new Float32Array(B * 16);
    // Each 2×2 window holds one value four times (ties), except one window with a clear maximum.
    for (let b = 0; b < B; b++)
      for (let h = 0; h < 4; h++) for (let w = 0; w < 4; w++) x[b * 16 + h * 4 + w] = (b + 1) * (Math.floor(h / 2) * 2 + Math.floor(w / 2)) * 0.3 - 0.5;
    x[16 + 2 * 4 + 3] = 5; // sample 1, window (1,1): clear max at (2,3)
    const { grad } = await eg.energyAndGrad(x, B);
    for (let b = 0; b < B; b++) {
      for (let wh = 0; wh < 2; wh++) {
        for (let ww = 0; ww < 2; ww++) {
          const idx = [0, 1, 4, 5].map((o) => b * 16 + wh * 8 + ww * 2 + o);
          const nz = idx.filter((i) => grad[i] !== 0);
          const clear = b === 1 && wh === 1 && ww === 1;
          if (clear) assert.deepEqual(nz, [16 + 2 * 4 + 3]);
          else if (!maskPath) assert.deepEqual(nz, [idx[0]], `first maximum gets the gradient: ${idx.map((i) => grad[i])}`);
          else {
            assert.equal(nz.length, 4);
            for (const i of idx) assert.ok(Math.abs(grad[i] - grad[idx[0]]) <= 1e-7, 'tied maxima share equally');
          }
          // Moving the whole window together moves the pooled value: FD along the window indicator.
          const eps = 1e-3;
          const xp = x.slice();
          const xm = x.slice();
          for (const i of idx) {
            xp[i] += eps;
            xm[i] -= eps;
          }
          const ep = await eg.energyAndGrad(xp, B);
          const em = await eg.energyAndGrad(xm, B);
          const fd = (ep.energy[b] - em.energy[b]) / (2 * eps);
          const an = idx.reduce((a, i) => a + grad[i], 0);
          assert.ok(Math.abs(fd - an) <= 1e-2 * Math.abs(an) + 1e-5, `window FD ${fd} vs ${an}`);
        }
      }
    }
    await eg.dispose();
  });
}

test('an op without a gradient rule on the differentiable path is an UnsupportedOpError naming op, node and index', async () => {
  const rng = new Rng(1);
  const nodes = [
    node('Relu', ['x'], ['r']),
    node('Selu', ['r'], ['s'], {}, 'my_selu'),
    node('Gemm', ['s', 'w'], ['logits'], { transB: { i: 1 } }),
  ];
  const m = tinyModel(nodes, [randTensor(rng, 'w', [3, 4])], ['batch', 4], 'logits');
  await assert.rejects(buildEnergyGradGraph(m, { logitsName: 'logits' }), (e: unknown) => {
    assert.ok(e instanceof UnsupportedOpError);
    assert.match((e as Error).message, /Selu/);
    assert.match((e as Error).message, /my_selu/);
    assert.match((e as Error).message, /#1/);
    return true;
  });
});

test('KWS CNN: the mask and resize MaxPool gradients (odd sizes, cropped windows) equal the indices one without ties', async () => {
  const ref = REF_MODELS[1];
  const m = refModel(ref.name);
  const { data: x, dims } = refInput(ref.name, 0);
  const base = await EnergyGradOrt.create(m, { logitsName: ref.logits, executionProviders: ['cpu'], maxPoolGrad: 'indices' });
  const want = await base.energyAndGrad(x, dims[0]);
  let gmax = 0;
  for (const v of want.grad) gmax = Math.max(gmax, Math.abs(v));
  for (const mode of ['mask', 'resize'] as const) {
    const eg = await EnergyGradOrt.create(m, { logitsName: ref.logits, executionProviders: ['cpu'], maxPoolGrad: mode });
    const got = await eg.energyAndGrad(x, dims[0]);
    let err = 0;
    for (let i = 0; i < x.length; i++) err = Math.max(err, Math.abs(got.grad[i] - want.grad[i]));
    assert.ok(err <= 1e-6 * gmax, `${mode}: ${err / gmax}`);
    await eg.dispose();
  }
  await base.dispose();
});

test('strided Conv and AveragePool on a dynamic time axis (odd and even lengths) match finite differences', async () => {
  const rng = new Rng(21);
  const nodes = [
    node('Conv', ['x', 'w'], ['c'], { kernel_shape: { ints: [3] }, strides: { ints: [2] }, pads: { ints: [1, 1] } }),
    node('Tanh', ['c'], ['t']),
    node('AveragePool', ['t'], ['p'], { kernel_shape: { ints: [2] }, strides: { ints: [2] } }),
    node('ReduceMean', ['p'], ['m'], { axes: { ints: [2] }, keepdims: { i: 0 } }),
    node('Gemm', ['m', 'fw'], ['logits'], { transB: { i: 1 } }),
  ];
  const m = tinyModel(nodes, [randTensor(rng, 'w', [4, 3, 3], 0.6), randTensor(rng, 'fw', [5, 4], 3)], ['batch', 3, 'time'], 'logits');
  for (const T of [21, 24, 27]) {
    const eg = await EnergyGradOrt.create(m, { logitsName: 'logits', exampleShape: [3, T], executionProviders: ['cpu'] });
    const B = 2;
    const x = randn(rng, B * 3 * T);
    const fd = await fdCheck(eg, x, B, { eps: 1e-2, dirs: 2, elems: 4 });
    assert.ok(fd.dirRel <= 1e-2 && fd.elemRel <= 1e-2, `T=${T}: ${JSON.stringify(fd)}`);
    await eg.dispose();
  }
});

test('2-D MaxPool on a dynamic time axis (odd and even lengths): resize, mask and indices gradients agree and match FD', async () => {
  const rng = new Rng(22);
  const nodes = [
    node('Conv', ['x', 'w', 'b'], ['c'], { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } }),
    node('Relu', ['c'], ['r']),
    node('MaxPool', ['r'], ['p'], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } }),
    node('ReduceMean', ['p'], ['m'], { axes: { ints: [2, 3] }, keepdims: { i: 0 } }),
    node('Gemm', ['m', 'fw'], ['logits'], { transB: { i: 1 } }),
  ];
  const inits = [randTensor(rng, 'w', [8, 1, 3, 3], 0.6), randTensor(rng, 'b', [8], 0.2), randTensor(rng, 'fw', [5, 8], 3)];
  const m = tinyModel(nodes, inits, ['batch', 1, 'time', 7], 'logits');
  for (const T of [9, 10]) {
    const B = 2;
    const x = randn(rng, B * T * 7);
    const res: Float32Array[] = [];
    for (const mode of ['resize', 'mask', 'indices'] as const) {
      const eg = await EnergyGradOrt.create(m, { logitsName: 'logits', exampleShape: [1, T, 7], executionProviders: ['cpu'], maxPoolGrad: mode });
      res.push((await eg.energyAndGrad(x, B)).grad);
      if (mode === 'resize') {
        const fd = await fdCheck(eg, x, B, { eps: 1e-3, dirs: 2, elems: 4 });
        assert.ok(fd.dirRel <= 1e-2 && fd.elemRel <= 1e-2, `T=${T}: ${JSON.stringify(fd)}`);
      }
      await eg.dispose();
    }
    for (let i = 0; i < x.length; i++) {
      assert.ok(Math.abs(res[0][i] - res[2][i]) <= 1e-6 && Math.abs(res[1][i] - res[2][i]) <= 1e-6, `T=${T} element ${i}`);
    }
  }
});

/** Sigmoid, Split, Exp, Abs, Log, MatMul of two differentiable operands, Softmax, LogSoftmax, Clip,
 * Div by a differentiable tensor, Erf, ReduceSum, Expand, Unsqueeze, Dropout, Identity,
 * GlobalAveragePool, Squeeze, Concat, Gemm(transA=1) with bias. */
test('more ops (Split, MatMul of two activations, Softmax/LogSoftmax, Clip, Div, Erf, Expand, GlobalAveragePool, ...) match finite differences', async () => {
  const rng = new Rng(31);
  const inits = [
    int64Tensor('split', [2], [2, 4]),
    floatTensor('half', [], [0.5]),
    floatTensor('one', [], [1]),
    floatTensor('mn', [], [-3]),
    floatTensor('mx', [], [-0.2]),
    int64Tensor('ax2', [1], [2]),
    int64Tensor('eshape', [3], [1, 1, 4]),
    int64Tensor('ax1', [1], [1]),
    int64Tensor('ax23', [2], [2, 3]),
    randTensor(rng, 'W', [5, 3], 2),
    randTensor(rng, 'C', [3], 0.3),
  ];
  const nodes = [
    node('Sigmoid', ['x'], ['a']),
    node('Split', ['a', 'split'], ['s1', 's2'], { axis: { i: 2 } }),
    node('Exp', ['s1'], ['e1']),
    node('Transpose', ['e1'], ['e1t'], { perm: { ints: [0, 2, 1] } }),
    node('MatMul', ['e1', 'e1t'], ['mm']),
    node('Softmax', ['mm'], ['sm'], { axis: { i: 2 } }),
    node('Abs', ['s2'], ['ab']),
    node('Add', ['ab', 'half'], ['ab5']),
    node('Log', ['ab5'], ['lg']),
    node('LogSoftmax', ['lg'], ['ls'], { axis: { i: 1 } }),
    node('Clip', ['ls', 'mn', 'mx'], ['cl']),
    node('Sub', ['one', 'cl'], ['q']),
    node('Div', ['sm', 'q'], ['d']),
    node('Erf', ['d'], ['er']),
    node('ReduceSum', ['er', 'ax2'], ['rsk'], { keepdims: { i: 1 } }),
    node('Expand', ['rsk', 'eshape'], ['ex']),
    node('Unsqueeze', ['ex', 'ax1'], ['u']),
    node('Dropout', ['u'], ['dr']),
    node('Identity', ['dr'], ['id']),
    node('GlobalAveragePool', ['id'], ['gap']),
    node('Squeeze', ['gap', 'ax23'], ['sq']),
    node('ReduceSum', ['ex', 'ax2'], ['rs'], { keepdims: { i: 0 } }),
    node('Concat', ['rs', 'sq'], ['cat'], { axis: { i: 1 } }),
    node('Transpose', ['cat'], ['catT'], { perm: { ints: [1, 0] } }),
    node('Gemm', ['catT', 'W', 'C'], ['logits'], { transA: { i: 1 }, alpha: { f: 1.5 } }),
  ];
  const m = tinyModel(nodes, inits, ['batch', 4, 6], 'logits');
  const eg = await EnergyGradOrt.create(m, { logitsName: 'logits', executionProviders: ['cpu'] });
  const B = 3;
  const x = randn(rng, B * 24);
  const fd = await fdCheck(eg, x, B, { eps: 1e-3, dirs: 3, elems: 8 });
  console.log(`more-ops model: FD rel err: directions ${fd.dirRel.toExponential(2)}, elements ${fd.elemRel.toExponential(2)}`);
  assert.ok(fd.dirRel <= 1e-2 && fd.elemRel <= 1e-2, JSON.stringify(fd));
  await eg.dispose();
});
