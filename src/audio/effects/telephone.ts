/** Narrow-band telephone channel: band-pass, 8 kHz, G.711 µ-law, back to the input rate. */
import type { Rng } from '../../util/rng.ts';
import { resample } from '../resample.ts';
import { bandpass } from './biquad.ts';
import { mulawRoundTrip } from './mulaw.ts';

export interface TelephoneOptions {
  lowHz?: number;
  highHz?: number;
  /** Optional seeded jitter (± Hz) of the band edges, so each call differs a little. */
  edgeJitterHz?: number;
}

export function telephone(signal: Float32Array, rate: number, rng?: Rng, opts: TelephoneOptions = {}): Float32Array {
  let lo = opts.lowHz ?? 300;
  let hi = opts.highHz ?? 3400;
  const j = opts.edgeJitterHz ?? 0;
  if (rng && j > 0) {
    lo += (2 * rng.uniform() - 1) * j;
    hi += (2 * rng.uniform() - 1) * j * 4;
  }
  const band = bandpass(signal, rate, lo, hi);
  const narrow = resample(band, rate, 8000);
  const coded = mulawRoundTrip(narrow);
  const back = resample(coded, 8000, rate);
  return back.length === signal.length ? back : fitLength(back, signal.length);
}

function fitLength(x: Float32Array, n: number): Float32Array {
  const y = new Float32Array(n);
  y.set(x.subarray(0, Math.min(n, x.length)));
  return y;
}
