/**
 * The bench's product-path timers read what the product itself writes: adapt()'s per-update
 * metrics and trainModel()'s per-step metrics, on a real data dir through the model's front end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { benchAdaptSteps, benchTrainSteps, median, timedProcess, writeBenchDataDir } from '../../src/bench/product.ts';
import { buildModel, defaultFrontEnd, DEFAULT_KWS_LABELS } from '../../src/model/builders/index.ts';
import { saveModel } from '../../src/model/onnx-io.ts';
import { readDataDir } from '../../src/data/datadir.ts';
import { tmpDir } from '../adapt/trainer-helpers.ts';

test('median of odd and even counts', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('bench: adapt() updates and trainModel() steps are timed from their own metrics', async () => {
  const d = tmpDir('jemda-bench-product-');
  try {
    const model = buildModel('kws-cnn', {}, defaultFrontEnd('B1TF', { featDim: 40, numFrames: 98 }), DEFAULT_KWS_LABELS, 1);
    const modelPath = path.join(d, 'cnn.onnx');
    saveModel(modelPath, model);
    writeBenchDataDir(path.join(d, 'src'), DEFAULT_KWS_LABELS, 24, 1);
    writeBenchDataDir(path.join(d, 'tgt'), DEFAULT_KWS_LABELS, 16, 2);
    const src = readDataDir(path.join(d, 'src'));
    assert.equal(src.wavScp.size, 24);
    assert.equal(new Set(src.utt2label!.values()).size, 12);
    const r = await benchAdaptSteps({
      modelPath,
      sourceDir: path.join(d, 'src'),
      targetDir: path.join(d, 'tgt'),
      expDir: path.join(d, 'exp'),
      method: 'jem',
      config: { batchSize: 8, sgldBatchSize: 4, sgldSteps: 2, bufferSize: 8 },
      threads: 1,
      warmup: 1,
      timed: 2,
    });
    assert.equal(r.steps, 3);
    assert.ok(r.updateMs > 0 && Number.isFinite(r.updateMs), `${r.updateMs}`);
    // an update holds its SGLD steps
    assert.ok(r.sgldStepMs > 0 && 2 * r.sgldStepMs < r.updateMs, `${r.sgldStepMs} vs ${r.updateMs}`);
    assert.ok(fs.existsSync(path.join(d, 'exp/adapted.onnx')));
    const t = await benchTrainSteps({ model, exampleShape: [1, 98, 40], expDir: path.join(d, 'train'), threads: 1, warmup: 1, timed: 2, batch: 8 });
    assert.ok(t > 0 && Number.isFinite(t), `${t}`);
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

test('timedProcess: wall clock and peak memory of a child; a failing child names its exit', () => {
  const r = timedProcess(process.execPath, ['-e', 'const a = new Float64Array(40e6).fill(1); console.log(a[7])']);
  assert.equal(r.stdout.trim(), '1');
  assert.ok(r.peakRssMb > 300, `${r.peakRssMb} MB for a 320-MB array`);
  assert.ok(r.wallSeconds >= 0);
  assert.throws(() => timedProcess(process.execPath, ['-e', 'process.exit(3)']), /exit 3/);
});
