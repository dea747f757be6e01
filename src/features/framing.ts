/**
 * Kaldi's frame extraction (feature-window.cc): NumFrames, FirstSampleOfFrame, ExtractWindow
 * (with reflection at the edges when snip-edges is false) and ProcessWindow's steps — dither,
 * DC removal, raw log-energy, pre-emphasis, windowing — as small in-place functions on one frame.
 */
import type { Rng } from '../util/rng.ts';

/** FLT_EPSILON, the floor Kaldi uses before every log. */
export const FLT_EPSILON = 1.1920928955078125e-7;

/** Kaldi NumFrames(num_samples, opts, flush=true). */
export function numFrames(numSamples: number, windowSize: number, windowShift: number, snipEdges: boolean): number {
  if (snipEdges) {
    if (numSamples < windowSize) return 0;
    return 1 + Math.floor((numSamples - windowSize) / windowShift);
  }
  return Math.floor((numSamples + Math.floor(windowShift / 2)) / windowShift);
}

/** Kaldi FirstSampleOfFrame: may be negative when snip-edges is false. */
export function firstSampleOfFrame(frame: number, windowSize: number, windowShift: number, snipEdges: boolean): number {
  if (snipEdges) return frame * windowShift;
  const mid = windowShift * frame + Math.floor(windowShift / 2);
  return mid - Math.floor(windowSize / 2);
}

/**
 * Copy frame `frame` of `samples` times `scale` into out[offset .. offset+windowSize), reflecting
 * out-of-range indices as Kaldi does (s < 0 → -s-1; s >= N → 2N-1-s).
 */
export function extractFrame(
  samples: Float32Array,
  frame: number,
  windowSize: number,
  windowShift: number,
  snipEdges: boolean,
  scale: number,
  out: Float64Array,
  offset = 0,
): void {
  const n = samples.length;
  const start = firstSampleOfFrame(frame, windowSize, windowShift, snipEdges);
  if (start >= 0 && start + windowSize <= n) {
    for (let i = 0; i < windowSize; i++) out[offset + i] = samples[start + i] * scale;
    return;
  }
  for (let i = 0; i < windowSize; i++) {
    let s = start + i;
    while (s < 0 || s >= n) {
      if (s < 0) s = -s - 1;
      else s = 2 * n - 1 - s;
    }
    out[offset + i] = samples[s] * scale;
  }
}

/** Kaldi Dither: x += dither · N(0,1), from a seeded generator. */
export function dither(x: Float64Array, offset: number, size: number, amount: number, rng: Rng): void {
  if (amount === 0) return;
  for (let i = 0; i < size; i++) x[offset + i] += amount * rng.normal();
}

/** Subtract the frame mean. */
export function removeDcOffset(x: Float64Array, offset: number, size: number): void {
  let s = 0;
  for (let i = 0; i < size; i++) s += x[offset + i];
  const m = s / size;
  for (let i = 0; i < size; i++) x[offset + i] -= m;
}

/** log(max(Σx², FLT_EPSILON)), Kaldi's (raw) frame log-energy. */
export function logEnergy(x: Float64Array, offset: number, size: number): number {
  let s = 0;
  for (let i = 0; i < size; i++) {
    const v = x[offset + i];
    s += v * v;
  }
  return Math.log(Math.max(s, FLT_EPSILON));
}

/** Kaldi Preemphasize, in place from the end backwards: x[i] -= c·x[i-1]; x[0] -= c·x[0]. */
export function preemphasize(x: Float64Array, offset: number, size: number, coeff: number): void {
  if (coeff === 0) return;
  for (let i = size - 1; i > 0; i--) x[offset + i] -= coeff * x[offset + i - 1];
  x[offset] -= coeff * x[offset];
}

/** x[i] *= w[i]. */
export function applyWindow(x: Float64Array, offset: number, w: Float64Array): void {
  for (let i = 0; i < w.length; i++) x[offset + i] *= w[i];
}

/**
 * ProcessWindow's deterministic steps fused into two passes over x[off .. off+size): DC removal
 * (when removeDc), raw log-energy (returned; floored at FLT_EPSILON), pre-emphasis and the window.
 * Equal to removeDcOffset → logEnergy → preemphasize → applyWindow.
 */
export function processFrame(x: Float64Array, off: number, w: Float64Array, removeDc: boolean, preemph: number): number {
  return processFrameFrom(x, off, 1, x, off, w, removeDc, preemph);
}

/**
 * processFrame reading the frame from src[srcOff .. srcOff+size) times `scale` (e.g. straight
 * from the Float32 samples) and writing the processed frame to x[off ..].
 */
export function processFrameFrom(
  src: Float32Array | Float64Array,
  srcOff: number,
  scale: number,
  x: Float64Array,
  off: number,
  w: Float64Array,
  removeDc: boolean,
  preemph: number,
): number {
  const size = w.length;
  let mean = 0;
  if (removeDc) {
    let s = 0;
    for (let i = 0; i < size; i++) s += src[srcOff + i];
    mean = (s * scale) / size;
  }
  let e = 0;
  let cur = src[srcOff + size - 1] * scale - mean;
  for (let i = size - 1; i > 0; i--) {
    const prev = src[srcOff + i - 1] * scale - mean;
    e += cur * cur;
    x[off + i] = (cur - preemph * prev) * w[i];
    cur = prev;
  }
  e += cur * cur;
  x[off] = (cur - preemph * cur) * w[0];
  return Math.log(Math.max(e, FLT_EPSILON));
}

/**
 * The single-pass form used by the fast path: u[i] = (x[i] − c·x[i−1])·w[i] with x[−1] := x[0]
 * (Kaldi's pre-emphasis of the first sample), x = src[srcOff + i]·scale, plus Σx and Σx² into
 * sums[0], sums[1]. DC removal is then linear: the processed frame is u − mean·(1−c)·w, which the
 * caller applies in the spectrum (RealFft.powerSpectrumMinus with the window's spectrum), and the
 * DC-removed energy is (nΣx² − (Σx)²)/n — exact for int16-valued samples.
 */
export function preemphWindowSums(
  src: Float32Array,
  srcOff: number,
  scale: number,
  out: Float64Array,
  off: number,
  w: Float64Array,
  preemph: number,
  sums: Float64Array,
): void {
  const size = w.length;
  let s = 0, s2 = 0;
  let prev = src[srcOff] * scale;
  for (let i = 0; i < size; i++) {
    const v = src[srcOff + i] * scale;
    s += v;
    s2 += v * v;
    out[off + i] = (v - preemph * prev) * w[i];
    prev = v;
  }
  sums[0] = s;
  sums[1] = s2;
}
