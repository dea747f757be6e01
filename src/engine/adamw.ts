/**
 * The one optimizer of jemda: Adam with decoupled weight decay (Loshchilov & Hutter; PyTorch's
 * AdamW) on plain Float32Arrays, updated in place, with optional global gradient-norm clipping.
 * Used by `jemda train` and by every gradient method of `jemda adapt`, on either engine (the tfjs
 * engine reads its variables into arrays, steps, and assigns them back).
 *
 * One step with gradients g (float64 arithmetic, results stored as float32):
 *   n = ‖g‖₂ over all tensors; n not finite → no update (returned as is)
 *   g ← g · c/(n + 1e-6) when clipNorm c > 0 and n > c
 *   t ← t + 1;  m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²
 *   p ← p·(1 − lr·wd) − lr · (m / (1 − β1ᵗ)) / (sqrt(v / (1 − β2ᵗ)) + ε)
 * The weight-decay rule: decay applies to the tensors `decay(name)` selects. Both trainers select
 * the tensors of rank ≥ 2 (conv and Gemm weights), never biases or BatchNorm scale/shift
 * (`decayRank2`). Moments are created at zero on a tensor's first gradient; tensors without a
 * gradient in a step are left alone. The state (t, m, v) is plain data, so checkpoints restore it
 * exactly.
 */
export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Global-norm clip (0 = off). */
  clipNorm: number;
}

export interface AdamWState {
  t: number;
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

export const ADAMW_DEFAULTS: AdamWOptions = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, clipNorm: 0 };

/** The trainers' decay rule: tensors of rank ≥ 2 given their shapes. */
export function decayRank2(shapes: Map<string, readonly number[]>): (name: string) => boolean {
  return (name) => (shapes.get(name)?.length ?? 0) >= 2;
}

/** Global L2 norm of a set of gradients (float64 accumulation). */
export function globalNorm(grads: Map<string, Float32Array>): number {
  let s = 0;
  for (const g of grads.values()) for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  return Math.sqrt(s);
}

export class AdamW {
  readonly opts: AdamWOptions;
  private st: AdamWState = { t: 0, m: new Map(), v: new Map() };

  constructor(opts: Partial<AdamWOptions> = {}, readonly decay: (name: string) => boolean = () => true) {
    this.opts = { ...ADAMW_DEFAULTS, ...opts };
  }

  get t(): number {
    return this.st.t;
  }

  /**
   * One update of `params` IN PLACE with `grads` (keyed alike) at learning rate `lr`. Returns the
   * gradient norm before clipping; a non-finite norm skips the update.
   */
  step(params: Map<string, Float32Array>, grads: Map<string, Float32Array>, lr: number): number {
    const { beta1: b1, beta2: b2, eps, weightDecay, clipNorm } = this.opts;
    const norm = globalNorm(grads);
    if (!Number.isFinite(norm)) return norm;
    const scale = clipNorm > 0 && norm > clipNorm ? clipNorm / (norm + 1e-6) : 1;
    const st = this.st;
    st.t += 1;
    const bc1 = 1 - Math.pow(b1, st.t);
    const bc2 = 1 - Math.pow(b2, st.t);
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
      const shrink = weightDecay > 0 && this.decay(name) ? 1 - lr * weightDecay : 1;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i] * scale;
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        p[i] = p[i] * shrink - (m[i] / bc1 / (Math.sqrt(v[i] / bc2) + eps)) * lr;
      }
    }
    return norm;
  }

  /** A copy of the state (for checkpoints). */
  getState(): AdamWState {
    const copy = (x: Map<string, Float32Array>) => new Map([...x].map(([k, a]) => [k, Float32Array.from(a)]));
    return { t: this.st.t, m: copy(this.st.m), v: copy(this.st.v) };
  }

  /** Restore a state (copied, so the caller's arrays are not updated in place). */
  setState(s: AdamWState): void {
    const copy = (x: Map<string, Float32Array>) => new Map([...x].map(([k, a]) => [k, Float32Array.from(a)]));
    this.st = { t: s.t, m: copy(s.m), v: copy(s.v) };
  }
}
