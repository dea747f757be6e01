import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accuracy, auroc, brier, classificationMetrics, confidenceBin, confusionMatrix, ece, energies, logSoftmax,
  meanStd, nll, perClassAccuracy, reliabilityBins, softmax,
} from '../../src/engine/metrics.ts';
import { oodAuroc, pxScores, pxgradScores, pyScores } from '../../src/eval/ood.ts';
import type { EnergyGrad } from '../../src/model/types.ts';

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('NLL of a known distribution; log-softmax is stable for huge logits', () => {
  // logits log(0.5), log(0.25), log(0.25): NLL of label 1 is log 4.
  const l = [Math.log(0.5), Math.log(0.25), Math.log(0.25)];
  close(nll(l, [1], 3), Math.log(4));
  close(nll(l, [0], 3), Math.log(2));
  // shift invariance and no overflow at 1e4
  const big = l.map((v) => v + 1e4);
  close(nll(big, [1], 3), Math.log(4), 1e-9);
  const ls = logSoftmax([1000, 0], 2);
  close(ls[0], 0);
  close(ls[1], -1000);
  // mean over examples
  close(nll([...l, ...l], [1, 0], 3), (Math.log(4) + Math.log(2)) / 2);
});

test('confusion matrix, per-class accuracy and accuracy', () => {
  const labels = [0, 0, 1, 1, 1, 2];
  const pred = [0, 1, 1, 1, 0, 1];
  assert.deepEqual(confusionMatrix(labels, pred, 4), [
    [1, 1, 0, 0],
    [1, 2, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 0, 0],
  ]);
  assert.deepEqual(perClassAccuracy(confusionMatrix(labels, pred, 4)), [0.5, 2 / 3, 0, null]);
  close(accuracy(pred, labels), 3 / 6);
});

test('ECE bin edges: bins are (lo, hi], 0 goes to bin 0, 1 to the last bin', () => {
  assert.equal(confidenceBin(0, 15), 0);
  assert.equal(confidenceBin(1 / 15, 15), 0); // right edge belongs to the lower bin
  assert.equal(confidenceBin(1 / 15 + 1e-12, 15), 1);
  assert.equal(confidenceBin(1 / 3, 15), 4); // 5/15 is the right edge of bin 4
  assert.equal(confidenceBin(0.4, 15), 5); // 6/15
  assert.equal(confidenceBin(0.4 + 1e-12, 15), 6);
  assert.equal(confidenceBin(1, 15), 14);
  assert.equal(confidenceBin(14 / 15, 15), 13);
  for (let k = 1; k <= 15; k++) assert.equal(confidenceBin(k / 15, 15), k - 1);
});

test('ECE hand-computed', () => {
  // bin 14 (14/15, 1]: conf 0.95, 1.0 → mean 0.975, acc 1/2; bin 7 (7/15, 8/15]: conf 0.5 ×2, acc 1.
  const conf = [0.95, 1.0, 0.5, 0.5];
  const correct = [1, 0, 1, 1];
  const expected = (2 / 4) * Math.abs(0.5 - 0.975) + (2 / 4) * Math.abs(1 - 0.5);
  close(ece(conf, correct), expected);
  const bins = reliabilityBins(conf, correct);
  assert.equal(bins.length, 15);
  assert.equal(bins[14].count, 2);
  assert.equal(bins[7].count, 2);
  assert.equal(bins[0].confidence, null);
  // perfectly calibrated: conf 0.5, half right
  close(ece([0.5, 0.5], [1, 0]), 0);
  // an example exactly on an edge moves to the lower bin: conf 0.4 (bin 5) and 0.41 (bin 6)
  close(ece([0.4, 0.41], [1, 1]), 0.5 * 0.6 + 0.5 * 0.59);
});

test('Brier score hand-computed', () => {
  // p = [0.7, 0.2, 0.1], y = 0 → 0.09 + 0.04 + 0.01 = 0.14; y = 2 → 0.49 + 0.04 + 0.81 = 1.34
  const p = [0.7, 0.2, 0.1, 0.7, 0.2, 0.1];
  close(brier(p, [0, 2], 3), (0.14 + 1.34) / 2);
});

test('AUROC with ties counted 1/2', () => {
  close(auroc([3, 4], [1, 2]), 1);
  close(auroc([1, 2], [3, 4]), 0);
  close(auroc([1], [1]), 0.5);
  // pos {1, 2, 3}, neg {2, 2}: pairs (1,2)=0 ×2, (2,2)=½ ×2, (3,2)=1 ×2 → 3/6
  close(auroc([1, 2, 3], [2, 2]), 0.5);
  // pos {2, 3}, neg {1, 2, 5}: 3>1,3>2,2>1 → 3; tie 2=2 → ½; total 3.5/6
  close(auroc([2, 3], [1, 2, 5]), 3.5 / 6);
  // brute force agreement on random data with many ties
  const pos = Array.from({ length: 50 }, (_, i) => (i * 7) % 5);
  const neg = Array.from({ length: 40 }, (_, i) => (i * 3) % 4);
  let s = 0;
  for (const a of pos) for (const b of neg) s += a > b ? 1 : a === b ? 0.5 : 0;
  close(auroc(pos, neg), s / (50 * 40));
});

test('energy and softmax', () => {
  const l = [0, 0, Math.log(2), 0];
  const e = energies(l, 2);
  close(e[0], -Math.log(2));
  close(e[1], -Math.log(3));
  const p = softmax(l, 2);
  close(p[2], 2 / 3);
  const ms = meanStd([1, 3]);
  close(ms.mean, 2);
  close(ms.std, 1);
});

test('classificationMetrics puts it together', () => {
  const logits = [2, 0, 0, 2, 2, 0];
  const m = classificationMetrics(logits, [0, 1, 1], ['a', 'b']);
  assert.equal(m.n, 3);
  close(m.accuracy, 2 / 3);
  assert.deepEqual(m.perClass, { a: 1, b: 0.5 });
  assert.deepEqual(m.confusion, [[1, 0], [1, 1]]);
  const p = 1 / (1 + Math.exp(-2));
  close(m.nll, (2 * -Math.log(p) - Math.log(1 - p)) / 3);
  close(m.ece, Math.abs(2 / 3 - p));
  close(m.meanConfidence, p);
});

test('OOD scores: px, py, pxgrad through an EnergyGrad, AUROC', async () => {
  const l = [1, 1, 0, 3];
  const px = pxScores(l, 2);
  close(px[0], 1 + Math.log(2));
  const py = pyScores(l, 2);
  close(py[0], 0.5);
  close(py[1], 1 / (1 + Math.exp(-3)));
  // E(x) = ½‖x‖² → ∂E/∂x = x, score = −‖x‖
  const eg: EnergyGrad = {
    exampleShape: [2],
    async energyAndGrad(x, batch) {
      const energy = new Float32Array(batch);
      for (let i = 0; i < batch; i++) energy[i] = 0.5 * (x[2 * i] ** 2 + x[2 * i + 1] ** 2);
      return { energy, grad: Float32Array.from(x) };
    },
    setWeights() {},
    dispose() {},
  };
  const s = await pxgradScores(eg, Float32Array.of(3, 4, 0, 1, 6, 8), 3, 2);
  assert.deepEqual(Array.from(s), [-5, -1, -10]);
  assert.deepEqual(oodAuroc({ px: [3, 4], py: [1, 1] }, { px: [1, 2], py: [1, 1] }), { px: 1, py: 0.5 });
});
