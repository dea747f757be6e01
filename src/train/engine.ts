/**
 * One step of `jemda train` on the one engine interface (src/engine/engine.ts), the same code for
 * onnxruntime (the VJP graph's softmax head: logits and gradients in one run) and tfjs: forward in
 * training mode with BatchNorm batch statistics, mean label-smoothed cross-entropy, parameter
 * gradients, and the BatchNorm running statistics updated in the engine. Weights are keyed by
 * initializer name on both engines, so checkpoints are interchangeable.
 */
import type { GradEngine } from '../engine/engine.ts';
import { updateRunningStats } from '../model/vjp-ort.ts';
import { MismatchError } from '../util/errors.ts';
import { logSumExp } from '../util/logsumexp.ts';

export interface StepResult {
  loss: number;
  correct: number;
  grads: Map<string, Float32Array>;
}

/**
 * Mean cross-entropy of logits [B, K] against labels with label smoothing ε (target
 * (1 − ε)·onehot + ε/K), and the number of correct argmax predictions.
 */
export function smoothedCrossEntropy(logits: Float32Array, labels: Int32Array, K: number, smoothing: number): { loss: number; correct: number } {
  const B = labels.length;
  let loss = 0;
  let correct = 0;
  for (let b = 0; b < B; b++) {
    const row = logits.subarray(b * K, (b + 1) * K);
    let arg = 0;
    for (let k = 1; k < K; k++) if (row[k] > row[arg]) arg = k;
    const lse = logSumExp(row);
    let l = 0;
    for (let k = 0; k < K; k++) l -= ((k === labels[b] ? 1 - smoothing : 0) + smoothing / K) * (row[k] - lse);
    loss += l;
    if (arg === labels[b]) correct++;
  }
  return { loss: loss / B, correct };
}

/** coef and target of the softmax head for the smoothed mean cross-entropy: g = (softmax − t)/B. */
export function smoothedTarget(labels: Int32Array, K: number, smoothing: number): { coef: Float32Array; target: Float32Array } {
  const B = labels.length;
  const target = new Float32Array(B * K).fill(smoothing / K / B);
  labels.forEach((y, b) => {
    if (!(y >= 0 && y < K)) throw new MismatchError(`label ${y} of example ${b} out of range [0, ${K})`);
    target[b * K + y] += (1 - smoothing) / B;
  });
  return { coef: new Float32Array(B).fill(1 / B), target };
}

/** One training step on a batch: loss, correct count, gradients; the running statistics are updated. */
export async function trainStep(engine: GradEngine, x: Float32Array, batch: number, labels: Int32Array, smoothing: number): Promise<StepResult> {
  const K = engine.numClasses;
  const { coef, target } = smoothedTarget(labels, K, smoothing);
  const r = await engine.vjpSoftmax(x, batch, coef, target, { bnMode: 'train' });
  const { loss, correct } = smoothedCrossEntropy(r.logits, labels, K, smoothing);
  if (r.bnStats && Number.isFinite(loss)) {
    const names = new Set([...r.bnStats.values()].flatMap((s) => [s.meanName, s.varName]));
    const cur = engine.getWeights();
    const stats = new Map([...names].map((n) => [n, (cur.get(n) as Float32Array).slice()]));
    updateRunningStats(stats, r.bnStats);
    engine.setWeights(stats);
  }
  return { loss, correct, grads: r.grads };
}
