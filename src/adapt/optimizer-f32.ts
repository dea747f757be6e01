/**
 * AdamW on plain Float32Arrays (the onnxruntime engine's weights, updated in place) with global
 * gradient-norm clipping: the same update and the same checkpoint state (AdamState) as the tfjs
 * Adam of optimizer.ts, so a run can be checkpointed and resumed exactly.
 */
import type { AdamOptions, AdamState } from './optimizer.ts';

export class AdamF32 {
  t = 0;
  private m = new Map<string, Float32Array>();
  private v = new Map<string, Float32Array>();
  constructor(public opts: AdamOptions) {}

  /** Global L2 norm of the gradients (float64 accumulation). */
  static norm(grads: Map<string, Float32Array>): number {
    let s = 0;
    for (const g of grads.values()) for (let i = 0; i < g.length; i++) s += g[i] * g[i];
    return Math.sqrt(s);
  }

  /**
   * One update of `weights` IN PLACE (arrays keyed like `grads`). Returns the gradient norm before
   * clipping; a non-finite norm skips the update.
   */
  step(weights: Map<string, Float32Array>, grads: Map<string, Float32Array>, lr = this.opts.lr): number {
    const { beta1, beta2, eps, weightDecay, clipNorm } = this.opts;
    const norm = AdamF32.norm(grads);
    if (!Number.isFinite(norm)) return norm;
    const scale = clipNorm > 0 && norm > clipNorm ? clipNorm / (norm + 1e-6) : 1;
    this.t++;
    const bc1 = 1 - Math.pow(beta1, this.t);
    const bc2 = 1 - Math.pow(beta2, this.t);
    for (const [name, w] of weights) {
      const g = grads.get(name);
      if (!g) continue;
      let m = this.m.get(name);
      let v = this.v.get(name);
      if (!m || !v) {
        m = new Float32Array(w.length);
        v = new Float32Array(w.length);
        this.m.set(name, m);
        this.v.set(name, v);
      }
      for (let i = 0; i < w.length; i++) {
        const gi = g[i] * scale;
        m[i] = beta1 * m[i] + (1 - beta1) * gi;
        v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
        const upd = (m[i] / bc1 / (Math.sqrt(v[i] / bc2) + eps)) * lr;
        w[i] = w[i] - upd - (weightDecay > 0 ? w[i] * lr * weightDecay : 0);
      }
    }
    return norm;
  }

  getState(): AdamState {
    return { t: this.t, m: new Map([...this.m].map(([k, a]) => [k, Float32Array.from(a)])), v: new Map([...this.v].map(([k, a]) => [k, Float32Array.from(a)])) };
  }

  setState(s: AdamState): void {
    this.t = s.t;
    this.m = new Map([...s.m].map(([k, a]) => [k, Float32Array.from(a)]));
    this.v = new Map([...s.v].map(([k, a]) => [k, Float32Array.from(a)]));
  }
}
