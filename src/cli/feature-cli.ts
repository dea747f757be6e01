/**
 * Kaldi feature options as yargs options (shared by compute-mfcc and compute-fbank). No yargs
 * defaults are set: an option not given keeps the library default (shown in --help), so Kaldi
 * `--config` files and the command line override exactly what they name.
 */
import type { Argv } from 'yargs';
import { FBANK_DEFAULTS, MFCC_DEFAULTS } from '../features/options.ts';

const DESCRIBE: Record<string, string> = {
  'sample-frequency': 'waveform sample rate (Hz); other rates are resampled',
  'frame-length': 'frame length in ms',
  'frame-shift': 'frame shift in ms',
  'snip-edges': 'only whole frames inside the signal (Kaldi); false: centred frames with reflected edges',
  dither: 'Gaussian dither amount (Kaldi default 1; jemda default 0 for deterministic features; seeded by --seed)',
  'remove-dc-offset': 'subtract each frame\'s mean',
  'preemphasis-coefficient': 'pre-emphasis coefficient',
  'window-type': 'povey | hamming | hanning | rectangular | blackman',
  'blackman-coeff': 'constant of the blackman window',
  'round-to-power-of-two': 'zero-pad frames to a power-of-two FFT size',
  'num-mel-bins': 'number of triangular mel bins',
  'low-freq': 'low cutoff of the mel bins (Hz)',
  'high-freq': 'high cutoff (Hz); <= 0 is an offset from Nyquist',
  'use-energy': 'mfcc: replace c0 by log-energy; fbank: prepend log-energy as column 0',
  'raw-energy': 'energy before pre-emphasis and window',
  'energy-floor': 'floor on the energy (absolute, not log); 0 = none',
  'num-ceps': 'number of cepstra (mfcc)',
  'cepstral-lifter': 'cepstral lifter coefficient Q (0 = none) (mfcc)',
  'use-log-fbank': 'log of the mel energies (fbank)',
  'use-power': 'power spectrum rather than magnitude (fbank)',
  spectrum: 'power spectrum implementation: fft (built-in real FFT, fast) or meyda',
};

export function featureOptionKeys(type: 'mfcc' | 'fbank'): string[] {
  return Object.keys(type === 'mfcc' ? MFCC_DEFAULTS : FBANK_DEFAULTS).filter((k) => k !== 'seed');
}

export function addFeatureOptions<T>(y: Argv<T>, type: 'mfcc' | 'fbank'): Argv<T> {
  const defaults = (type === 'mfcc' ? MFCC_DEFAULTS : FBANK_DEFAULTS) as unknown as Record<string, unknown>;
  let a = y;
  for (const k of featureOptionKeys(type)) {
    const d = defaults[k];
    const kind = typeof d === 'boolean' ? 'boolean' : typeof d === 'number' ? 'number' : 'string';
    a = a.option(k, { type: kind, describe: `${DESCRIBE[k] ?? k} [default: ${String(d)}]`, group: 'Feature options (Kaldi):' }) as Argv<T>;
  }
  return a;
}

/** The feature options present in parsed argv (kebab-case keys). */
export function pickFeatureOptions(argv: Record<string, unknown>, type: 'mfcc' | 'fbank'): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of featureOptionKeys(type)) if (argv[k] !== undefined) out[k] = argv[k];
  return out;
}
