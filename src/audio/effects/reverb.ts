/**
 * Synthetic room reverberation: an impulse response made of the direct path, a few early
 * reflections (5–50 ms) and a late tail of Gaussian noise with an exponential envelope that
 * decays 60 dB in `rt60` seconds. Seeded; the output has the input's length and RMS.
 */
import type { Rng } from '../../util/rng.ts';
import { nextPow2, RealFft } from '../fft.ts';
import { rms } from './noise.ts';

export interface ReverbOptions {
  rt60: number;
  rng: Rng;
  /** Energy of the late tail relative to the direct path (direct-to-reverberant control), default 1. */
  wet?: number;
  /** Number of early reflections, default 6. */
  early?: number;
}

/** The room impulse response (direct path at index 0, amplitude 1). */
export function makeRir(rate: number, opts: ReverbOptions): Float32Array {
  const { rt60, rng } = opts;
  if (!(rt60 > 0)) throw new RangeError(`reverb: rt60 must be > 0, got ${rt60}`);
  const n = Math.ceil(rt60 * rate * 1.2);
  const h = new Float32Array(n);
  const decay = (3 * Math.LN10) / rt60; // amplitude envelope exp(-decay·t): −60 dB at rt60
  const start = Math.round(0.003 * rate);
  let tail = 0;
  for (let i = start; i < n; i++) {
    const v = rng.normal() * Math.exp((-decay * i) / rate);
    h[i] = v;
    tail += v * v;
  }
  const wet = opts.wet ?? 1;
  const k = Math.sqrt(wet / tail);
  for (let i = start; i < n; i++) h[i] *= k;
  const early = opts.early ?? 6;
  for (let e = 0; e < early; e++) {
    const t = 0.005 + 0.045 * rng.uniform();
    const idx = Math.min(n - 1, Math.round(t * rate));
    const sign = rng.uniform() < 0.5 ? -1 : 1;
    h[idx] += sign * (0.3 + 0.4 * rng.uniform()) * Math.exp(-decay * t);
  }
  h[0] = 1;
  return h;
}

/** Schroeder backward-integration estimate of RT60 (T30 fit between −5 and −35 dB, ×2). */
export function estimateRt60(h: Float32Array, rate: number): number {
  const n = h.length;
  const edc = new Float64Array(n);
  let acc = 0;
  for (let i = n - 1; i >= 0; i--) {
    acc += h[i] * h[i];
    edc[i] = acc;
  }
  const total = edc[0];
  let sx = 0, sy = 0, sxx = 0, sxy = 0, m = 0;
  for (let i = 0; i < n; i++) {
    const db = 10 * Math.log10(edc[i] / total);
    if (db <= -5 && db >= -35) {
      const t = i / rate;
      sx += t;
      sy += db;
      sxx += t * t;
      sxy += t * db;
      m++;
    }
  }
  const slope = (m * sxy - sx * sy) / (m * sxx - sx * sx); // dB per second
  return -60 / slope;
}

/** One RealFft per transform size (its tables and work buffers), shared by all convolve calls. */
const fftBySize = new Map<number, RealFft>();

/**
 * Full linear convolution of x and h (length x.length + h.length − 1; empty when either is),
 * by FFT in float64: both zero-padded to the next power of two n >= that length, multiplied as
 * half spectra (n/2+1 bins, real input), transformed back by the inverse real FFT.
 */
export function convolve(x: Float32Array, h: Float32Array): Float32Array {
  if (x.length === 0 || h.length === 0) return new Float32Array(0);
  const outLen = x.length + h.length - 1;
  const n = Math.max(2, nextPow2(outLen));
  let f = fftBySize.get(n);
  if (!f) fftBySize.set(n, (f = new RealFft(n)));
  const bins = (n >> 1) + 1;
  const xr = new Float64Array(bins), xi = new Float64Array(bins);
  const hr = new Float64Array(bins), hi = new Float64Array(bins);
  f.transform(Float64Array.from(x), 0, x.length, xr, xi);
  f.transform(Float64Array.from(h), 0, h.length, hr, hi);
  for (let k = 0; k < bins; k++) {
    const r = xr[k] * hr[k] - xi[k] * hi[k];
    xi[k] = xr[k] * hi[k] + xi[k] * hr[k];
    xr[k] = r;
  }
  const y = new Float64Array(n);
  f.inverseTransform(xr, xi, y);
  return Float32Array.from(y.subarray(0, outLen));
}

/** Convolve with a seeded synthetic RIR; output keeps the input's length and RMS. */
export function reverb(signal: Float32Array, rate: number, opts: ReverbOptions): Float32Array {
  const h = makeRir(rate, opts);
  const y = convolve(signal, h).subarray(0, signal.length);
  const out = new Float32Array(y);
  const r0 = rms(signal), r1 = rms(out);
  if (r1 > 0) for (let i = 0; i < out.length; i++) out[i] *= r0 / r1;
  return out;
}
