/**
 * A labeled data dir → model-input examples, computed with the model's own front end: from
 * feats.scp when the dir has one, else from wav.scp (resampled to the front end's rate; Kaldi
 * segments honoured). Labels (utt2label, else text) must all be in the model's label set — checked
 * before any audio is read.
 */
import { readDataDir, utterances, type DataDir } from '../data/datadir.ts';
import { readMatrixAt } from '../data/kaldi-io.ts';
import { loadUtterance, sliceSeconds } from '../audio/load.ts';
import { frontEndInput, frontEndInputFromFeats } from '../features/frontend-apply.ts';
import type { FrontEnd } from '../model/frontend.ts';
import { DataError, MismatchError } from '../util/errors.ts';
import { progress } from '../util/progress.ts';
import type { ExampleSet } from './ort-logits.ts';

export interface LoadExamplesOptions {
  /** Extra copies per utterance computed from its waveform (training augmentation). */
  waveCopies?: (samples: Float32Array, utt: string) => Float32Array[];
  /** Progress bar title (default none). */
  title?: string;
  /** Do not read labels (OOD sets); labels are then all −1. */
  unlabeled?: boolean;
}

export interface LoadedExamples extends ExampleSet {
  /** Per utterance: the extra (augmented) examples, when waveCopies was given. */
  extra?: Float32Array[][];
  source: 'feats' | 'wav';
}

/** Label indices of every utterance, or a MismatchError naming the unknown labels. */
export function labelIndices(d: DataDir, utts: string[], labels: string[]): Int32Array {
  if (!d.utt2label) throw new DataError(d.dir, undefined, 'no utt2label or text file: evaluation and training need labels');
  const index = new Map(labels.map((l, i) => [l, i]));
  const out = new Int32Array(utts.length);
  const unknown = new Map<string, string>();
  utts.forEach((u, i) => {
    const l = d.utt2label!.get(u);
    if (l === undefined) throw new DataError(`${d.dir}/utt2label`, undefined, `utterance ${u} has no label`);
    const k = index.get(l.trim());
    if (k === undefined) {
      if (!unknown.has(l)) unknown.set(l, u);
    } else out[i] = k;
  });
  if (unknown.size > 0) {
    const list = [...unknown].slice(0, 5).map(([l, u]) => `'${l}' (e.g. utterance ${u})`).join(', ');
    throw new MismatchError(`${d.dir}: ${unknown.size} label(s) not in the model's label set [${labels.join(', ')}]: ${list}`);
  }
  return out;
}

function samplesOf(d: DataDir, utt: string, rate: number): Float32Array {
  const seg = d.segments?.get(utt);
  const key = seg ? seg.reco : utt;
  const entry = d.wavScp.get(key);
  if (entry === undefined) throw new DataError(`${d.dir}/wav.scp`, undefined, `no entry for ${seg ? `recording ${key} of ` : ''}utterance ${utt}`);
  const loaded = loadUtterance(entry, utt, { sampleRate: rate });
  return seg ? sliceSeconds(loaded.samples, loaded.sampleRate, seg.start, seg.end) : loaded.samples;
}

export function loadExamples(dir: string, fe: FrontEnd, labels: string[], opts: LoadExamplesOptions = {}): LoadedExamples {
  const d = readDataDir(dir, { labels: !opts.unlabeled });
  const utts = utterances(d);
  if (utts.length === 0) throw new DataError(dir, undefined, 'no utterances');
  const y = opts.unlabeled ? new Int32Array(utts.length).fill(-1) : labelIndices(d, utts, labels);
  const useFeats = !!d.featsScp && !opts.waveCopies;
  const inputs: Float32Array[] = [];
  const shapes: number[][] = [];
  const extra: Float32Array[][] = [];
  const bar = opts.title ? progress(opts.title, utts.length) : null;
  for (const u of utts) {
    if (useFeats) {
      const entry = d.featsScp!.get(u);
      if (entry === undefined) throw new DataError(`${dir}/feats.scp`, undefined, `no entry for utterance ${u}`);
      const mi = frontEndInputFromFeats(fe, readMatrixAt(entry, u));
      inputs.push(mi.data);
      shapes.push(mi.shape);
    } else {
      const s = samplesOf(d, u, fe.sampleRate);
      const mi = frontEndInput(fe, s);
      inputs.push(mi.data);
      shapes.push(mi.shape);
      if (opts.waveCopies) extra.push(opts.waveCopies(s, u).map((c) => frontEndInput(fe, c).data));
    }
    bar?.tick();
  }
  bar?.stop();
  const same = shapes.every((s) => s.join('x') === shapes[0].join('x'));
  return {
    inputs,
    labels: y,
    exampleShape: shapes[0],
    ...(same ? {} : { shapes }),
    utts,
    ...(opts.waveCopies ? { extra } : {}),
    source: useFeats ? 'feats' : 'wav',
  };
}
