/**
 * Feature-level augmentation on one model-input example (a T × F feature plane in the model's
 * layout: [T, F] for B1TF/BTF, [F, T] for BFT), after CMVN — masked values are set to 0, the
 * normalized mean:
 * - SpecAugment time masks (up to `timeMaskMax` consecutive frames) and frequency masks (up to
 *   `freqMaskMax` consecutive bins), widths uniform in [0, max].
 * - Random time shift by an integer in [−maxShift, maxShift] frames, zero-filled.
 * Wave-level augmentation (speed perturbation, additive noise) lives in src/audio/wave-augment.ts.
 */
import type { Rng } from '../util/rng.ts';
import type { InputLayout } from '../model/frontend.ts';

export interface FeatAugmentOptions {
  timeMasks: number;
  timeMaskMax: number;
  freqMasks: number;
  freqMaskMax: number;
  maxShift: number;
}

export const NO_FEAT_AUGMENT: FeatAugmentOptions = { timeMasks: 0, timeMaskMax: 0, freqMasks: 0, freqMaskMax: 0, maxShift: 0 };

/** Index of (t, f) in an example of the given layout. */
function indexer(layout: InputLayout, T: number, F: number): (t: number, f: number) => number {
  return layout === 'BFT' ? (t, f) => f * T + t : (t, f) => t * F + f;
}

/** Shift the example in time by `shift` frames (positive = later), zero-filling. Returns a new array. */
export function timeShift(x: Float32Array, layout: InputLayout, T: number, F: number, shift: number): Float32Array {
  const out = new Float32Array(x.length);
  const ix = indexer(layout, T, F);
  for (let t = 0; t < T; t++) {
    const src = t - shift;
    if (src < 0 || src >= T) continue;
    for (let f = 0; f < F; f++) out[ix(t, f)] = x[ix(src, f)];
  }
  return out;
}

export function maskTime(x: Float32Array, layout: InputLayout, T: number, F: number, t0: number, width: number): void {
  const ix = indexer(layout, T, F);
  for (let t = t0; t < Math.min(T, t0 + width); t++) for (let f = 0; f < F; f++) x[ix(t, f)] = 0;
}

export function maskFreq(x: Float32Array, layout: InputLayout, T: number, F: number, f0: number, width: number): void {
  const ix = indexer(layout, T, F);
  for (let f = f0; f < Math.min(F, f0 + width); f++) for (let t = 0; t < T; t++) x[ix(t, f)] = 0;
}

/** A randomly augmented copy of `x`. */
export function augmentFeatures(x: Float32Array, layout: InputLayout, T: number, F: number, o: FeatAugmentOptions, rng: Rng): Float32Array {
  const shift = o.maxShift > 0 ? rng.int(2 * o.maxShift + 1) - o.maxShift : 0;
  const y = shift !== 0 ? timeShift(x, layout, T, F, shift) : x.slice();
  for (let k = 0; k < o.timeMasks; k++) {
    const w = rng.int(Math.min(o.timeMaskMax, T) + 1);
    if (w > 0) maskTime(y, layout, T, F, rng.int(T - w + 1), w);
  }
  for (let k = 0; k < o.freqMasks; k++) {
    const w = rng.int(Math.min(o.freqMaskMax, F) + 1);
    if (w > 0) maskFreq(y, layout, T, F, rng.int(F - w + 1), w);
  }
  return y;
}
