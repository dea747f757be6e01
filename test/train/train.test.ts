import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildModel, defaultFrontEnd } from '../../src/model/builders/index.ts';
import { importModel } from '../../src/model/importer.ts';
import { loadModel } from '../../src/model/onnx-io.ts';
import { trainModel, DEFAULT_TRAIN_CONFIG, type TrainSet } from '../../src/train/trainer.ts';
import { ortLogits, type ExampleSet } from '../../src/model/ort-logits.ts';
import { listCheckpoints, loadCheckpoint } from '../../src/train/checkpoint.ts';
import { Rng } from '../../src/util/rng.ts';
import { smoothedCrossEntropy, trainStep } from '../../src/train/engine.ts';
import { openGradEngine } from '../../src/engine/open.ts';
import { findLogits } from '../../src/model/logits.ts';
import { resolveEngine, type EngineName } from '../../src/engine/resolve.ts';
import { AdamW, decayRank2 } from '../../src/engine/adamw.ts';
import { maxRel } from '../model/vjp-helpers.ts';

const ENGINES: EngineName[] = ['ort', 'tfjs'];

const T = 12;
const F = 8;
const LABELS = ['low', 'mid', 'high'];

/** Class k has energy in frequency band k (bins 0–1, 3–4, 6–7) plus noise; random time position. */
function synth(n: number, seed: number): { inputs: Float32Array[]; labels: Int32Array } {
  const rng = new Rng(seed);
  const inputs: Float32Array[] = [];
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % 3;
    const x = new Float32Array(T * F);
    for (let j = 0; j < x.length; j++) x[j] = 0.5 * rng.normal();
    const t0 = rng.int(4);
    for (let t = t0; t < t0 + 8; t++) for (const f of [3 * k, 3 * k + 1]) x[t * F + f] += 1.5;
    inputs.push(x);
    labels[i] = k;
  }
  return { inputs, labels };
}

function tinyModel() {
  const fe = defaultFrontEnd('BTF', { featDim: F, numFrames: T });
  return buildModel('mlp', { hidden: [16] }, fe, LABELS, 3);
}

for (const engine of ENGINES)
test(`[${engine}] a tiny MLP learns a separable band-energy problem; exported model agrees in onnxruntime and the importer`, async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-train-'));
  try {
    const tr = synth(96, 1);
    const dv = synth(48, 2);
    const train: TrainSet = { copies: tr.inputs.map((x) => [x]), labels: tr.labels, exampleShape: [T, F] };
    const dev: ExampleSet = { inputs: dv.inputs, labels: dv.labels, exampleShape: [T, F] };
    const config = {
      ...DEFAULT_TRAIN_CONFIG,
      epochs: 8,
      batchSize: 16,
      lr: 1e-2,
      warmupSteps: 5,
      featAugment: { timeMasks: 1, timeMaskMax: 2, freqMasks: 0, freqMaskMax: 0, maxShift: 1 },
      evalEvery: 12,
      patience: 0,
      averageLast: 3,
      logEvery: 6,
      threads: 1,
      engine,
    };
    const r = await trainModel({ model: tinyModel(), train, dev, expDir: tmp, config, handleSignals: false });
    assert.equal(r.engine, engine);
    assert.equal(r.steps, 48);
    assert.ok(r.finalDevAcc >= 0.95, `dev accuracy ${r.finalDevAcc}`);
    const lines = fs.readFileSync(path.join(tmp, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(lines.some((l) => typeof l.devAcc === 'number') && lines.some((l) => typeof l.loss === 'number'));
    assert.ok(lines[lines.length - 1].loss < lines[0].loss);
    assert.ok(fs.readFileSync(path.join(tmp, 'train-curves.svg'), 'utf8').includes('<svg'));
    assert.ok(listCheckpoints(tmp).length >= 3);

    // exported model: onnxruntime vs importer (eval mode) on the dev set
    const m = loadModel(r.modelPath);
    const ortOut = await ortLogits(m, dev, { threads: 1 });
    const im = importModel(m, { trainable: 'none' });
    const x = new Float32Array(dev.inputs.length * T * F);
    dev.inputs.forEach((v, i) => x.set(v, i * T * F));
    const tfOut = tf.tidy(() => im.logits(tf.tensor(x, [dev.inputs.length, T, F])).dataSync());
    im.dispose();
    let maxDiff = 0;
    for (let i = 0; i < ortOut.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ortOut[i] - tfOut[i]));
    assert.ok(maxDiff <= 1e-4, `max |ort − tfjs| = ${maxDiff}`);
    const meta = Object.fromEntries((m.metadataProps ?? []).map((p) => [p.key, p.value]));
    assert.deepEqual(JSON.parse(meta['jemda.labels'] as string), LABELS);
    assert.ok(meta['jemda.frontend'] && meta['jemda.train']);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

for (const engine of ENGINES)
test(`[${engine}] same seed → same weights; interrupt + resume gives the same weights as an uninterrupted run`, async () => {
  const tmpA = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-trainA-'));
  const tmpB = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-trainB-'));
  try {
    const tr = synth(48, 3);
    const dv = synth(12, 4);
    const train: TrainSet = { copies: tr.inputs.map((x, i) => [x, tr.inputs[(i + 3) % 48]]), labels: tr.labels, exampleShape: [T, F] };
    const dev: ExampleSet = { inputs: dv.inputs, labels: dv.labels, exampleShape: [T, F] };
    const config = { ...DEFAULT_TRAIN_CONFIG, epochs: 3, batchSize: 8, lr: 5e-3, warmupSteps: 2, evalEvery: 4, checkpointEvery: 4, patience: 0, averageLast: 1, logEvery: 2, threads: 1, engine };
    const again = await trainModel({ model: tinyModel(), train, dev, expDir: tmpB, config, handleSignals: false });
    const againInits = loadModel(again.modelPath).graph!.initializer!;
    const full = await trainModel({ model: tinyModel(), train, dev, expDir: tmpA, config, handleSignals: false });
    const part = await trainModel({ model: tinyModel(), train, dev, expDir: tmpB, config, handleSignals: false, shouldStop: (s) => s === 7 });
    assert.equal(part.steps, 7);
    const rest = await trainModel({ model: tinyModel(), train, dev, expDir: tmpB, config, handleSignals: false, resume: true });
    assert.equal(rest.steps, 18);
    assert.equal(full.steps, 18);
    const a = loadModel(full.modelPath).graph!.initializer!;
    const b = loadModel(rest.modelPath).graph!.initializer!;
    for (let i = 0; i < a.length; i++) assert.deepEqual(Buffer.from(b[i].rawData!), Buffer.from(a[i].rawData!), a[i].name!);
    // same seed, fresh run → the same weights
    assert.equal(again.steps, 18);
    for (let i = 0; i < a.length; i++) assert.deepEqual(Buffer.from(againInits[i].rawData!), Buffer.from(a[i].rawData!), a[i].name!);
  } finally {
    fs.rmSync(tmpA, { recursive: true, force: true });
    fs.rmSync(tmpB, { recursive: true, force: true });
  }
});

test('engine choice: auto is tfjs on libtensorflow backends, ort otherwise; explicit choices win', () => {
  assert.equal(resolveEngine('auto', 'wasm').engine, 'ort');
  assert.equal(resolveEngine('auto', 'cpu').engine, 'ort');
  assert.equal(resolveEngine('auto', '').engine, 'ort');
  assert.equal(resolveEngine('auto', 'tensorflow').engine, 'tfjs');
  assert.equal(resolveEngine('ort', 'tensorflow').engine, 'ort');
  assert.equal(resolveEngine('tfjs', 'wasm').engine, 'tfjs');
  assert.throws(() => resolveEngine('gpu' as never, 'wasm'), /unknown engine/);
});

test('smoothed cross-entropy: hand-computed case', () => {
  // logits [0, ln 3] → softmax [1/4, 3/4]; label 1, ε = 0.2 → target [0.1, 0.9]
  const logits = Float32Array.of(0, Math.log(3));
  const r = smoothedCrossEntropy(logits, Int32Array.of(1), 2, 0.2);
  assert.ok(Math.abs(r.loss - -(0.1 * Math.log(0.25) + 0.9 * Math.log(0.75))) < 1e-6);
  assert.equal(r.correct, 1);
});

test('one AdamW step: ort and tfjs engines give the same loss, gradients, running statistics and weights (kws-cnn with BatchNorm, label smoothing)', async () => {
  const Tc = 16;
  const Fc = 10;
  const fe = defaultFrontEnd('B1TF', { featDim: Fc, numFrames: Tc });
  const model = buildModel('kws-cnn', { channels: [4, 8] }, fe, LABELS, 5);
  const B = 8;
  const rng = new Rng(7);
  const x = rng.fillNormal(new Float32Array(B * Tc * Fc));
  const y = Int32Array.from({ length: B }, (_, i) => i % 3);
  const out = new Map<EngineName, { loss: number; grads: Map<string, Float32Array>; w: Map<string, Float32Array> }>();
  for (const name of ENGINES) {
    const e = await openGradEngine(model, { choice: name, logitsName: findLogits(model).name, trainable: 'all', bnMode: 'train', exampleShape: [1, Tc, Fc], threads: 1, what: 'test' });
    const r = await trainStep(e, x, B, y, 0.1);
    const w = e.getWeights();
    const params = new Map((await e.trainableNames()).map((k) => [k, w.get(k)!]));
    const opt = new AdamW({ weightDecay: 1e-2 }, decayRank2(e.getShapes()));
    opt.step(params, r.grads, 1e-2);
    e.setWeights(params);
    out.set(name, { loss: r.loss, grads: r.grads, w: e.getWeights() });
    await e.dispose();
  }
  const a = out.get('ort')!;
  const b = out.get('tfjs')!;
  assert.ok(Math.abs(a.loss - b.loss) <= 1e-5 * Math.abs(b.loss), `loss ${a.loss} vs ${b.loss}`);
  assert.deepEqual([...a.grads.keys()].sort(), [...b.grads.keys()].sort());
  const rel = maxRel;
  // A conv bias followed by train-mode BatchNorm has a zero gradient in exact arithmetic: both engines
  // give rounding noise there, which Adam's normalisation turns into ±lr steps of random sign
  // (harmless: BatchNorm removes the bias). Such tensors are compared in absolute terms and skipped
  // in the weight comparison.
  const gmax = Math.max(...[...b.grads.values()].map((g) => g.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
  const zeroGrad = new Set<string>();
  for (const [k, g] of b.grads) {
    const gm = g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    if (gm < 1e-5 * gmax) {
      zeroGrad.add(k);
      assert.ok(a.grads.get(k)!.every((v) => Math.abs(v) < 1e-5 * gmax), `grad ${k} should be ~0`);
    } else assert.ok(rel(a.grads.get(k)!, g) <= 1e-4, `grad ${k}: rel ${rel(a.grads.get(k)!, g)}`);
  }
  assert.ok(zeroGrad.size < b.grads.size / 2);
  assert.deepEqual([...a.w.keys()].sort(), [...b.w.keys()].sort());
  for (const [k, w] of b.w) if (!zeroGrad.has(k)) assert.ok(rel(a.w.get(k)!, w) <= 1e-4, `weight ${k}: rel ${rel(a.w.get(k)!, w)}`);
});

test('checkpoints are interchangeable between engines: a tfjs run resumed with ort finishes, weight names equal', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-trainX-'));
  try {
    const tr = synth(48, 5);
    const dv = synth(12, 6);
    const train: TrainSet = { copies: tr.inputs.map((x) => [x]), labels: tr.labels, exampleShape: [T, F] };
    const dev: ExampleSet = { inputs: dv.inputs, labels: dv.labels, exampleShape: [T, F] };
    const config = { ...DEFAULT_TRAIN_CONFIG, epochs: 2, batchSize: 8, lr: 5e-3, warmupSteps: 2, evalEvery: 4, checkpointEvery: 4, patience: 0, averageLast: 1, logEvery: 2, threads: 1 };
    const part = await trainModel({ model: tinyModel(), train, dev, expDir: tmp, config: { ...config, engine: 'tfjs' }, handleSignals: false, shouldStop: (s) => s === 5 });
    assert.equal(part.steps, 5);
    const ckA = loadCheckpoint(path.join(tmp, 'checkpoints', 'step-5'));
    const rest = await trainModel({ model: tinyModel(), train, dev, expDir: tmp, config: { ...config, engine: 'ort' }, handleSignals: false, resume: true });
    assert.equal(rest.engine, 'ort');
    assert.equal(rest.steps, 12);
    const ckB = loadCheckpoint(path.join(tmp, 'checkpoints', 'step-12'));
    assert.deepEqual([...ckB.weights.keys()].sort(), [...ckA.weights.keys()].sort());
    assert.deepEqual([...ckB.adam.m.keys()].sort(), [...ckA.adam.m.keys()].sort());
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
