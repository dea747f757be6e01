/**
 * Adam with decoupled weight decay (Loshchilov & Hutter; PyTorch's AdamW) on plain Float32Arrays:
 *   p ← p·(1 − lr·wd)                         (only for tensors with decay)
 *   m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
 *   p ← p − lr · (m / (1 − β1ᵗ)) / (sqrt(v / (1 − β2ᵗ)) + ε)
 * By convention weight decay applies to tensors of rank ≥ 2 (conv and Gemm weights), not to
 * biases or BatchNorm scale/shift. The state (t, m, v) is saved in checkpoints.
 */
export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

export interface AdamWState {
  t: number;
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  state: AdamWState = { t: 0, m: new Map(), v: new Map() };

  /** `decay`: which parameter names get weight decay. */
  constructor(opts: AdamWOptions = {}, readonly decay: (name: string) => boolean = () => true) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
  }

  /** One update of every parameter in `params` (in place) with gradients `grads`. */
  step(params: Map<string, Float32Array>, grads: Map<string, Float32Array>, lr: number): void {
    const st = this.state;
    st.t += 1;
    const bc1 = 1 - Math.pow(this.beta1, st.t);
    const bc2 = 1 - Math.pow(this.beta2, st.t);
    const { beta1: b1, beta2: b2, eps } = this;
    for (const [name, p] of params) {
      const g = grads.get(name);
      if (!g) continue;
      if (g.length !== p.length) throw new RangeError(`AdamW: gradient of '${name}' has ${g.length} values, parameter ${p.length}`);
      let m = st.m.get(name);
      let v = st.v.get(name);
      if (!m || !v) {
        m = new Float32Array(p.length);
        v = new Float32Array(p.length);
        st.m.set(name, m);
        st.v.set(name, v);
      }
      const shrink = this.weightDecay > 0 && this.decay(name) ? 1 - lr * this.weightDecay : 1;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i];
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        p[i] = p[i] * shrink - (lr * (m[i] / bc1)) / (Math.sqrt(v[i] / bc2) + eps);
      }
    }
  }
}
