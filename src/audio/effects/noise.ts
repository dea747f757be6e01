/** Seeded noise generators and mixing at a given SNR. */
import type { Rng } from '../../util/rng.ts';

export type NoiseKind = 'white' | 'pink' | 'brown' | 'babble-like';

export function energy(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}

export function rms(x: Float32Array): number {
  return x.length === 0 ? 0 : Math.sqrt(energy(x) / x.length);
}

function normalizeRms(x: Float32Array, target = 1): Float32Array {
  const r = rms(x);
  if (r > 0) for (let i = 0; i < x.length; i++) x[i] *= target / r;
  return x;
}

export function whiteNoise(n: number, rng: Rng): Float32Array {
  return normalizeRms(rng.fillNormal(new Float32Array(n)));
}

/** Pink (1/f) noise: Paul Kellet's refined filter on white noise; unit RMS. */
export function pinkNoise(n: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
  for (let i = 0; i < n; i++) {
    const w = rng.normal();
    b0 = 0.99886 * b0 + w * 0.0555179;
    b1 = 0.99332 * b1 + w * 0.0750759;
    b2 = 0.969 * b2 + w * 0.153852;
    b3 = 0.8665 * b3 + w * 0.3104856;
    b4 = 0.55 * b4 + w * 0.5329522;
    b5 = -0.7616 * b5 - w * 0.016898;
    out[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
    b6 = w * 0.115926;
  }
  return normalizeRms(out);
}

/** Brown (1/f²) noise: leaky integral of white noise; unit RMS. */
export function brownNoise(n: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  let v = 0;
  for (let i = 0; i < n; i++) {
    v = 0.995 * v + rng.normal() * 0.1;
    out[i] = v;
  }
  return normalizeRms(out);
}

/**
 * Babble-like noise: several "talkers", each pink noise through a slowly moving resonance
 * (formant-like) with a syllable-rate (3–6 Hz) amplitude envelope; unit RMS. Assumes 16 kHz.
 */
export function babbleNoise(n: number, rng: Rng, rate = 16000, talkers = 6): Float32Array {
  const out = new Float32Array(n);
  for (let t = 0; t < talkers; t++) {
    const src = pinkNoise(n, rng);
    const syl = 3 + 3 * rng.uniform();
    const phase = rng.uniform() * 2 * Math.PI;
    const f0 = 300 + 1500 * rng.uniform();
    let y1 = 0, y2 = 0;
    for (let i = 0; i < n; i++) {
      const f = f0 * (1 + 0.3 * Math.sin((2 * Math.PI * 0.7 * i) / rate + phase));
      const r = 0.97;
      const c = 2 * r * Math.cos((2 * Math.PI * f) / rate);
      const y = (1 - r) * src[i] + c * y1 - r * r * y2;
      y2 = y1;
      y1 = y;
      const env = Math.max(0, Math.sin((2 * Math.PI * syl * i) / rate + phase));
      out[i] += y * env;
    }
  }
  return normalizeRms(out);
}

export function makeNoise(kind: NoiseKind, n: number, rng: Rng, rate = 16000): Float32Array {
  switch (kind) {
    case 'white':
      return whiteNoise(n, rng);
    case 'pink':
      return pinkNoise(n, rng);
    case 'brown':
      return brownNoise(n, rng);
    case 'babble-like':
      return babbleNoise(n, rng, rate);
  }
}

/**
 * signal + noise scaled so that 10·log10(E_signal / E_noise) = snrDb exactly (energies over the
 * signal's length). A noise array shorter than the signal is looped; a longer one is cut at a
 * seeded random offset. Returns a new array; the signal is not modified.
 */
export function addNoiseAtSnr(
  signal: Float32Array,
  noise: Float32Array | NoiseKind,
  snrDb: number,
  rng: Rng,
  rate = 16000,
): Float32Array {
  const n = signal.length;
  let seg: Float32Array;
  if (typeof noise === 'string') seg = makeNoise(noise, n, rng, rate);
  else {
    if (noise.length === 0) throw new RangeError('addNoiseAtSnr: empty noise array');
    seg = new Float32Array(n);
    const off = noise.length > n ? rng.int(noise.length - n + 1) : 0;
    for (let i = 0; i < n; i++) seg[i] = noise[(off + i) % noise.length];
  }
  const es = energy(signal);
  const en = energy(seg);
  const out = new Float32Array(n);
  if (en === 0 || es === 0) {
    out.set(signal);
    return out;
  }
  const k = Math.sqrt(es / (en * Math.pow(10, snrDb / 10)));
  for (let i = 0; i < n; i++) out[i] = signal[i] + k * seg[i];
  return out;
}
