/**
 * Kaldi feature options with Kaldi's kebab-case names and defaults (compute-mfcc-feats /
 * compute-fbank-feats), except fbank's num-mel-bins (40, see FBANK_DEFAULTS) and `dither`: Kaldi defaults to 1.0, jemda to 0 so that features are
 * deterministic unless asked otherwise (pass `--dither 1 --seed N` for Kaldi's behaviour; the
 * dither noise then comes from a seeded Rng).
 */
import { nextPow2 } from '../audio/fft.ts';
import { ConfigError } from '../util/errors.ts';

export type WindowType = 'povey' | 'hamming' | 'hanning' | 'rectangular' | 'blackman';
export type SpectrumBackend = 'fft' | 'meyda';

export interface FrameOptions {
  'sample-frequency': number;
  'frame-length': number; // ms
  'frame-shift': number; // ms
  'snip-edges': boolean;
  dither: number;
  'remove-dc-offset': boolean;
  'preemphasis-coefficient': number;
  'window-type': WindowType;
  'blackman-coeff': number;
  'round-to-power-of-two': boolean;
}

export interface MelOptions {
  'num-mel-bins': number;
  'low-freq': number;
  /** <= 0: offset from Nyquist. */
  'high-freq': number;
}

export interface CommonOptions extends FrameOptions, MelOptions {
  'use-energy': boolean;
  'raw-energy': boolean;
  'energy-floor': number;
  /** Not a Kaldi option: which power spectrum implementation to use. */
  spectrum: SpectrumBackend;
  /** Not a Kaldi option: seed of the dither noise. */
  seed: number;
}

export interface MfccOptions extends CommonOptions {
  'num-ceps': number;
  'cepstral-lifter': number;
}

export interface FbankOptions extends CommonOptions {
  'use-log-fbank': boolean;
  'use-power': boolean;
}

const FRAME_DEFAULTS: FrameOptions = {
  'sample-frequency': 16000,
  'frame-length': 25,
  'frame-shift': 10,
  'snip-edges': true,
  dither: 0,
  'remove-dc-offset': true,
  'preemphasis-coefficient': 0.97,
  'window-type': 'povey',
  'blackman-coeff': 0.42,
  'round-to-power-of-two': true,
};

const COMMON_DEFAULTS: CommonOptions = {
  ...FRAME_DEFAULTS,
  'num-mel-bins': 23,
  'low-freq': 20,
  'high-freq': 0,
  'use-energy': false,
  'raw-energy': true,
  'energy-floor': 0,
  spectrum: 'fft',
  seed: 0,
};

export const MFCC_DEFAULTS: MfccOptions = { ...COMMON_DEFAULTS, 'num-ceps': 13, 'cepstral-lifter': 22 };
/** Fbank defaults are Kaldi's except num-mel-bins: 40 (jemda's agreed front end; Kaldi's binary defaults to 23). */
export const FBANK_DEFAULTS: FbankOptions = { ...COMMON_DEFAULTS, 'num-mel-bins': 40, 'use-log-fbank': true, 'use-power': true };

const WINDOWS: readonly WindowType[] = ['povey', 'hamming', 'hanning', 'rectangular', 'blackman'];

function camelToKebab(k: string): string {
  return k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/**
 * Merge user options (kebab-case or camelCase keys; values as numbers, booleans or strings such
 * as "true"/"25") over `defaults`, validating each. Unknown keys are a ConfigError.
 */
export function resolveOptions<T extends CommonOptions>(
  defaults: T,
  user: Record<string, unknown> | undefined,
  source = 'feature options',
): T {
  const out: Record<string, unknown> = { ...(defaults as unknown as Record<string, unknown>) };
  for (const [k0, v] of Object.entries(user ?? {})) {
    if (v === undefined) continue;
    const k = camelToKebab(k0);
    if (!(k in defaults)) throw new ConfigError(`${source}: unknown option '${k}' (known: ${Object.keys(defaults).join(', ')})`);
    const d = (defaults as Record<string, unknown>)[k];
    if (typeof d === 'number') {
      const n = typeof v === 'number' ? v : Number(v);
      if (!Number.isFinite(n)) throw new ConfigError(`${source}: option '${k}' must be a number, got '${String(v)}'`);
      out[k] = n;
    } else if (typeof d === 'boolean') {
      if (typeof v === 'boolean') out[k] = v;
      else if (v === 'true' || v === '1' || v === 1) out[k] = true;
      else if (v === 'false' || v === '0' || v === 0) out[k] = false;
      else throw new ConfigError(`${source}: option '${k}' must be true or false, got '${String(v)}'`);
    } else {
      out[k] = String(v);
    }
  }
  const o = out as unknown as T;
  if (!WINDOWS.includes(o['window-type'])) throw new ConfigError(`${source}: window-type must be one of ${WINDOWS.join(', ')}, got '${o['window-type']}'`);
  if (o.spectrum !== 'fft' && o.spectrum !== 'meyda') throw new ConfigError(`${source}: spectrum must be fft or meyda, got '${String(o.spectrum)}'`);
  if (!(o['sample-frequency'] > 0)) throw new ConfigError(`${source}: sample-frequency must be > 0`);
  if (!(o['frame-length'] > 0) || !(o['frame-shift'] > 0)) throw new ConfigError(`${source}: frame-length and frame-shift must be > 0`);
  if (!(o['num-mel-bins'] >= 3)) throw new ConfigError(`${source}: num-mel-bins must be >= 3`);
  if (o.dither < 0) throw new ConfigError(`${source}: dither must be >= 0`);
  if (o['energy-floor'] < 0) throw new ConfigError(`${source}: energy-floor must be >= 0`);
  if ('num-ceps' in o) {
    const m = o as unknown as MfccOptions;
    if (!(m['num-ceps'] >= 1) || m['num-ceps'] > m['num-mel-bins'])
      throw new ConfigError(`${source}: num-ceps must be in 1..num-mel-bins (${m['num-mel-bins']}), got ${m['num-ceps']}`);
  }
  return o;
}

/** Window length and shift in samples, and the FFT size (Kaldi's FrameExtractionOptions). */
export function frameGeometry(o: FrameOptions): { windowSize: number; windowShift: number; paddedSize: number } {
  const windowSize = Math.trunc(o['sample-frequency'] * 0.001 * o['frame-length']);
  const windowShift = Math.trunc(o['sample-frequency'] * 0.001 * o['frame-shift']);
  const paddedSize = o['round-to-power-of-two'] ? nextPow2(windowSize) : windowSize;
  return { windowSize, windowShift, paddedSize };
}
