/**
 * Learning-rate schedule: linear warmup from 0 to `lr` over `warmupSteps`, then decay to
 * `lr · minRatio` at `totalSteps`:
 *   cosine:      lr·(minRatio + (1 − minRatio)·½(1 + cos(π·p))),  p = (step − warmup)/(total − warmup)
 *   exponential: lr·minRatio^p
 *   constant:    lr
 * `step` counts from 0 (the first update uses lrAt(0)); warmup step s uses lr·(s+1)/warmupSteps.
 */
import { ConfigError } from '../util/errors.ts';

export type DecayKind = 'cosine' | 'exponential' | 'constant';

export interface LrSchedule {
  lr: number;
  warmupSteps: number;
  totalSteps: number;
  decay: DecayKind;
  /** Final LR as a fraction of `lr` (default 0.01). */
  minRatio?: number;
}

export function checkSchedule(s: LrSchedule): void {
  if (!(s.lr > 0)) throw new ConfigError(`learning rate must be > 0, got ${s.lr}`);
  if (!(s.warmupSteps >= 0) || !(s.totalSteps > 0)) throw new ConfigError(`bad schedule steps: warmup ${s.warmupSteps}, total ${s.totalSteps}`);
  if (!['cosine', 'exponential', 'constant'].includes(s.decay)) throw new ConfigError(`lr decay must be cosine, exponential or constant, got '${s.decay}'`);
  const r = s.minRatio ?? 0.01;
  if (!(r > 0 && r <= 1)) throw new ConfigError(`lr min ratio must be in (0, 1], got ${r}`);
}

export function lrAt(step: number, s: LrSchedule): number {
  if (step < s.warmupSteps) return (s.lr * (step + 1)) / s.warmupSteps;
  const minRatio = s.minRatio ?? 0.01;
  const span = Math.max(1, s.totalSteps - s.warmupSteps);
  const p = Math.min(1, Math.max(0, (step - s.warmupSteps) / span));
  switch (s.decay) {
    case 'constant':
      return s.lr;
    case 'exponential':
      return s.lr * Math.pow(minRatio, p);
    case 'cosine':
      return s.lr * (minRatio + (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * p)));
  }
}
