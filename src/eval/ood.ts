/**
 * OOD-detection scores as in JEM (Grathwohl et al. 2020), each oriented so that a HIGHER score
 * means "more in-distribution":
 * - px:     logsumexp(logits) = −E(x)  (unnormalized log p(x))
 * - py:     max softmax probability
 * - pxgrad: −‖∂ log p(x)/∂x‖₂ = −‖∂E/∂x‖₂, through any EnergyGrad (eval mode)
 * AUROC takes the in-domain set as positives.
 */
import type { EnergyGrad } from '../model/types.ts';
import { auroc } from '../engine/metrics.ts';
import { logSumExp } from '../util/logsumexp.ts';

export type OodScoreName = 'px' | 'py' | 'pxgrad';

export function pxScores(logits: ArrayLike<number>, C: number): Float64Array {
  const n = logits.length / C;
  const s = new Float64Array(n);
  for (let r = 0; r < n; r++) s[r] = logSumExp(logits, r * C, C);
  return s;
}

export function pyScores(logits: ArrayLike<number>, C: number): Float64Array {
  const n = logits.length / C;
  const s = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, logits[r * C + c]);
    s[r] = Math.exp(m - logSumExp(logits, r * C, C));
  }
  return s;
}

/**
 * −‖∂E/∂x‖ per example. `x` holds n examples of `exampleSize` values each (the model's input
 * layout); they are sent to `eg` in batches of `batchSize`.
 */
export async function pxgradScores(eg: EnergyGrad, x: Float32Array, n: number, batchSize = 32): Promise<Float64Array> {
  const size = eg.exampleShape.reduce((a, b) => a * b, 1);
  if (x.length !== n * size) throw new RangeError(`pxgrad: ${x.length} values for ${n} examples of ${size}`);
  const s = new Float64Array(n);
  for (let b0 = 0; b0 < n; b0 += batchSize) {
    const b = Math.min(batchSize, n - b0);
    const { grad } = await eg.energyAndGrad(x.subarray(b0 * size, (b0 + b) * size), b);
    for (let i = 0; i < b; i++) {
      let q = 0;
      for (let k = i * size; k < (i + 1) * size; k++) q += grad[k] * grad[k];
      s[b0 + i] = -Math.sqrt(q);
    }
  }
  return s;
}

export type OodAuroc = Partial<Record<OodScoreName, number>>;

export function oodAuroc(inDomain: Partial<Record<OodScoreName, ArrayLike<number>>>, outDomain: Partial<Record<OodScoreName, ArrayLike<number>>>): OodAuroc {
  const out: OodAuroc = {};
  for (const k of ['px', 'py', 'pxgrad'] as const) {
    const a = inDomain[k];
    const b = outDomain[k];
    if (a && b) out[k] = auroc(a, b);
  }
  return out;
}
