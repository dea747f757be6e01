/** Kaldi/sox-style speed perturbation: factor > 1 is faster (shorter, higher pitch). */
import { resample } from '../resample.ts';

export function speedPerturb(signal: Float32Array, factor: number): Float32Array {
  if (!(factor > 0)) throw new RangeError(`speedPerturb: factor must be > 0, got ${factor}`);
  if (factor === 1) return signal.slice();
  // Treat the signal as sampled at factor·R and resample to R (1/1000 resolution in the factor).
  const num = Math.round(factor * 1000);
  return resample(signal, num, 1000);
}
