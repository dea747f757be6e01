/**
 * Wave-level augmentation before feature extraction: a few precomputed copies per utterance
 * (so epochs stay fast): speed perturbation (default factors 0.9 and 1.1) and additive noise at a
 * moderate SNR drawn uniformly from [snrLo, snrHi] dB with a random noise colour.
 */
import type { Rng } from '../util/rng.ts';
import { addNoiseAtSnr, speedPerturb, type NoiseKind } from './effects/index.ts';

export interface WaveAugmentOptions {
  speeds: number[];
  /** Number of noisy copies per utterance (each of a random speed among 1 and `speeds`). */
  noiseCopies: number;
  snrLo: number;
  snrHi: number;
  noiseKinds: NoiseKind[];
}

export const DEFAULT_WAVE_AUGMENT: WaveAugmentOptions = { speeds: [0.9, 1.1], noiseCopies: 1, snrLo: 10, snrHi: 25, noiseKinds: ['white', 'pink', 'brown', 'babble-like'] };

/** The augmented copies of one utterance (the original is NOT included). */
export function waveCopies(samples: Float32Array, rate: number, o: WaveAugmentOptions, rng: Rng): Float32Array[] {
  const out: Float32Array[] = [];
  for (const s of o.speeds) out.push(speedPerturb(samples, s));
  for (let k = 0; k < o.noiseCopies; k++) {
    const speeds = [1, ...o.speeds];
    const s = speeds[rng.int(speeds.length)];
    const base = s === 1 ? samples : speedPerturb(samples, s);
    const snr = o.snrLo + (o.snrHi - o.snrLo) * rng.uniform();
    const kind = o.noiseKinds[rng.int(o.noiseKinds.length)];
    out.push(addNoiseAtSnr(base, kind, snr, rng, rate));
  }
  return out;
}
