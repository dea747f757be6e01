/**
 * Import Google Speech Commands v2 from disk into Kaldi data dirs OUT/train, OUT/dev, OUT/test.
 *
 * Layout: ROOT/<word>/<hash>_nohash_<n>.wav, ROOT/validation_list.txt and ROOT/testing_list.txt
 * (lines `word/file.wav`) pick dev and test, everything else is train. 12 classes: the ten
 * keywords map to themselves, other words to `_unknown_`, and ROOT/_background_noise_/*.wav are
 * cut into consecutive 1-s `_silence_` clips (written as 16-bit 16 kHz WAVs under
 * OUT/silence_clips; each clip goes to dev, test or train by a hash of its id, 10/10/80).
 * The speaker is the hash prefix of the file name; utterance ids are `<hash>-<n>-<8 hex digits of
 * a hash of word/file>` so the id does not spell out the label.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import wavefile from 'wavefile';
import { AudioError, DataError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { hashString } from '../util/rng.ts';
import { log } from '../util/log.ts';
import { spk2uttFromUtt2spk, writeDataDir, type DataDir } from './datadir.ts';

const { WaveFile } = wavefile;

export const KEYWORDS = ['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go'] as const;
export const UNKNOWN = '_unknown_';
export const SILENCE = '_silence_';
export const SPEECH_COMMANDS_LABELS = [...KEYWORDS, UNKNOWN, SILENCE];
const BACKGROUND = '_background_noise_';
const RATE = 16000;

export type Split = 'train' | 'dev' | 'test';

export interface PrepareSpeechCommandsOptions {
  /** At most this many 1-s silence clips per background-noise file (default: all of them). */
  maxSilenceClipsPerFile?: number;
}

export interface PrepareSpeechCommandsSummary {
  /** Utterances per split and label. */
  counts: Record<Split, Record<string, number>>;
  silenceClips: number;
}

/** The 12-class label of a Speech Commands word. */
export function mapLabel(word: string): string {
  return (KEYWORDS as readonly string[]).includes(word) ? word : UNKNOWN;
}

function readList(file: string): Set<string> {
  if (!fs.existsSync(file)) throw new DataError(file, undefined, 'missing (Speech Commands v2 ships validation_list.txt and testing_list.txt)');
  const out = new Set<string>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const t = line.trim();
    if (t !== '') out.add(t.replace(/\\/g, '/'));
  }
  return out;
}

function hex8(s: string): string {
  return hashString(s).toString(16).padStart(8, '0');
}

function emptySplit(): DataDir {
  return { dir: '', wavScp: new Map(), utt2spk: new Map(), spk2utt: new Map(), utt2label: new Map() };
}

/** Mono int16 samples at 16 kHz from a WAV file. */
function readNoise(file: string): Int16Array {
  let wav: InstanceType<typeof WaveFile>;
  try {
    wav = new WaveFile(fs.readFileSync(file));
    const fmt = wav.fmt as { sampleRate: number; numChannels: number };
    if ((wav as unknown as { bitDepth: string }).bitDepth !== '16') wav.toBitDepth('16');
    if (fmt.sampleRate !== RATE) {
      log(`${file}: resampling ${fmt.sampleRate} Hz to ${RATE} Hz`);
      wav.toSampleRate(RATE);
    }
    const s = wav.getSamples(false, Int16Array) as unknown as Int16Array | Int16Array[];
    if (!Array.isArray(s)) return s;
    log(`${file}: downmixing ${s.length} channels`);
    const out = new Int16Array(s[0].length);
    for (let i = 0; i < out.length; i++) {
      let acc = 0;
      for (const ch of s) acc += ch[i];
      out[i] = Math.round(acc / s.length);
    }
    return out;
  } catch (e) {
    if (e instanceof AudioError) throw e;
    throw new AudioError(file, `cannot read background noise WAV: ${(e as Error).message}`, undefined, { cause: e });
  }
}

function splitOfClip(id: string): Split {
  const h = hashString(id) % 10;
  return h === 0 ? 'dev' : h === 1 ? 'test' : 'train';
}

export function prepareSpeechCommands(root: string, out: string, opts: PrepareSpeechCommandsOptions = {}): PrepareSpeechCommandsSummary {
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new DataError(root, undefined, 'not a directory');
  const devList = readList(path.join(root, 'validation_list.txt'));
  const testList = readList(path.join(root, 'testing_list.txt'));
  const splits: Record<Split, DataDir> = { train: emptySplit(), dev: emptySplit(), test: emptySplit() };
  const add = (split: Split, utt: string, spk: string, wav: string, label: string, src: string) => {
    const d = splits[split];
    if (d.wavScp.has(utt)) throw new DataError(src, undefined, `utterance id '${utt}' collides with another file (${d.wavScp.get(utt)})`);
    d.wavScp.set(utt, wav);
    d.utt2spk.set(utt, spk);
    d.utt2label!.set(utt, label);
  };

  const words = fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== BACKGROUND)
    .map((e) => e.name)
    .sort();
  if (words.length === 0) throw new DataError(root, undefined, 'no word folders found (expected ROOT/<word>/*.wav)');
  for (const word of words) {
    const files = fs.readdirSync(path.join(root, word)).filter((f) => f.toLowerCase().endsWith('.wav')).sort();
    for (const f of files) {
      const rel = `${word}/${f}`;
      const m = /^([0-9A-Za-z]+)_nohash_(\d+)\.wav$/i.exec(f);
      if (!m) throw new DataError(path.join(root, rel), undefined, "file name is not '<hash>_nohash_<n>.wav'");
      const spk = m[1];
      const utt = `${spk}-${m[2]}-${hex8(rel)}`;
      const split: Split = testList.has(rel) ? 'test' : devList.has(rel) ? 'dev' : 'train';
      add(split, utt, spk, path.resolve(root, rel), mapLabel(word), path.join(root, rel));
    }
  }

  let silenceClips = 0;
  const bgDir = path.join(root, BACKGROUND);
  if (fs.existsSync(bgDir)) {
    const clipDir = path.join(out, 'silence_clips');
    const noises = fs.readdirSync(bgDir).filter((f) => f.toLowerCase().endsWith('.wav')).sort();
    for (const f of noises) {
      const samples = readNoise(path.join(bgDir, f));
      const name = f.replace(/\.wav$/i, '').replace(/[^A-Za-z0-9_]/g, '_');
      const spk = `bg_${name}`;
      let n = Math.floor(samples.length / RATE);
      if (opts.maxSilenceClipsPerFile !== undefined) n = Math.min(n, opts.maxSilenceClipsPerFile);
      for (let i = 0; i < n; i++) {
        const utt = `${spk}-${String(i).padStart(4, '0')}`;
        const wav = new WaveFile();
        wav.fromScratch(1, RATE, '16', samples.slice(i * RATE, (i + 1) * RATE));
        const file = path.resolve(clipDir, `${utt}.wav`);
        writeFileAtomic(file, wav.toBuffer());
        add(splitOfClip(utt), utt, spk, file, SILENCE, path.join(bgDir, f));
        silenceClips++;
      }
    }
  } else {
    log(`${bgDir} not found: no ${SILENCE} clips`);
  }

  const counts = { train: {}, dev: {}, test: {} } as Record<Split, Record<string, number>>;
  for (const split of ['train', 'dev', 'test'] as Split[]) {
    const d = splits[split];
    d.dir = path.join(out, split);
    d.spk2utt = spk2uttFromUtt2spk(d.utt2spk);
    writeDataDir(d.dir, d);
    for (const l of d.utt2label!.values()) counts[split][l] = (counts[split][l] ?? 0) + 1;
  }
  return { counts, silenceClips };
}
