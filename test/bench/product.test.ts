/**
 * The bench's product-path timers read what the product itself writes: adapt()'s per-update
 * metrics and trainModel()'s per-step metrics, on a real data dir through the model's front end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { benchAdaptSteps, benchTrainSteps, timedProcess, writeBenchDataDir } from '../../src/bench/product.ts';
import { aggregateRuns, median, type BenchRow } from '../../src/bench/aggregate.ts';
import { buildModel, defaultFrontEnd, DEFAULT_KWS_LABELS } from '../../src/model/builders/index.ts';
import { saveModel } from '../../src/model/onnx-io.ts';
import { readDataDir } from '../../src/data/datadir.ts';
import { tmpDir } from '../adapt/trainer-helpers.ts';

test('median of odd and even counts', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('aggregateRuns: medians of values and ratios, the ratio range, every run kept; a missing row is an error', () => {
  const row = (name: string, jemda: number, peer: number | null, ratio: number | null): BenchRow => ({ name, unit: 'ms', jemda, peer: 'PyTorch', peer_value: peer, ratio });
  const runs = [
    [row('a', 10, 20, 2), row('b', 5, null, null)],
    [row('a', 30, 15, 0.5), row('b', 7, null, null)],
    [row('a', 20, 30, 1.5), row('b', 6, null, null)],
  ];
  const [a, b] = aggregateRuns(runs);
  assert.equal(a.jemda, 20);
  assert.equal(a.peer_value, 20);
  assert.equal(a.ratio, 1.5);
  assert.deepEqual(a.ratio_range, [0.5, 2]);
  assert.deepEqual(a.runs!.jemda, [10, 30, 20]);
  assert.equal(b.ratio, null);
  assert.equal(b.ratio_range, null);
  assert.equal(b.jemda, 6);
  assert.throws(() => aggregateRuns([[row('a', 1, 1, 1)], [row('c', 1, 1, 1)]]), /run 2 has no row 'a'/);
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
