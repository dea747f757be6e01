/**
 * SGLD in the units of a raw waveform. The step size and noise of the adaptation config are
 * stated for unit-scale inputs (normalised features). For a raw-waveform model (front end
 * featureType 'raw') with --sgld-scale auto, they are carried over to the waveform's scale s,
 * the standard deviation of the target waveforms: in x/s units the sampler then takes the same
 * steps, so α' = α·s² (∂E/∂x scales as 1/s) and σ' = σ·s ('langevin' noise follows α' by itself).
 * The buffer init and the clamp box are fitted to the data already, so they need nothing. Feature
 * front ends, and --sgld-scale none, keep the config as given.
 */
import type { FrontEnd } from '../model/frontend.ts';
import { ConfigError } from '../util/errors.ts';
import type { AdaptConfig } from './config.ts';

/** Standard deviation of every value of `x` (one number). */
export function globalStd(x: Float32Array): number {
  if (x.length === 0) throw new ConfigError('SGLD scale: no target values');
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  const m = s / x.length;
  let q = 0;
  for (let i = 0; i < x.length; i++) q += (x[i] - m) ** 2;
  return Math.sqrt(q / x.length);
}

/** The scale s the SGLD settings are carried over to (1: unchanged). */
export function sgldScaleFor(cfg: Pick<AdaptConfig, 'sgldScale'>, fe: Pick<FrontEnd, 'featureType'>, target: Float32Array): number {
  if (cfg.sgldScale === 'none' || fe.featureType !== 'raw') return 1;
  const s = globalStd(target);
  if (!(s > 0)) throw new ConfigError('SGLD scale: the target waveforms are silent (standard deviation 0); give --sgld-scale none and a step size of your own');
  return s;
}

/** cfg with its SGLD step size and noise in units of scale s. */
export function scaleSgldConfig(cfg: AdaptConfig, s: number): AdaptConfig {
  if (s === 1) return cfg;
  return { ...cfg, sgldStepSize: cfg.sgldStepSize * s * s, sgldNoise: cfg.sgldNoise === 'langevin' ? 'langevin' : cfg.sgldNoise * s };
}
