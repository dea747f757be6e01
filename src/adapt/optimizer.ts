/**
 * AdamW on tfjs variables with global gradient-norm clipping. Its state (step, first and second
 * moments per variable) is plain data so checkpoints restore it exactly.
 */
import * as tf from '@tensorflow/tfjs';

export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  clipNorm: number;
}

export interface AdamState {
  t: number;
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

export class Adam {
  t = 0;
  private m = new Map<string, tf.Tensor>();
  private v = new Map<string, tf.Tensor>();
  constructor(public opts: AdamOptions) {}

  /**
   * Apply one update. `grads` are keyed by the same names as `vars`. Returns the gradient norm
   * before clipping (non-finite norms skip the update and are returned as is).
   */
  step(vars: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>, lr = this.opts.lr): number {
    const { beta1, beta2, eps, weightDecay, clipNorm } = this.opts;
    const norm = tf.tidy(() => {
      let s = tf.scalar(0);
      for (const g of grads.values()) s = s.add(g.square().sum());
      return s.sqrt().dataSync()[0];
    });
    if (!Number.isFinite(norm)) return norm;
    const scale = clipNorm > 0 && norm > clipNorm ? clipNorm / (norm + 1e-6) : 1;
    this.t++;
    const bc1 = 1 - Math.pow(beta1, this.t);
    const bc2 = 1 - Math.pow(beta2, this.t);
    for (const [name, v] of vars) {
      const g0 = grads.get(name);
      if (!g0) continue;
      const [m1, v1] = tf.tidy(() => {
        const g = g0.mul(scale);
        const mPrev = this.m.get(name) ?? tf.zerosLike(v);
        const vPrev = this.v.get(name) ?? tf.zerosLike(v);
        const mNew = mPrev.mul(beta1).add(g.mul(1 - beta1));
        const vNew = vPrev.mul(beta2).add(g.square().mul(1 - beta2));
        const upd = mNew.div(bc1).div(vNew.div(bc2).sqrt().add(eps)).mul(lr);
        let next = v.sub(upd);
        if (weightDecay > 0) next = next.sub(v.mul(lr * weightDecay));
        v.assign(next);
        return [mNew, vNew];
      });
      this.m.get(name)?.dispose();
      this.v.get(name)?.dispose();
      this.m.set(name, m1);
      this.v.set(name, v1);
    }
    return norm;
  }

  getState(): AdamState {
    const m = new Map<string, Float32Array>();
    const v = new Map<string, Float32Array>();
    for (const [k, t] of this.m) m.set(k, Float32Array.from(t.dataSync() as Float32Array));
    for (const [k, t] of this.v) v.set(k, Float32Array.from(t.dataSync() as Float32Array));
    return { t: this.t, m, v };
  }

  setState(s: AdamState, shapes: Map<string, number[]>): void {
    this.dispose();
    this.t = s.t;
    for (const [k, a] of s.m) this.m.set(k, tf.tensor(a, shapes.get(k)));
    for (const [k, a] of s.v) this.v.set(k, tf.tensor(a, shapes.get(k)));
  }

  dispose(): void {
    for (const t of this.m.values()) t.dispose();
    for (const t of this.v.values()) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
