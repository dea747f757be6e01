/**
 * The label-marginal prior of the JEM objective, KL(p̂ ‖ π): π is a class prior (the label
 * marginal of the labeled source data) and p̂ the estimate of the target's predicted label
 * marginal, the batch's mean prediction p̄, or m·r + (1 − m)·p̄ with r a running estimate over
 * earlier batches. The objective (objective.ts) and its tfjs autodiff test reference share these numbers.
 */
import { MismatchError } from '../util/errors.ts';

/** Add-one smoothed class frequencies of labels y in [0, K) (a class absent from y keeps a finite log prior). */
export function labelMarginal(y: ArrayLike<number>, K: number): Float64Array {
  const c = new Float64Array(K).fill(1);
  for (let i = 0; i < y.length; i++) c[y[i]] += 1;
  const n = y.length + K;
  return c.map((v) => v / n);
}

/**
 * g_k = log(p̂_k/π_k) and kl = Σ_k p̂_k g_k for a batch's mean prediction, the prior, and an
 * optional running estimate blended in with `momentum`.
 */
export function priorLogRatio(batchMean: ArrayLike<number>, prior: ArrayLike<number>, running: ArrayLike<number> | null, momentum: number): { g: Float64Array; kl: number } {
  const K = batchMean.length;
  if (prior.length !== K) throw new MismatchError(`class prior has ${prior.length} entries, the model ${K} classes`);
  if (running && running.length !== K) throw new MismatchError(`running label marginal has ${running.length} entries, the model ${K} classes`);
  const g = new Float64Array(K);
  let kl = 0;
  for (let k = 0; k < K; k++) {
    const est = running ? momentum * running[k] + (1 - momentum) * batchMean[k] : batchMean[k];
    g[k] = Math.log(Math.max(est, 1e-12) / prior[k]);
    kl += est * g[k];
  }
  return { g, kl };
}

/**
 * The prior of the marginal term (null when its weight is 0): the source label marginal
 * (--marginal-prior source, needs labeled source data) or uniform (SHOT's diversity term).
 */
export function marginalPriorOf(cfg: { marginalWeight: number; marginalPrior: 'source' | 'uniform' }, sourceLabels: ArrayLike<number> | null, K: number): Float64Array | null {
  if (!(cfg.marginalWeight > 0)) return null;
  if (cfg.marginalPrior === 'uniform') return new Float64Array(K).fill(1 / K);
  if (!sourceLabels) throw new MismatchError('--marginal-prior source needs labeled source data (--source)');
  return labelMarginal(sourceLabels, K);
}

/** The running estimate of the target label marginal after a batch with mean prediction `batch`. */
export function updateRunningMarginal(prev: ArrayLike<number> | undefined, batch: ArrayLike<number>, momentum: number): number[] {
  return Array.from(batch, (v, k) => (prev ? momentum * prev[k] + (1 - momentum) * v : v));
}
