/**
 * The label-marginal prior term of the JEM objective: KL(p̂ ‖ π) and its logits gradient
 * (onnxruntime engine, JS) against central differences, its tfjs surrogate against the JS numbers,
 * the add-one smoothed source prior, and the split of jemLoss into energy / other terms.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { marginalPriorGrad } from '../../src/jem/objective.ts';
import { jemLossTf, marginalPriorTf } from './jem-loss-tf.ts';
import { labelMarginal } from '../../src/jem/marginal-prior.ts';
import { MismatchError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';

const B = 6;
const K = 4;
const PRIOR = [0.1, 0.2, 0.3, 0.4];

function logitsOf(seed: number, scale = 2): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: B * K }, () => scale * r.normal());
}

/** KL(p̂ ‖ π) in float64 with p̂ = m·running + (1 − m)·p̄, p̄ the batch mean of softmax rows. */
function klRef(f: Float64Array, running: number[] | null, m: number, fixedEst?: Float64Array): number {
  const mean = new Float64Array(K);
  for (let b = 0; b < B; b++) {
    let mx = -Infinity;
    for (let k = 0; k < K; k++) mx = Math.max(mx, f[b * K + k]);
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(f[b * K + k] - mx);
    for (let k = 0; k < K; k++) mean[k] += Math.exp(f[b * K + k] - mx) / s / B;
  }
  let kl = 0;
  for (let k = 0; k < K; k++) {
    const est = running ? m * running[k] + (1 - m) * mean[k] : mean[k];
    // With a fixed estimate (the surrogate's gradient): Σ p̄_k log(p̂_k/π_k), p̂ held constant.
    kl += fixedEst ? mean[k] * Math.log(fixedEst[k] / PRIOR[k]) : est * Math.log(est / PRIOR[k]);
  }
  return kl;
}

/** Each entry of `grad` against the central difference of `loss` at logits `f` (step 1e-5). */
function assertCentralDifferences(grad: Float32Array, f: Float32Array, loss: (x: Float64Array) => number): void {
  const h = 1e-5;
  for (let i = 0; i < f.length; i++) {
    const fp = Float64Array.from(f);
    const fm = Float64Array.from(f);
    fp[i] += h;
    fm[i] -= h;
    const fd = (loss(fp) - loss(fm)) / (2 * h);
    assert.ok(Math.abs(grad[i] - fd) < 1e-5, `logit ${i}: ${grad[i]} vs ${fd}`);
  }
}

test('marginal prior: KL = 0 at the prior, > 0 when predictions collapse; gradient = central differences (m = 0)', () => {
  // Every row predicting exactly the prior: KL 0, gradient 0.
  const atPrior = new Float32Array(B * K);
  for (let b = 0; b < B; b++) for (let k = 0; k < K; k++) atPrior[b * K + k] = Math.log(PRIOR[k]);
  const z = marginalPriorGrad(atPrior, B, K, PRIOR, 1);
  assert.ok(Math.abs(z.kl) < 1e-7, `kl ${z.kl}`);
  assert.ok(z.gLogits.every((v) => Math.abs(v) < 1e-7));
  // All rows confidently on class 0: KL ≈ log(1/π_0).
  const collapsed = new Float32Array(B * K).map((_, i) => (i % K === 0 ? 20 : 0));
  assert.ok(Math.abs(marginalPriorGrad(collapsed, B, K, PRIOR, 1).kl - Math.log(1 / 0.1)) < 1e-6);
  // Gradient check, weight 0.7.
  const f = logitsOf(3);
  const g = marginalPriorGrad(f, B, K, PRIOR, 0.7);
  assert.ok(Math.abs(g.kl - klRef(Float64Array.from(f), null, 0)) < 1e-6);
  assertCentralDifferences(g.gLogits, f, (x) => 0.7 * klRef(x, null, 0));
  // Rows sum to zero: adding a constant to a row's logits changes nothing.
  for (let b = 0; b < B; b++) assert.ok(Math.abs(g.gLogits.slice(b * K, (b + 1) * K).reduce((s, v) => s + v, 0)) < 1e-7);
});

test('marginal prior with a running estimate: kl of the blended estimate, gradient of Σ p̄·log(p̂/π) with p̂ fixed', () => {
  const f = logitsOf(5);
  const running = [0.4, 0.3, 0.2, 0.1];
  const m = 0.8;
  const g = marginalPriorGrad(f, B, K, PRIOR, 1, running, m);
  assert.ok(Math.abs(g.kl - klRef(Float64Array.from(f), running, m)) < 1e-6);
  const est = Float64Array.from(running, (r, k) => m * r + (1 - m) * g.batchMean[k]);
  assertCentralDifferences(g.gLogits, f, (x) => klRef(x, null, 0, est));
  assert.ok(Math.abs(g.batchMean.reduce((s, v) => s + v, 0) - 1) < 1e-9);
  assert.throws(() => marginalPriorGrad(f, B, K, [0.5, 0.5], 1), MismatchError);
  assert.throws(() => marginalPriorGrad(f, B, K, PRIOR, 1, [1], 0.5), MismatchError);
});

test('marginal prior on tfjs: value = kl, logits gradient = the JS gradient', () => {
  for (const [running, m] of [[null, 0], [[0.25, 0.25, 0.25, 0.25], 0.6]] as [number[] | null, number][]) {
    const f = logitsOf(9);
    const js = marginalPriorGrad(f, B, K, PRIOR, 1, running, m);
    let kl = NaN;
    const grad = tf.grad((x: tf.Tensor) => {
      const r = marginalPriorTf(x as tf.Tensor2D, PRIOR, running, m);
      kl = r.kl.dataSync()[0];
      assert.ok(Math.abs(r.surrogate.dataSync()[0] - kl) < 1e-6, 'surrogate value ≠ kl');
      return r.surrogate;
    })(tf.tensor2d(f, [B, K]));
    assert.ok(Math.abs(kl - js.kl) < 1e-5);
    const gt = grad.dataSync();
    for (let i = 0; i < gt.length; i++) assert.ok(Math.abs(gt[i] - js.gLogits[i]) < 1e-6, `logit ${i}: ${gt[i]} vs ${js.gLogits[i]}`);
    grad.dispose();
  }
});

test('source label prior: add-one smoothed class frequencies', () => {
  const p = labelMarginal([0, 0, 0, 1, 2, 2], 4);
  assert.deepEqual(Array.from(p), [4 / 10, 2 / 10, 3 / 10, 1 / 10]);
});

test('jemLoss split: energy terms + the others = the whole loss (same parts)', () => {
  const w = tf.variable(tf.tensor2d(logitsOf(11, 0.3).slice(0, 3 * K), [3, K]));
  const f = (x: tf.Tensor) => tf.matMul(x as tf.Tensor2D, w) as tf.Tensor2D;
  const r = new Rng(2);
  const mk = () => tf.tensor2d(Float32Array.from({ length: B * 3 }, () => r.normal()), [B, 3]);
  const batch = { source: { x: mk(), y: tf.tensor1d([0, 1, 2, 3, 0, 1], 'int32') }, target: mk(), samples: mk() };
  const weights = { xent: 1, ebm: 0.5, l2: 0.1, pxy: 0, marginal: 2, prior: PRIOR };
  const all = jemLossTf(f, batch, weights, false);
  const energy = jemLossTf(f, batch, weights, false, false, 'energy');
  const rest = jemLossTf(f, batch, weights, false, false, 'rest');
  const v = (t: tf.Scalar) => t.dataSync()[0];
  assert.ok(Math.abs(v(all.loss) - v(energy.loss) - v(rest.loss)) < 1e-5);
  assert.ok(v(all.marginal) > 0 && v(energy.marginal) === 0 && v(rest.marginal) === v(all.marginal));
  assert.ok(v(rest.ebm) === 0 && Math.abs(v(energy.ebm) - v(all.ebm)) < 1e-7 && v(energy.xent) === 0);
  tf.dispose([w, batch.source.x, batch.source.y, batch.target, batch.samples]);
});
