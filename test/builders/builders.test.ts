import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { encodeModel, decodeModel, getMetadata } from '../../src/model/onnx-io.ts';
import { parseFrontEnd, FRONTEND_KEY, LABELS_KEY } from '../../src/model/frontend.ts';
import { buildModel, defaultFrontEnd, DEFAULT_KWS_LABELS, parseArchConfig, type Arch } from '../../src/model/builders/index.ts';
import { ConfigError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';

async function runOrt(bytes: Uint8Array, dims: number[]): Promise<ort.Tensor> {
  const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const n = dims.reduce((a, b) => a * b, 1);
  const x = new Rng(1).fillNormal(new Float32Array(n));
  const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x, dims) });
  await s.release();
  return out.logits;
}

const cases: { arch: Arch; cfg: Record<string, unknown>; dims: (b: number) => number[] }[] = [
  { arch: 'kws-cnn', cfg: { channels: [4, 8, 8] }, dims: (b) => [b, 1, 98, 40] },
  { arch: 'tdnn', cfg: { layers: [[5, 1], [3, 2], [3, 3], [1, 1]], channels: 16, hidden: 16 }, dims: (b) => [b, 40, 98] },
  { arch: 'mlp', cfg: { hidden: [32, 16] }, dims: (b) => [b, 98, 40] },
];

for (const c of cases) {
  test(`${c.arch}: runs in onnxruntime with a dynamic batch, metadata parses`, async () => {
    const fe = defaultFrontEnd(c.arch === 'kws-cnn' ? 'B1TF' : c.arch === 'tdnn' ? 'BFT' : 'BTF');
    const m = buildModel(c.arch, c.cfg, fe, DEFAULT_KWS_LABELS, 7);
    const bytes = encodeModel(m);
    for (const b of [1, 3]) {
      const y = await runOrt(bytes, c.dims(b));
      assert.deepEqual(y.dims, [b, 12]);
      assert.ok(Array.from(y.data as Float32Array).every(Number.isFinite));
    }
    const md = getMetadata(decodeModel(bytes));
    assert.deepEqual(parseFrontEnd(md[FRONTEND_KEY], 'x'), fe);
    assert.deepEqual(JSON.parse(md[LABELS_KEY]), DEFAULT_KWS_LABELS);
    // seeded: same seed → same bytes, other seed → other weights
    assert.deepEqual(encodeModel(buildModel(c.arch, c.cfg, fe, DEFAULT_KWS_LABELS, 7)), bytes);
    assert.notDeepEqual(encodeModel(buildModel(c.arch, c.cfg, fe, DEFAULT_KWS_LABELS, 8)), bytes);
  });
}

test('tdnn takes any length above its context', async () => {
  const fe = defaultFrontEnd('BFT', { numFrames: null, featDim: 13 });
  const bytes = encodeModel(buildModel('tdnn', { channels: 8, hidden: 8 }, fe, ['a', 'b', 'c'], 1));
  for (const T of [15, 60]) assert.deepEqual((await runOrt(bytes, [2, 13, T])).dims, [2, 3]);
});

test('weights follow PyTorch default init bounds (±1/sqrt(fan_in))', () => {
  const m = buildModel('kws-cnn', { channels: [8] }, defaultFrontEnd('B1TF'), DEFAULT_KWS_LABELS, 3);
  const w = m.graph!.initializer!.find((t) => t.name === 'conv1.weight')!;
  const f = new Float32Array(new Uint8Array(w.rawData!).slice().buffer);
  const bound = 1 / Math.sqrt(9);
  assert.ok(f.every((v) => Math.abs(v) <= bound));
  assert.ok(Math.max(...f.map(Math.abs)) > 0.9 * bound);
});

test('config errors and Kaldi-style configs', () => {
  assert.throws(() => buildModel('kws-cnn', { channels: [] }, defaultFrontEnd('B1TF'), DEFAULT_KWS_LABELS), ConfigError);
  assert.throws(() => buildModel('kws-cnn', {}, defaultFrontEnd('BFT'), DEFAULT_KWS_LABELS), ConfigError);
  assert.throws(() => buildModel('tdnn', { layers: [[50, 2]] }, defaultFrontEnd('BFT'), DEFAULT_KWS_LABELS), ConfigError);
  assert.deepEqual(parseArchConfig('--channels=16,32,64\n--hidden=128\n--layers=5:1,3:2\n--batch-norm=false\n', 'c'), {
    channels: [16, 32, 64],
    hidden: 128,
    layers: [[5, 1], [3, 2]],
    batchNorm: false,
  });
  assert.deepEqual(parseArchConfig('{"channels":[8]}', 'c'), { channels: [8] });
});
