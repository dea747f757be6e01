/**
 * Data dirs → model inputs with the model's front end. A data dir may hold only wav.scp (plus
 * utt2label for labeled source data, and optionally segments); when it has feats.scp the stored
 * (raw, un-normalised) features are used instead of the audio.
 *
 * Label isolation: `loadUnlabeled` reads through readUnlabeledDataDir, whose type has no label
 * field and which never opens utt2label or text. Only `loadLabeled` reads labels; adapt uses it
 * for the labeled SOURCE data and for the target of the `supervised` oracle only.
 */
import type { FrontEnd } from '../model/frontend.ts';
import { readDataDir, readUnlabeledDataDir, utterances, type UnlabeledDataDir } from '../data/datadir.ts';
import { assertValidDataDir } from '../data/validate.ts';
import { readMatrixAt } from '../data/kaldi-io.ts';
import { loadUtterance, sliceSeconds } from '../audio/load.ts';
import { frontEndInput, frontEndInputFromFeats } from '../features/frontend-apply.ts';
import { DataError, MismatchError } from '../util/errors.ts';
import { progress } from '../util/progress.ts';
import type { LabeledSet, UnlabeledSet } from './types.ts';
import * as path from 'node:path';

function inputsOf(d: UnlabeledDataDir, fe: FrontEnd, exampleShape: number[] | null, what: string): { set: UnlabeledSet; exampleShape: number[] } {
  const ids = utterances(d);
  if (ids.length === 0) throw new DataError(path.join(d.dir, 'wav.scp'), undefined, `${what}: the data dir has no utterances`);
  let shape = exampleShape;
  let per = shape ? shape.reduce((a, b) => a * b, 1) : 0;
  let x = new Float32Array(per * ids.length);
  const bar = progress(`features ${what}`, ids.length);
  ids.forEach((utt, i) => {
    let input;
    const featEntry = d.featsScp?.get(utt);
    if (featEntry !== undefined) {
      input = frontEndInputFromFeats(fe, readMatrixAt(featEntry, utt));
    } else {
      const seg = d.segments?.get(utt);
      const key = seg ? seg.reco : utt;
      const entry = d.wavScp.get(key);
      if (entry === undefined) throw new DataError(path.join(d.dir, 'wav.scp'), undefined, `no entry for '${key}' (utterance ${utt})`);
      const loaded = loadUtterance(entry, key, { sampleRate: fe.sampleRate });
      const samples = seg ? sliceSeconds(loaded.samples, loaded.sampleRate, seg.start, seg.end) : loaded.samples;
      input = frontEndInput(fe, samples);
    }
    if (!shape) {
      shape = input.shape;
      per = shape.reduce((a, b) => a * b, 1);
      x = new Float32Array(per * ids.length);
    }
    if (input.data.length !== per) {
      throw new MismatchError(
        `${what}: utterance ${utt} gives input [${input.shape.join(', ')}] but the model takes [${shape.join(', ')}]; set numFrames in the front end to batch utterances of different lengths`,
      );
    }
    for (let j = 0; j < per; j++) {
      if (!Number.isFinite(input.data[j])) throw new DataError(d.dir, undefined, `${what}: utterance ${utt}: features contain NaN or Inf`);
    }
    x.set(input.data, i * per);
    bar.tick();
  });
  bar.stop();
  return { set: { x, n: ids.length, ids }, exampleShape: shape as number[] };
}

/** Unlabeled data (the target of every unsupervised method): labels are never opened. */
export function loadUnlabeled(dir: string, fe: FrontEnd, exampleShape: number[] | null): { set: UnlabeledSet; exampleShape: number[] } {
  assertValidDataDir(dir, { labels: false });
  return inputsOf(readUnlabeledDataDir(dir), fe, exampleShape, `${dir}`);
}

/** Labeled data: source data, or the target of the supervised oracle. */
export function loadLabeled(dir: string, fe: FrontEnd, exampleShape: number[] | null, labels: string[]): { set: LabeledSet; exampleShape: number[] } {
  assertValidDataDir(dir);
  const d = readDataDir(dir);
  if (!d.utt2label) throw new DataError(path.join(dir, 'utt2label'), undefined, 'labeled data needed here, but the data dir has no utt2label (or text)');
  const { set, exampleShape: shape } = inputsOf(d, fe, exampleShape, dir);
  const index = new Map(labels.map((l, i) => [l, i]));
  const y = new Int32Array(set.n);
  set.ids.forEach((utt, i) => {
    const l = d.utt2label!.get(utt);
    if (l === undefined) throw new DataError(path.join(dir, 'utt2label'), undefined, `no label for utterance ${utt}`);
    const c = index.get(l);
    if (c === undefined) throw new MismatchError(`${path.join(dir, 'utt2label')}: utterance ${utt} has label '${l}', which is not one of the model's labels (${labels.join(' ')})`);
    y[i] = c;
  });
  return { set: { ...set, y }, exampleShape: shape };
}
