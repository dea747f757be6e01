/**
 * Energy of a classifier read as a Joint Energy Model: E(x) = −logsumexp_y f(x)[y], or the
 * class-conditional E(x, y) = −f(x)[y]. Samples of p(x) ∝ exp(−E(x)) have LOW energy.
 * Two versions: plain arrays (for logits from onnxruntime) and tfjs (differentiable).
 */
import * as tf from '@tensorflow/tfjs';
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

/** Differentiable energy per example from logits [B, C]; `classes` ([B] int32) for −f[y]. */
export function energyTf(logits: tf.Tensor2D, classes?: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    if (classes) {
      const oneHot = tf.oneHot(classes, logits.shape[1]).toFloat();
      return tf.neg(tf.sum(tf.mul(logits, oneHot), 1)) as tf.Tensor1D;
    }
    return tf.neg(tf.logSumExp(logits, 1)) as tf.Tensor1D;
  });
}

/** Mean of a Float32Array (NaN for empty). */
export function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}
