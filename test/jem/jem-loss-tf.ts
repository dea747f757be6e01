/**
 * Test reference: the JEM objective of src/jem/objective.ts written with tfjs autodiff (every term
 * a differentiable tfjs expression, gradients by tf.variableGrads). The product computes each
 * term's ∂L/∂logits in JS and hands it to an engine; tests compare the two.
 */
import * as tf from '@tensorflow/tfjs';
import { energyTf } from '../../src/jem/energy-tf.ts';
import { priorLogRatio } from '../../src/jem/marginal-prior.ts';
import type { JemWeights } from '../../src/jem/objective.ts';

export type { JemWeights };

export type LogitsFn = (x: tf.Tensor, opts: { training: boolean; updateStats: boolean }) => tf.Tensor2D;


export interface JemBatch {
  source?: { x: tf.Tensor; y: tf.Tensor1D };
  target?: tf.Tensor;
  samples?: tf.Tensor;
  /** p(x|y): class-conditional samples with their classes (compared with source data of the same y). */
  pxy?: { x: tf.Tensor; y: tf.Tensor1D; samples: tf.Tensor; sampleY: tf.Tensor1D };
}

export interface JemParts {
  loss: tf.Scalar;
  xent: tf.Scalar;
  ebm: tf.Scalar;
  l2: tf.Scalar;
  pxy: tf.Scalar;
  marginal: tf.Scalar;
  eData: tf.Scalar;
  eSamples: tf.Scalar;
  /** The target batch's mean prediction when the marginal term is on (numbers, no gradient). */
  batchMarginal?: Float64Array;
}

/** Which terms jemLoss builds: all, only the energy terms (ebm + l2), or all but them. */
export type JemTerms = 'all' | 'energy' | 'rest';

/**
 * Builds the loss (call inside tf.variableGrads / tf.tidy). `training` selects BatchNorm batch
 * statistics; running statistics are updated only on the target-data pass (updateStats).
 * `samplesTraining` (default: same as training) is the BatchNorm mode of the SGLD-sample passes:
 * false scores them with running statistics, exactly the energy landscape SGLD sampled from.
 */
export function jemLossTf(f: LogitsFn, b: JemBatch, w: JemWeights, training: boolean, samplesTraining = training, terms: JemTerms = 'all'): JemParts {
  const zero = tf.scalar(0);
  let loss: tf.Scalar = zero;
  let xent: tf.Scalar = zero;
  let ebm: tf.Scalar = zero;
  let l2: tf.Scalar = zero;
  let pxy: tf.Scalar = zero;
  let marginal: tf.Scalar = zero;
  let batchMarginal: Float64Array | undefined;
  let eData: tf.Scalar = zero;
  let eSamples: tf.Scalar = zero;
  const rest = terms !== 'energy';
  const energy = terms !== 'rest';
  if (rest && b.source && w.xent > 0) {
    const logits = f(b.source.x, { training, updateStats: false });
    xent = crossEntropy(logits, b.source.y);
    loss = tf.add(loss, tf.mul(w.xent, xent));
  }
  const energyOn = energy && b.target && b.samples && (w.ebm > 0 || w.l2 > 0);
  if (rest && b.target && (w.marginal ?? 0) > 0 && w.prior) {
    // Running statistics follow the target batch once: here unless the energy pass runs too.
    const m = marginalPriorTf(f(b.target, { training, updateStats: training && !energyOn }), w.prior, w.marginalRunning ?? null, w.marginalMomentum ?? 0);
    marginal = m.kl;
    batchMarginal = m.batchMean;
    loss = tf.add(loss, tf.mul(w.marginal as number, m.surrogate));
  }
  if (energyOn && b.target && b.samples) {
    const ed = energyTf(f(b.target, { training, updateStats: training }));
    const es = energyTf(f(b.samples, { training: samplesTraining, updateStats: false }));
    eData = tf.mean(ed);
    eSamples = tf.mean(es);
    ebm = tf.sub(eData, eSamples);
    l2 = tf.add(tf.mean(tf.square(ed)), tf.mean(tf.square(es)));
    loss = tf.add(loss, tf.add(tf.mul(w.ebm, ebm), tf.mul(w.l2, l2)));
  }
  if (rest && b.pxy && w.pxy > 0) {
    const ed = energyTf(f(b.pxy.x, { training, updateStats: false }), b.pxy.y);
    const es = energyTf(f(b.pxy.samples, { training: samplesTraining, updateStats: false }), b.pxy.sampleY);
    pxy = tf.sub(tf.mean(ed), tf.mean(es));
    loss = tf.add(loss, tf.mul(w.pxy, pxy));
  }
  return { loss, xent, ebm, l2, pxy, marginal, eData, eSamples, batchMarginal };
}

/**
 * The label-marginal prior of marginalPriorGrad on tfjs: `kl` = KL(p̂ ‖ π) (a constant) and a
 * surrogate whose value is kl and whose gradient is Σ_k ∂p̄_k · log(p̂_k/π_k), p̂ held fixed.
 */
export function marginalPriorTf(logits: tf.Tensor2D, prior: ArrayLike<number>, running: ArrayLike<number> | null, momentum: number): { kl: tf.Scalar; surrogate: tf.Scalar; batchMean: Float64Array } {
  const pbar = tf.mean(tf.softmax(logits), 0);
  const batchMean = Float64Array.from(pbar.dataSync());
  const { g, kl } = priorLogRatio(batchMean, prior, running, momentum);
  // (p̄ − p̄_value)·g is 0 in value and Σ ∂p̄·g in gradient.
  const delta = tf.sum(tf.mul(tf.sub(pbar, tf.tensor1d(Float32Array.from(batchMean))), tf.tensor1d(Float32Array.from(g))));
  return { kl: tf.scalar(kl), surrogate: tf.add(delta, kl) as tf.Scalar, batchMean };
}

/** Mean cross-entropy of logits [B, C] against int labels [B]. */
export function crossEntropy(logits: tf.Tensor2D, y: tf.Tensor1D): tf.Scalar {
  const logp = tf.logSoftmax(logits);
  const oneHot = tf.oneHot(y.toInt(), logits.shape[1]).toFloat();
  return tf.neg(tf.mean(tf.sum(tf.mul(logp, oneHot), 1))) as tf.Scalar;
}

/** Mean prediction entropy of logits [B, C] (TENT). */
export function predictionEntropy(logits: tf.Tensor2D): tf.Scalar {
  const logp = tf.logSoftmax(logits);
  return tf.neg(tf.mean(tf.sum(tf.mul(tf.exp(logp), logp), 1))) as tf.Scalar;
}

