import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { OrtRunner, withExtraOutputs, inputDims } from '../../src/model/ort-runner.ts';
import { decodeTensor, tensorToArray, encodeModel, toNum } from '../../src/model/onnx-io.ts';
import { OnnxError } from '../../src/util/errors.ts';
import { REF, REF_MODELS, refModel, refInput } from './grad-graph-helpers.ts';

function refOutput(name: string, set: number) {
  const t = tensorToArray(decodeTensor(fs.readFileSync(`${REF}/${name}/test_data_set_${set}/output_0.pb`)));
  return { data: t.data as Float32Array, dims: t.dims };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

for (const ref of REF_MODELS) {
  test(`${ref.name}: run() and runBatched() reproduce the reference outputs (both data sets)`, async () => {
    const r = await OrtRunner.create(encodeModel(refModel(ref.name)), { threads: 1 });
    assert.deepEqual(r.inputNames, ['x']);
    for (const set of [0, 1]) {
      const x = refInput(ref.name, set);
      const want = refOutput(ref.name, set);
      const got = (await r.run({ x }))[r.outputNames[0]];
      assert.deepEqual(got.dims, want.dims);
      assert.ok(maxAbsDiff(got.data, want.data) <= 1e-5);
      // One example at a time through runBatched, batch size 3 (last batch partial).
      const B = x.dims[0];
      const per = x.data.length / B;
      const rows = await r.runBatched('x', (i) => x.data.subarray(i * per, (i + 1) * per), x.dims.slice(1), 3, r.outputNames[0], B);
      assert.equal(rows.length, B);
      const outPer = want.data.length / B;
      rows.forEach((row, i) => assert.ok(maxAbsDiff(row, want.data.subarray(i * outPer, (i + 1) * outPer)) <= 1e-5));
    }
    await r.dispose();
  });
}

test('withExtraOutputs exposes the logits; they are log-softmax consistent with the model output', async () => {
  const ref = REF_MODELS[0];
  const m = withExtraOutputs(refModel(ref.name), [ref.logits]);
  const r = await OrtRunner.create(m);
  const x = refInput(ref.name, 0);
  const out = await r.run({ x }, ['y', ref.logits]);
  const L = out[ref.logits];
  const K = L.dims[1];
  for (let b = 0; b < L.dims[0]; b++) {
    let mx = -Infinity;
    for (let k = 0; k < K; k++) mx = Math.max(mx, L.data[b * K + k]);
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(L.data[b * K + k] - mx);
    for (let k = 0; k < K; k++) assert.ok(Math.abs(out.y.data[b * K + k] - (L.data[b * K + k] - mx - Math.log(s))) <= 1e-5);
  }
  assert.throws(() => withExtraOutputs(refModel(ref.name), ['no_such_tensor']), OnnxError);
  await r.dispose();
});

test('runBatched with a fixed batch dim pads the last batch', async () => {
  const ref = REF_MODELS[0];
  const m = refModel(ref.name);
  const d0 = m.graph!.input![0].type!.tensorType!.shape!.dim![0];
  d0.dimParam = '';
  d0.dimValue = 2;
  assert.deepEqual(inputDims(m).dims, [2, 11, 13]);
  const r = await OrtRunner.create(m, { threads: 1 });
  const x = refInput(ref.name, 1);
  const want = refOutput(ref.name, 1);
  const B = x.dims[0];
  const per = x.data.length / B;
  const ex = Array.from({ length: B }, (_, i) => x.data.slice(i * per, (i + 1) * per));
  const rows = await r.runBatched('x', ex, [11, 13], 64, 'y');
  assert.equal(rows.length, B);
  assert.ok(maxAbsDiff(rows.flatMap((v) => Array.from(v)), want.data) <= 1e-5);
  await assert.rejects(r.runBatched('x', [new Float32Array(5)], [11, 13], 2, 'y'), /example 0 has 5 values/);
  await r.dispose();
});

test('an explicit cpu provider works and a bad model is an OnnxError', async () => {
  const r = await OrtRunner.create(refModel(REF_MODELS[2].name), { executionProviders: ['cpu'], threads: 2 });
  assert.deepEqual(r.providers, ['cpu']);
  const x = refInput(REF_MODELS[2].name, 0);
  const y = (await r.run({ x })).y;
  assert.equal(y.dims[0], x.dims[0]);
  await assert.rejects(r.run({ x: { data: new Float32Array(7), dims: [1, 7] } }), OnnxError);
  await r.dispose();
  void toNum;
});

test('a model onnxruntime cannot load is an OnnxError naming its source (or the graph name)', async () => {
  const proto = refModel(REF_MODELS[2].name);
  const bad = { ...proto, graph: { ...proto.graph, name: 'broken_graph', node: [...(proto.graph?.node ?? []), { opType: 'NoSuchOp', input: ['y'], output: ['z'] }] } };
  await assert.rejects(OrtRunner.create(bad as typeof proto, { executionProviders: ['cpu'], source: 'exp/x/model.onnx' }), (e: unknown) => e instanceof OnnxError && e.message.includes('exp/x/model.onnx'));
  await assert.rejects(OrtRunner.create(bad as typeof proto, { executionProviders: ['cpu'] }), (e: unknown) => e instanceof OnnxError && e.message.includes("graph 'broken_graph'"));
});
