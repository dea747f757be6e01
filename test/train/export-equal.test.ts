import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/model/backend.ts';
import { buildModel, defaultFrontEnd, type Arch } from '../../src/model/builders/index.ts';
import { importModel } from '../../src/model/importer.ts';
import { loadModel } from '../../src/model/onnx-io.ts';
import { ortLogits } from '../../src/model/ort-logits.ts';
import { trainModel, DEFAULT_TRAIN_CONFIG } from '../../src/train/trainer.ts';
import { Rng } from '../../src/util/rng.ts';

const cases: { arch: Arch; cfg: Record<string, unknown>; shape: number[] }[] = [
  { arch: 'kws-cnn', cfg: { channels: [4, 8] }, shape: [1, 98, 40] },
  { arch: 'tdnn', cfg: { channels: 8, hidden: 8 }, shape: [40, 98] },
];

for (const c of cases) {
  test(`${c.arch}: a few training steps, then onnxruntime and the importer agree (<= 1e-4)`, async () => {
    await selectBackend('wasm');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-exp-'));
    try {
      const fe = defaultFrontEnd(c.arch === 'kws-cnn' ? 'B1TF' : 'BFT');
      const model = buildModel(c.arch, c.cfg, fe, ['a', 'b'], 2);
      const rng = new Rng(3);
      const size = c.shape.reduce((a, b) => a * b, 1);
      const xs = Array.from({ length: 16 }, () => rng.fillNormal(new Float32Array(size)));
      const labels = Int32Array.from({ length: 16 }, (_, i) => i % 2);
      const config = { ...DEFAULT_TRAIN_CONFIG, epochs: 2, batchSize: 8, lr: 1e-2, warmupSteps: 1, patience: 0, averageLast: 2, threads: 1 };
      const r = await trainModel({ model, train: { copies: xs.map((x) => [x]), labels, exampleShape: c.shape }, dev: { inputs: xs, labels, exampleShape: c.shape }, expDir: tmp, config, handleSignals: false });
      const m = loadModel(r.modelPath);
      // the trained BatchNorm statistics moved away from their initial values
      const rv = m.graph!.initializer!.find((t) => t.name === 'bn1.running_var')!;
      assert.ok(new Float32Array(new Uint8Array(rv.rawData!).slice().buffer).some((v) => Math.abs(v - 1) > 1e-3));
      const ort = await ortLogits(m, { inputs: xs, labels, exampleShape: c.shape }, { threads: 1 });
      const im = importModel(m, { trainable: 'none' });
      const x = new Float32Array(16 * size);
      xs.forEach((v, i) => x.set(v, i * size));
      const tfo = tf.tidy(() => im.logits(tf.tensor(x, [16, ...c.shape])).dataSync());
      im.dispose();
      let d = 0;
      for (let i = 0; i < ort.length; i++) d = Math.max(d, Math.abs(ort[i] - tfo[i]));
      assert.ok(d <= 1e-4, `max |ort − tfjs| = ${d}`);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
}
