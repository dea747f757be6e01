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
import { ortLogits, type ExampleSet } from '../../src/eval/ort-logits.ts';
import { listCheckpoints } from '../../src/train/checkpoint.ts';
import { Rng } from '../../src/util/rng.ts';

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

test('a tiny MLP learns a separable band-energy problem; exported model agrees in onnxruntime and the importer', async () => {
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
    };
    const r = await trainModel({ model: tinyModel(), train, dev, expDir: tmp, config, handleSignals: false });
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

test('interrupt + resume gives the same weights as an uninterrupted run', async () => {
  const tmpA = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-trainA-'));
  const tmpB = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-trainB-'));
  try {
    const tr = synth(48, 3);
    const dv = synth(12, 4);
    const train: TrainSet = { copies: tr.inputs.map((x, i) => [x, tr.inputs[(i + 3) % 48]]), labels: tr.labels, exampleShape: [T, F] };
    const dev: ExampleSet = { inputs: dv.inputs, labels: dv.labels, exampleShape: [T, F] };
    const config = { ...DEFAULT_TRAIN_CONFIG, epochs: 3, batchSize: 8, lr: 5e-3, warmupSteps: 2, evalEvery: 4, checkpointEvery: 4, patience: 0, averageLast: 1, logEvery: 2, threads: 1 };
    const full = await trainModel({ model: tinyModel(), train, dev, expDir: tmpA, config, handleSignals: false });
    const part = await trainModel({ model: tinyModel(), train, dev, expDir: tmpB, config, handleSignals: false, shouldStop: (s) => s === 7 });
    assert.equal(part.steps, 7);
    const rest = await trainModel({ model: tinyModel(), train, dev, expDir: tmpB, config, handleSignals: false, resume: true });
    assert.equal(rest.steps, 18);
    assert.equal(full.steps, 18);
    const a = loadModel(full.modelPath).graph!.initializer!;
    const b = loadModel(rest.modelPath).graph!.initializer!;
    for (let i = 0; i < a.length; i++) assert.deepEqual(Buffer.from(b[i].rawData!), Buffer.from(a[i].rawData!), a[i].name!);
  } finally {
    fs.rmSync(tmpA, { recursive: true, force: true });
    fs.rmSync(tmpB, { recursive: true, force: true });
  }
});
