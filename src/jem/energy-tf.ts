/** The energy of energy.ts as a differentiable tfjs function: E(x) = −logsumexp f(x), or −f(x)[y]. */
import * as tf from '@tensorflow/tfjs';

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
