/**
 * Turning a synthesized word into a Speech Commands-style clip: trim silence, resample to the
 * corpus rate, place in a fixed window at a seeded offset, add a faint noise floor; and making
 * noise-only `_silence_` clips.
 */
import type { Rng } from '../util/rng.ts';
import { resample } from '../audio/resample.ts';
import { brownNoise, pinkNoise, whiteNoise } from '../audio/effects/noise.ts';
import { normalizePeak, peak } from '../audio/effects/gain.ts';

/** Drop leading/trailing frames (10 ms) quieter than `thresholdDb` below the peak; keep a margin. */
export function trimSilence(x: Float32Array, rate: number, thresholdDb = -40, marginMs = 20): Float32Array {
  const p = peak(x);
  if (p === 0) return x.slice(0, 0);
  const frame = Math.max(1, Math.round(rate / 100));
  const thr = p * Math.pow(10, thresholdDb / 20);
  const nFrames = Math.ceil(x.length / frame);
  let first = -1, last = -1;
  for (let f = 0; f < nFrames; f++) {
    let m = 0;
    for (let i = f * frame; i < Math.min(x.length, (f + 1) * frame); i++) m = Math.max(m, Math.abs(x[i]));
    if (m >= thr) {
      if (first < 0) first = f;
      last = f;
    }
  }
  const margin = Math.round((marginMs / 1000) * rate);
  const a = Math.max(0, first * frame - margin);
  const b = Math.min(x.length, (last + 1) * frame + margin);
  return x.slice(a, b);
}

/** Place `x` in a zero window of `len` samples at a seeded offset (or crop a seeded part if longer). */
export function placeInWindow(x: Float32Array, len: number, rng: Rng): Float32Array {
  const out = new Float32Array(len);
  if (x.length <= len) out.set(x, rng.int(len - x.length + 1));
  else out.set(x.subarray(rng.int(x.length - len + 1)).subarray(0, len));
  return out;
}

export interface ClipOptions {
  rate: number;
  len: number;
  /** Peak level range in dBFS for the seeded normalisation jitter. */
  peakDb: [number, number];
  /** Noise floor relative to full scale (dBFS RMS), white. */
  floorDb: number;
}

export const DEFAULT_CLIP: ClipOptions = { rate: 16000, len: 16000, peakDb: [-10, -1], floorDb: -72 };

export function wordClip(samples: Float32Array, sampleRate: number, rng: Rng, opts: ClipOptions = DEFAULT_CLIP): Float32Array {
  const at = sampleRate === opts.rate ? samples : resample(samples, sampleRate, opts.rate);
  const trimmed = trimSilence(at, opts.rate);
  const placed = placeInWindow(trimmed, opts.len, rng);
  const lvl = normalizePeak(placed, 0.5);
  const floor = whiteNoise(opts.len, rng);
  const k = Math.pow(10, opts.floorDb / 20);
  for (let i = 0; i < lvl.length; i++) lvl[i] += k * floor[i];
  return lvl;
}

/** Noise-only clip: seeded mixture of white, pink and brown noise at `levelDb` dBFS RMS. */
export function silenceClip(rng: Rng, len: number, levelDb: number): Float32Array {
  const w = rng.uniform(), p = rng.uniform(), b = rng.uniform();
  const a = whiteNoise(len, rng), c = pinkNoise(len, rng), d = brownNoise(len, rng);
  const out = new Float32Array(len);
  for (let i = 0; i < len; i++) out[i] = w * a[i] + p * c[i] + b * d[i];
  let e = 0;
  for (let i = 0; i < len; i++) e += out[i] * out[i];
  const r = Math.sqrt(e / len);
  const k = r > 0 ? Math.pow(10, levelDb / 20) / r : 0;
  for (let i = 0; i < len; i++) out[i] *= k;
  return out;
}

/** Final level: peak normalised to a seeded level in `peakDb`. Silent input stays silent. */
export function finalLevel(x: Float32Array, rng: Rng, peakDb: [number, number]): Float32Array {
  const db = peakDb[0] + (peakDb[1] - peakDb[0]) * rng.uniform();
  return normalizePeak(x, Math.pow(10, db / 20));
}
