/** Test helper: the one AdamW (src/engine/adamw.ts) applied to tfjs variables, for autodiff references. */
import * as tf from '@tensorflow/tfjs';
import type { AdamW } from '../../src/engine/adamw.ts';

/**
 * One AdamW step of tfjs variables: the gradients and the variables are read into arrays, stepped
 * by the same AdamW as the onnxruntime engine, and assigned back. Returns the gradient norm.
 */
export function adamStepTf(adam: AdamW, vars: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>, lr: number): number {
  const w = new Map<string, Float32Array>();
  const g = new Map<string, Float32Array>();
  for (const [k, v] of vars) {
    const gk = grads.get(k);
    if (!gk) continue;
    w.set(k, Float32Array.from(v.dataSync() as Float32Array));
    g.set(k, gk.dataSync() as Float32Array);
  }
  const norm = adam.step(w, g, lr);
  if (Number.isFinite(norm)) for (const [k, a] of w) tf.tidy(() => vars.get(k)!.assign(tf.tensor(a, vars.get(k)!.shape)));
  return norm;
}
