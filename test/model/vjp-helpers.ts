/** Shared helper for the VJP tests: finite differences of a linear functional of the logits along random weight directions. */
import type { VjpOrt } from '../../src/model/vjp-ort.ts';
import type { BnMode } from '../../src/model/types.ts';
import { Rng } from '../../src/util/rng.ts';

/** max |a − b| over max |b|: the largest difference relative to the largest reference value. */
export function maxRel(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / Math.max(den, 1e-12);
}

export function dot64(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * Central differences of L(w) = Σ g·logits(w) (g fixed, random) along random directions over all
 * trainable weights. Each weight tensor's direction is scaled by its RMS (+1e-3), so `eps` is a
 * relative perturbation, and has a component along the (scaled) gradient so that the projection
 * is not near zero. Returns the worst |fd − grad·d| / |grad·d|.
 */
export async function fdCheck(v: VjpOrt, x: Float32Array, B: number, bnMode: BnMode, seed: number, dirs = 3, eps = 1e-3): Promise<number> {
  const rng = new Rng(seed);
  const w0 = new Map([...v.getWeights()].map(([n, a]) => [n, a.slice()]));
  const l0 = await v.forward(x, B, { bnMode });
  const g = rng.fillNormal(new Float32Array(l0.length));
  const r = await v.vjp(x, B, g, { bnMode });
  const scale = new Map([...r.grads.keys()].map((n) => [n, Math.sqrt(dot64(w0.get(n)!, w0.get(n)!) / w0.get(n)!.length) + 1e-3]));
  let gs2 = 0;
  for (const [n, gr] of r.grads) gs2 += dot64(gr, gr) * scale.get(n)! ** 2;
  let worst = 0;
  for (let k = 0; k < dirs; k++) {
    const raw = new Map([...r.grads.keys()].map((n) => [n, rng.fillNormal(new Float32Array(w0.get(n)!.length))]));
    let rn2 = 0;
    for (const a of raw.values()) rn2 += dot64(a, a);
    const along = Math.sqrt(rn2 / gs2);
    const d = new Map([...raw].map(([n, a]) => [n, a.map((z, i) => scale.get(n)! * (z + along * scale.get(n)! * r.grads.get(n)![i]))]));
    let an = 0;
    for (const [n, dn] of d) an += dot64(r.grads.get(n)!, dn);
    const at = async (h: number) => {
      v.setWeights(new Map([...d].map(([n, dn]) => [n, w0.get(n)!.map((wv, i) => wv + h * dn[i])])));
      return dot64(await v.forward(x, B, { bnMode }), g);
    };
    const fd = ((await at(eps)) - (await at(-eps))) / (2 * eps);
    worst = Math.max(worst, Math.abs(fd - an) / Math.abs(an));
  }
  v.setWeights(w0);
  return worst;
}
