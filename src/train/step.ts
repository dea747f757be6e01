/**
 * One training step through the tfjs importer: forward in training mode (BatchNorm batch
 * statistics, running statistics updated), mean cross-entropy (optionally label-smoothed),
 * gradients of the trainable variables read back as Float32Arrays keyed by initializer name.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImportedModel } from '../model/types.ts';

export interface StepResult {
  loss: number;
  correct: number;
  grads: Map<string, Float32Array>;
}

/** Map tf variable name → initializer name. */
export function variableNames(model: ImportedModel): Map<string, string> {
  const m = new Map<string, string>();
  for (const [init, v] of model.variables) m.set(v.name, init);
  return m;
}

/** Mean cross-entropy of logits [B, C] against integer labels, with label smoothing ε. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, smoothing = 0): tf.Scalar {
  return tf.tidy(() => {
    const C = logits.shape[1];
    const logp = tf.logSoftmax(logits);
    let target = tf.oneHot(labels, C).toFloat();
    if (smoothing > 0) target = target.mul(1 - smoothing).add(smoothing / C);
    return tf.neg(tf.mean(tf.sum(tf.mul(target, logp), 1))) as tf.Scalar;
  });
}

export function trainStep(
  model: ImportedModel,
  names: Map<string, string>,
  x: Float32Array,
  dims: number[],
  labels: Int32Array,
  smoothing = 0,
): StepResult {
  let correct = 0;
  const xs = tf.tensor(x, dims, 'float32');
  const ys = tf.tensor1d(labels, 'int32');
  try {
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.logits(xs, { training: true, updateStats: true });
      const pred = tf.argMax(logits, 1);
      correct = tf.sum(tf.equal(pred, ys).toInt()).dataSync()[0];
      return crossEntropy(logits, ys, smoothing);
    }, model.trainableVariables());
    const loss = value.dataSync()[0];
    value.dispose();
    const out = new Map<string, Float32Array>();
    for (const [vname, g] of Object.entries(grads)) {
      out.set(names.get(vname) ?? vname, g.dataSync() as Float32Array);
      g.dispose();
    }
    return { loss, correct, grads: out };
  } finally {
    xs.dispose();
    ys.dispose();
  }
}
