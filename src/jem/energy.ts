/**
 * Energy of a classifier read as a Joint Energy Model: E(x) = −logsumexp_y f(x)[y], or the
 * class-conditional E(x, y) = −f(x)[y]. Samples of p(x) ∝ exp(−E(x)) have LOW energy.
 * Plain arrays (logits from onnxruntime); the differentiable tfjs form is energy-tf.ts.
 */
import { logSumExp } from '../util/logsumexp.ts';


/**
 * Energies from row-major logits [batch × numClasses]. With `classes`, E = −f[y] per row,
 * otherwise E = −logsumexp f.
 */
export function energiesFromLogits(logits: ArrayLike<number>, batch: number, numClasses: number, classes?: ArrayLike<number>): Float32Array {
  const e = new Float32Array(batch);
  for (let b = 0; b < batch; b++) {
    e[b] = classes ? -logits[b * numClasses + classes[b]] : -logSumExp(logits, b * numClasses, numClasses);
  }
  return e;
}

/** Mean of a Float32Array (NaN for empty). */
export function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}
