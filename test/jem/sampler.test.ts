import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gaussianEnergyGrad } from './gaussian-energy.ts';
import { clampRows, clipFactors, dataClampBox, replayFactor, sgldOptions, sgldSample } from '../../src/jem/sampler.ts';
import { Rng } from '../../src/util/rng.ts';

test('langevin mode samples an analytic Gaussian: mean and covariance within 5%', async () => {
  const mu = [1, -2];
  const cov = [
    [1, 0.6],
    [0.6, 2],
  ];
  const det = cov[0][0] * cov[1][1] - cov[0][1] * cov[1][0];
  const prec = [
    [cov[1][1] / det, -cov[0][1] / det],
    [-cov[1][0] / det, cov[0][0] / det],
  ];
  const eg = gaussianEnergyGrad(mu, prec);
  const n = 10000;
  const r = await sgldSample(eg, new Float32Array(n * 2), n, sgldOptions({ stepSize: 0.02, noise: 'langevin', steps: 1000 }), new Rng(7));
  const m = [0, 0];
  for (let b = 0; b < n; b++) for (let i = 0; i < 2; i++) m[i] += r.x[b * 2 + i] / n;
  const c = [
    [0, 0],
    [0, 0],
  ];
  for (let b = 0; b < n; b++) for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) c[i][j] += ((r.x[b * 2 + i] - m[i]) * (r.x[b * 2 + j] - m[j])) / (n - 1);
  for (let i = 0; i < 2; i++) assert.ok(Math.abs(m[i] - mu[i]) < 0.05 * Math.abs(mu[i]), `mean[${i}] ${m[i]} vs ${mu[i]}`);
  for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) assert.ok(Math.abs(c[i][j] - cov[i][j]) < 0.05 * Math.abs(cov[i][j]), `cov[${i}][${j}] ${c[i][j]} vs ${cov[i][j]}`);
  assert.equal(r.steps, 1000);
});

test('replay correction: step size divided by chainSteps^c', async () => {
  assert.equal(replayFactor(1, 1), 1);
  assert.equal(replayFactor(4, 0.5), 0.5);
  assert.equal(replayFactor(8, 0), 1);
  // Noise-free gradient descent on E = ½x² from x = 1: chains at counts 0 and 3 (c = 1).
  const eg = gaussianEnergyGrad([0], [[1]]);
  const r = await sgldSample(eg, Float32Array.from([1, 1]), 2, sgldOptions({ stepSize: 0.5, noise: 0, steps: 1, replayCorrection: 1 }), new Rng(1), {
    chainSteps: Float32Array.from([0, 3]),
  });
  assert.ok(Math.abs(r.x[0] - 0.5) < 1e-6, `fresh chain: x = 1 − 0.5·1/1 = 0.5, got ${r.x[0]}`);
  assert.ok(Math.abs(r.x[1] - 0.875) < 1e-6, `old chain: x = 1 − 0.5·1/4 = 0.875, got ${r.x[1]}`);
  assert.deepEqual(Array.from(r.chainSteps), [1, 4]);
});

test('per-sample gradient clipping caps each sample step', async () => {
  const { factors, norms } = clipFactors(Float32Array.from([3, 4, 0.3, 0.4]), 2, 1, 'per-sample');
  assert.ok(Math.abs(norms[0] - 5) < 1e-6 && Math.abs(norms[1] - 0.5) < 1e-6);
  assert.ok(Math.abs(factors[0] - 0.2) < 1e-6 && factors[1] === 1);
  const batch = clipFactors(Float32Array.from([3, 4, 0, 0]), 2, 1, 'batch');
  assert.ok(Math.abs(batch.factors[1] - 0.2) < 1e-6);
  const eg = gaussianEnergyGrad([0], [[1]]);
  const r = await sgldSample(eg, Float32Array.from([10, 0.5]), 2, sgldOptions({ stepSize: 1, noise: 0, steps: 1, clip: 1 }), new Rng(1));
  assert.ok(Math.abs(r.x[0] - 9) < 1e-4, `clipped: 10 − 1 = 9, got ${r.x[0]}`);
  assert.ok(Math.abs(r.x[1] - 0) < 1e-6, `unclipped: 0.5 − 0.5 = 0, got ${r.x[1]}`);
  assert.equal(r.clippedFraction, 0.5);
});

test('adaptive stopping stops once within the relative threshold of the data energy, capped by max steps', async () => {
  const eg = gaussianEnergyGrad([0], [[1]]);
  const x0 = new Float32Array(64).fill(4); // E = 8
  const opts = sgldOptions({ stepSize: 0.1, noise: 0, steps: 0, adaptive: { threshold: 0.1, maxSteps: 500 } });
  // x_k = 4·0.9^k, E_k = 8·0.81^k; data energy 0.5 → stop at the first k with E_k ≤ 0.55.
  const r = await sgldSample(eg, x0, 64, opts, new Rng(3), { dataEnergy: 0.5 });
  let want = 0;
  while (8 * Math.pow(0.81, want) > 0.55) want++;
  assert.equal(r.steps, want);
  assert.ok(r.energyTrace[r.energyTrace.length - 1] <= 0.55);
  const capped = await sgldSample(eg, x0, 64, sgldOptions({ ...opts, adaptive: { threshold: 0.1, maxSteps: 5 } }), new Rng(3), { dataEnergy: 0.5 });
  assert.equal(capped.steps, 5);
  const minSteps = await sgldSample(eg, x0, 64, sgldOptions({ ...opts, steps: 30 }), new Rng(3), { dataEnergy: 0.5 });
  assert.equal(minSteps.steps, 30);
});

test('adam and accelerated SGLD variants move samples down the energy', async () => {
  const eg = gaussianEnergyGrad([0, 0], [
    [1, 0],
    [0, 1],
  ]);
  const x0 = new Float32Array(32).fill(3);
  for (const optimizer of ['adam', 'accelerated'] as const) {
    const r = await sgldSample(eg, x0, 16, sgldOptions({ stepSize: 0.1, noise: 0.01, steps: 10, optimizer, adaptive: { threshold: 0.05, maxSteps: 50 } }), new Rng(5), {
      dataEnergy: 1,
    });
    assert.ok(r.energyTrace[r.energyTrace.length - 1] < r.energyTrace[0] / 2, `${optimizer}: ${r.energyTrace[0]} → ${r.energyTrace.at(-1)}`);
  }
});

test('data clamp box: per value [min − m·std, max + m·std]; clampRows moves values onto the bounds and counts them', () => {
  // two rows of 2 values: column 0 is {0, 2} (std 1), column 1 is {5, 5} (std 0)
  const box = dataClampBox(Float32Array.from([0, 5, 2, 5]), 2, 0.5);
  assert.deepEqual([...box.lo], [-0.5, 5]);
  assert.deepEqual([...box.hi], [2.5, 5]);
  const x = Float32Array.from([3, 4, 1, 6, -1, 5]);
  assert.equal(clampRows(x, box.lo, box.hi), 5); // 3 → 2.5, 4 → 5, 6 → 5, −1 → −0.5, and 5 sits on its (zero-width) box
  assert.deepEqual([...x], [2.5, 5, 1, 5, -0.5, 5]);
  assert.throws(() => sgldOptions({ clamp: { lo: Float32Array.from([1]), hi: Float32Array.from([0]) } }), /lo ≤ hi/);
});

test('SGLD with a clamp box: chains pulled towards a far mode stop at the box and report the share on it', async () => {
  // E = ½‖x − (10, 10)‖²: without a box the chains reach the mode; with [−1, 1]² they pile up on the corner
  const eg = gaussianEnergyGrad([10, 10], [[1, 0], [0, 1]]);
  const n = 64;
  const box = { lo: Float32Array.from([-1, -1]), hi: Float32Array.from([1, 1]) };
  const free = await sgldSample(eg, new Float32Array(n * 2), n, sgldOptions({ stepSize: 0.5, noise: 0.01, steps: 30 }), new Rng(1));
  assert.ok(free.x.every((v) => v > 9), 'free chains should reach the mode');
  assert.equal(free.clampedFraction, 0);
  const boxed = await sgldSample(eg, new Float32Array(n * 2), n, sgldOptions({ stepSize: 0.5, noise: 0.01, steps: 30, clamp: box }), new Rng(1));
  assert.ok(boxed.x.every((v) => v === 1), 'clamped chains should sit on the upper bound');
  assert.equal(boxed.clampedFraction, 1);
  await assert.rejects(sgldSample(eg, new Float32Array(n * 3), n, sgldOptions({ steps: 1, clamp: box }), new Rng(1)), /clamp box has 2 values per example, the samples 3/);
});

test('finalEnergy false: the same chains from K runs instead of K + 1, no final energies; adaptive stopping still evaluates every step', async () => {
  const x0 = new Rng(5).fillNormal(new Float32Array(16 * 3));
  const opts = sgldOptions({ stepSize: 0.1, noise: 0.05, steps: 7 });
  const full = gaussianEnergyGrad([0, 1, -1], [[1, 0, 0], [0, 2, 0], [0, 0, 0.5]]);
  const a = await sgldSample(full, x0, 16, opts, new Rng(9), { chainSteps: new Float32Array(16) });
  const lean = gaussianEnergyGrad([0, 1, -1], [[1, 0, 0], [0, 2, 0], [0, 0, 0.5]]);
  const b = await sgldSample(lean, x0, 16, opts, new Rng(9), { chainSteps: new Float32Array(16), finalEnergy: false });
  assert.equal(full.calls, 8);
  assert.equal(lean.calls, 7);
  assert.deepEqual(Array.from(b.x), Array.from(a.x));
  assert.deepEqual(Array.from(b.chainSteps), Array.from(a.chainSteps));
  assert.equal(b.steps, 7);
  assert.equal(b.energy, null);
  assert.ok(a.energy !== null && a.energy.length === 16);
  assert.deepEqual(b.energyTrace, a.energyTrace.slice(0, 7));
  assert.equal(b.gradNorm, a.gradNorm);
  const ad = gaussianEnergyGrad([0], [[1]]);
  const r = await sgldSample(ad, new Float32Array(8).fill(4), 8, sgldOptions({ stepSize: 0.1, noise: 0, steps: 0, adaptive: { threshold: 0.1, maxSteps: 500 } }), new Rng(3), { dataEnergy: 0.5, finalEnergy: false });
  assert.equal(ad.calls, r.steps + 1);
  assert.ok(r.energy !== null && r.energyTrace[r.energyTrace.length - 1] <= 0.55);
});
