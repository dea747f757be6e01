/**
 * AdaBN with the onnxruntime engine: the EXACT population statistics of the target set (as seen
 * through train-mode normalisation, i.e. what a cumulative average of BatchNorm batch statistics
 * estimates) instead of a momentum average. Per BatchNorm channel, over batches b of n_b examples
 * with batch mean m_b and unbiased batch variance v_b:
 *   mean = Σ n_b·m_b / N,   var = Σ n_b·(v_b + m_b²) / N − mean²   (within- plus between-batch variance;
 * weighting by examples rather than by elements per channel differs only by O(1/elements)).
 * Train-mode batch statistics do not depend on the running statistics, so the pool is a pure
 * function of the (unchanged) weights and the batches: a resumed run rebuilds it by replaying them.
 */
import type { BnBatchStats } from '../model/vjp-ort.ts';
import { MismatchError } from '../util/errors.ts';

interface Acc {
  meanName: string;
  varName: string;
  n: number;
  s1: Float64Array;
  s2: Float64Array;
}

export class AdabnPool {
  /** Batches added so far. */
  positions = 0;
  private acc = new Map<string, Acc>();

  add(stats: Map<string, BnBatchStats> | undefined, n: number): void {
    this.positions++;
    if (!stats) return;
    for (const [node, s] of stats) {
      let a = this.acc.get(node);
      if (!a) {
        a = { meanName: s.meanName, varName: s.varName, n: 0, s1: new Float64Array(s.mean.length), s2: new Float64Array(s.mean.length) };
        this.acc.set(node, a);
      }
      for (let i = 0; i < s.mean.length; i++) {
        a.s1[i] += n * s.mean[i];
        a.s2[i] += n * (s.varUnbiased[i] + s.mean[i] * s.mean[i]);
      }
      a.n += n;
    }
  }

  /**
   * Write the pooled mean/variance into the running statistics of `weights` (in place). With a
   * `prior` (the source statistics, by name) of weight w: w·prior + (1−w)·pooled, for mean and
   * variance alike (Schneider et al. 2020).
   */
  writeRunning(weights: Map<string, Float32Array>, prior?: { stats: Map<string, Float32Array>; weight: number }): void {
    const w = prior?.weight ?? 0;
    for (const a of this.acc.values()) {
      const rm = weights.get(a.meanName);
      const rv = weights.get(a.varName);
      if (!rm || !rv) throw new MismatchError(`no running statistics '${a.meanName}'/'${a.varName}' in the weights`);
      const pm = w > 0 ? prior?.stats.get(a.meanName) : undefined;
      const pv = w > 0 ? prior?.stats.get(a.varName) : undefined;
      if (w > 0 && (!pm || !pv)) throw new MismatchError(`no source statistics '${a.meanName}'/'${a.varName}' for the BatchNorm prior`);
      for (let i = 0; i < rm.length; i++) {
        const m = a.s1[i] / a.n;
        const v = Math.max(0, a.s2[i] / a.n - m * m);
        rm[i] = pm ? w * pm[i] + (1 - w) * m : m;
        rv[i] = pv ? w * pv[i] + (1 - w) * v : v;
      }
    }
  }
}
