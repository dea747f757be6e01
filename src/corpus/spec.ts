/**
 * The `synth_kws` corpus specification: classes, words, voices per domain, channel-effect
 * strengths and sizes. Everything a recipe might want to tune lives here.
 */

export const KEYWORDS = ['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go'] as const;
export const UNKNOWN = '_unknown_';
export const SILENCE = '_silence_';
export const LABELS: readonly string[] = [...KEYWORDS, UNKNOWN, SILENCE];

/** Words spoken for the `_unknown_` class (Speech Commands' auxiliary words). */
export const UNKNOWN_WORDS = [
  'bed', 'bird', 'cat', 'dog', 'happy', 'house', 'marvin', 'sheila', 'tree', 'wow',
  'zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine',
  'backward', 'forward', 'follow', 'learn', 'visual',
];

export const DOMAINS = ['source', 'flite', 'gnuspeech', 'telephone', 'noisy', 'farfield', 'speed', 'phonenoise'] as const;
export type Domain = (typeof DOMAINS)[number];
/**
 * Target domains, each a different kind of shift from the clean eSpeak source:
 * - flite, gnuspeech: other synthesizers (speaker/vocoder shift);
 * - telephone: narrow band + µ-law; noisy: reverb + additive noise at 0–10 dB;
 * - farfield: a large reverberant room (long RT60, mostly late energy), no added noise;
 * - speed: eSpeak variants not in the source, speed-perturbed (tempo and pitch move together);
 * - phonenoise: a mixed channel, telephone band + µ-law with noise at 10–20 dB SNR.
 */
export const TARGET_DOMAINS = ['flite', 'gnuspeech', 'telephone', 'noisy', 'farfield', 'speed', 'phonenoise'] as const;

export type TargetDomain = (typeof TARGET_DOMAINS)[number];
export type Dataset = 'source_train' | 'source_dev' | 'source_test' | `${TargetDomain}_adapt` | `${TargetDomain}_test`;

/** The data sets written, in generation order: the source splits, then each target domain's adapt and test sets. */
export const DATASETS: readonly Dataset[] = [
  'source_train', 'source_dev', 'source_test',
  ...TARGET_DOMAINS.flatMap((d) => [`${d}_adapt`, `${d}_test`] as const),
];

/** eSpeak-NG English voices (all in the emscripten build). */
export const ESPEAK_BASES = [
  'en', 'en-us', 'en-gb-x-rp', 'en-029', 'en-gb-scotland', 'en-gb-x-gbclan', 'en-gb-x-gbcwmd', 'en-us-nyc',
];
/** Variants for the source domain (split into train/dev/test configurations). */
export const SOURCE_VARIANTS = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'f1', 'f2', 'f3', 'f4'];
/** Variants never used in source: telephone gets the first list, noisy the second (adapt/test halves). */
export const TELEPHONE_VARIANTS = {
  adapt: ['m8', 'f5', 'adam', 'linda', 'max'],
  test: ['benjamin', 'steph', 'john', 'klatt', 'Annie'],
};
export const NOISY_VARIANTS = {
  adapt: ['david', 'belinda', 'ian', 'paul', 'klatt2'],
  test: ['edward', 'aunty', 'norbert', 'quincy', 'victor'],
};

/** farfield: eSpeak variants not used in source, telephone or noisy. */
export const FARFIELD_VARIANTS = {
  adapt: ['klatt3', 'mike2', 'robert', 'shelby', 'travis'],
  test: ['klatt4', 'rob', 'sandro', 'pablo', 'iven2'],
};
/** speed: eSpeak variants used nowhere else; each utterance speed-perturbed by a factor in SPEED_FACTORS. */
export const SPEED_VARIANTS = {
  adapt: ['Andy', 'Denis', 'Gene', 'iven', 'grandpa'],
  test: ['Lee', 'Mario', 'Michael', 'zac', 'grandma'],
};
/** Speed factors (>1 faster and higher): slow or fast, never near 1; adapt and test use the same ranges. */
export const SPEED_FACTORS: [number, number][] = [[0.6, 0.7], [1.4, 1.55]];
/** phonenoise: eSpeak variants used nowhere else. */
export const PHONENOISE_VARIANTS = {
  adapt: ['caleb', 'ed', 'gustave', 'marcelo', 'miguel'],
  test: ['michel', 'pedro', 'antonio', 'boris', 'iven3'],
};

/** eSpeak rate (wpm) and pitch (0–99) jitter ranges per speaker configuration. */
export const ESPEAK_JITTER = { rate: [140, 210] as [number, number], pitch: [25, 75] as [number, number] };

export const FLITE_VOICES = ['slt', 'rms', 'awb', 'kal16'] as const;
/** Flite duration stretch per configuration: adapt and test use disjoint values. */
export const FLITE_STRETCH = { adapt: [0.9, 1.1], test: [1.0, 1.2] };

export const GNUSPEECH_VOICES = ['male', 'female', 'large_child', 'small_child'] as const;
export const GNUSPEECH_TEMPO = { adapt: [0.9, 1.15], test: [1.0, 1.3] };
/** Semitone offsets from GnuSpeech's default pitch_offset (-4): adapt and test disjoint. */
export const GNUSPEECH_PITCH = { adapt: [-5, -2], test: [-4, -1] };

/** Channel effect strengths (exposed for tuning how large the shift is). */
type NoiseName = 'white' | 'pink' | 'babble-like';
export interface ChannelSpec {
  telephone: { lowHz: number; highHz: number; edgeJitterHz: number };
  noisy: { rt60: [number, number]; wet: [number, number]; snrDb: [number, number]; noises: NoiseName[] };
  farfield: { rt60: [number, number]; wet: [number, number] };
  phonenoise: { lowHz: number; highHz: number; edgeJitterHz: number; snrDb: [number, number]; noises: NoiseName[] };
}
export const CHANNELS: ChannelSpec = {
  telephone: { lowHz: 300, highHz: 3400, edgeJitterHz: 40 },
  noisy: { rt60: [0.2, 0.6], wet: [0.3, 0.8], snrDb: [0, 10], noises: ['white', 'pink', 'babble-like'] },
  farfield: { rt60: [0.8, 1.4], wet: [1.0, 2.0] },
  phonenoise: { lowHz: 200, highHz: 3800, edgeJitterHz: 40, snrDb: [10, 20], noises: ['pink', 'babble-like'] },
};

/** `_silence_` clip level (dBFS RMS) range. */
export const SILENCE_LEVEL_DB: [number, number] = [-60, -35];

export type CorpusSize = 'tiny' | 'default';

/** Utterances per class for each data set. */
export const SIZES: Record<CorpusSize, Record<Dataset, number>> = {
  tiny: {
    source_train: 3, source_dev: 2, source_test: 2,
    flite_adapt: 2, flite_test: 2, gnuspeech_adapt: 2, gnuspeech_test: 2,
    telephone_adapt: 2, telephone_test: 2, noisy_adapt: 2, noisy_test: 2,
    farfield_adapt: 2, farfield_test: 2, speed_adapt: 2, speed_test: 2, phonenoise_adapt: 2, phonenoise_test: 2,
  },
  default: {
    source_train: 100, source_dev: 20, source_test: 25,
    flite_adapt: 30, flite_test: 25, gnuspeech_adapt: 30, gnuspeech_test: 25,
    telephone_adapt: 30, telephone_test: 25, noisy_adapt: 30, noisy_test: 25,
    farfield_adapt: 30, farfield_test: 25, speed_adapt: 30, speed_test: 25, phonenoise_adapt: 30, phonenoise_test: 25,
  },
};

export const SAMPLE_RATE = 16000;
export const CLIP_SAMPLES = 16000;
