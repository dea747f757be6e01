/**
 * The corpus plan: every utterance fully specified (id, speaker, word, voice configuration,
 * channel, per-utterance seed) before any audio is made, so that generation in any order or on
 * any number of workers gives identical files.
 */
import { Rng, hashString } from '../util/rng.ts';
import type { VoiceConfig } from './engines/types.ts';
import {
  CHANNELS, DATASETS, ESPEAK_BASES, ESPEAK_JITTER, FARFIELD_VARIANTS, FLITE_STRETCH, FLITE_VOICES, GNUSPEECH_PITCH,
  GNUSPEECH_TEMPO, GNUSPEECH_VOICES, KEYWORDS, LABELS, NOISY_VARIANTS, PHONENOISE_VARIANTS, SILENCE, SIZES,
  SOURCE_VARIANTS, SPEED_FACTORS, SPEED_VARIANTS, TELEPHONE_VARIANTS, UNKNOWN, UNKNOWN_WORDS, type CorpusSize,
  type Dataset, type Domain,
} from './spec.ts';

export type Channel = 'clean' | 'telephone' | 'noisy' | 'farfield' | 'phonenoise';

export interface UttJob {
  utt: string;
  spk: string;
  dataset: Dataset;
  domain: Domain;
  label: string;
  /** The word spoken (the keyword, an `_unknown_` word, or `_silence_`). */
  word: string;
  /** Undefined for `_silence_` clips. */
  voice?: VoiceConfig;
  channel: Channel;
  /** Speed-perturbation factor applied to the synthesized word (speed domain only). */
  speed?: number;
  /** Per-utterance seed: hashString(utt) ^ corpus seed. */
  seed: number;
}

interface Speaker {
  id: string;
  voice: VoiceConfig;
}

const pad = (n: number, w: number) => String(Math.round(n)).padStart(w, '0');

function espeakSpeakers(combos: string[], perCombo: number, rng: Rng): Speaker[] {
  const out: Speaker[] = [];
  for (const voice of combos) {
    for (let k = 0; k < perCombo; k++) {
      const rate = Math.round(ESPEAK_JITTER.rate[0] + (ESPEAK_JITTER.rate[1] - ESPEAK_JITTER.rate[0]) * rng.uniform());
      const pitch = Math.round(ESPEAK_JITTER.pitch[0] + (ESPEAK_JITTER.pitch[1] - ESPEAK_JITTER.pitch[0]) * rng.uniform());
      out.push({ id: `espeak-${voice}-r${pad(rate, 3)}-p${pad(pitch, 3)}`, voice: { engine: 'espeak', voice, rate, pitch } });
    }
  }
  return out;
}

/** Source combos (base+variant) split into train/dev/test with a seeded shuffle (70/15/15). */
export function sourceCombos(seed: number): Record<'train' | 'dev' | 'test', string[]> {
  const all: string[] = [];
  for (const b of ESPEAK_BASES) for (const v of SOURCE_VARIANTS) all.push(`${b}+${v}`);
  new Rng((seed ^ 0x5eed5) >>> 0).shuffle(all);
  const nDev = Math.round(all.length * 0.15);
  const nTest = Math.round(all.length * 0.15);
  return { dev: all.slice(0, nDev), test: all.slice(nDev, nDev + nTest), train: all.slice(nDev + nTest) };
}

function speakersFor(ds: Dataset, seed: number): { speakers: Speaker[]; domain: Domain; channel: Channel } {
  const rng = new Rng((seed ^ hashString(`speakers:${ds}`)) >>> 0);
  const part = ds.endsWith('_test') ? 'test' : 'adapt';
  if (ds.startsWith('source_')) {
    const combos = sourceCombos(seed)[ds.slice('source_'.length) as 'train' | 'dev' | 'test'];
    return { speakers: espeakSpeakers(combos, 2, rng), domain: 'source', channel: 'clean' };
  }
  const espeakDomains = {
    telephone: [TELEPHONE_VARIANTS, 'telephone'],
    noisy: [NOISY_VARIANTS, 'noisy'],
    farfield: [FARFIELD_VARIANTS, 'farfield'],
    speed: [SPEED_VARIANTS, 'clean'],
    phonenoise: [PHONENOISE_VARIANTS, 'phonenoise'],
  } as const;
  const dom = ds.slice(0, ds.lastIndexOf('_'));
  if (dom in espeakDomains) {
    const [variants, channel] = espeakDomains[dom as keyof typeof espeakDomains];
    const combos: string[] = [];
    for (const b of ESPEAK_BASES) for (const v of variants[part]) combos.push(`${b}+${v}`);
    return { speakers: espeakSpeakers(combos, 1, rng), domain: dom as Domain, channel };
  }
  if (ds.startsWith('flite_')) {
    const speakers: Speaker[] = [];
    for (const v of FLITE_VOICES) {
      for (const s of FLITE_STRETCH[part]) speakers.push({ id: `flite-${v}-s${pad(s * 100, 3)}`, voice: { engine: 'flite', voice: v, stretch: s } });
    }
    return { speakers, domain: 'flite', channel: 'clean' };
  }
  const speakers: Speaker[] = [];
  for (const v of GNUSPEECH_VOICES) {
    for (const t of GNUSPEECH_TEMPO[part]) {
      for (const p of GNUSPEECH_PITCH[part]) {
        const id = `gnuspeech-${v.replace('_', '')}-t${pad(t * 100, 3)}-p${p < 0 ? 'm' : ''}${Math.abs(p)}`;
        speakers.push({ id, voice: { engine: 'gnuspeech', voice: v, tempo: t, pitchOffset: p, seed: 0 } });
      }
    }
  }
  return { speakers, domain: 'gnuspeech', channel: 'clean' };
}

/** Every utterance of the corpus, in generation order (data set, class, index). */
export function makePlan(size: CorpusSize, seed: number): UttJob[] {
  const jobs: UttJob[] = [];
  for (const ds of DATASETS) {
    const { speakers, domain, channel } = speakersFor(ds, seed);
    const rng = new Rng((seed ^ hashString(`plan:${ds}`)) >>> 0);
    const n = SIZES[size][ds];
    for (const label of LABELS) {
      for (let k = 0; k < n; k++) {
        let word: string;
        let spk: string;
        let voice: VoiceConfig | undefined;
        if (label === SILENCE) {
          word = SILENCE;
          spk = `noise-${domain}-${k % 4}`;
        } else {
          word = label === UNKNOWN ? UNKNOWN_WORDS[rng.int(UNKNOWN_WORDS.length)] : label;
          const s = speakers[rng.int(speakers.length)];
          spk = s.id;
          voice = s.voice;
        }
        const utt = `${spk}_${word}_${ds.split('_')[1]}${pad(k, 4)}`;
        const uttSeed = (hashString(utt) ^ seed) >>> 0;
        if (voice && voice.engine === 'gnuspeech') voice = { ...voice, seed: uttSeed };
        const job: UttJob = { utt, spk, dataset: ds, domain, label, word, voice, channel, seed: uttSeed };
        if (domain === 'speed' && voice) {
          const [lo, hi] = SPEED_FACTORS[rng.int(SPEED_FACTORS.length)];
          job.speed = Math.round(1000 * (lo + (hi - lo) * rng.uniform())) / 1000;
        }
        jobs.push(job);
      }
    }
  }
  return jobs;
}

export { KEYWORDS, CHANNELS };
