/**
 * Data dirs → the flat model-input arrays adaptation trains on, through the one example loader
 * (engine/examples.ts: the model's front end, feats.scp when present, else wav.scp with segments;
 * its errors for a missing entry, an unknown label or non-finite features).
 *
 * Label isolation: `loadUnlabeled` reads with `unlabeled: true`, which never opens utt2label or
 * text. Only `loadLabeled` reads labels; adapt uses it for the labeled SOURCE data and for the
 * target of the `supervised` oracle only.
 */
import type { FrontEnd } from '../model/frontend.ts';
import { loadExamples, type LoadedExamples } from '../engine/examples.ts';
import { MismatchError } from '../util/errors.ts';
import type { LabeledSet, UnlabeledSet } from './types.ts';

/** One [n × prod(exampleShape)] array; every example must have `exampleShape` (the first one's when null). */
function flatten(ex: LoadedExamples, exampleShape: number[] | null, dir: string): { set: UnlabeledSet; exampleShape: number[] } {
  const shape = exampleShape ?? ex.exampleShape;
  const per = shape.reduce((a, b) => a * b, 1);
  const n = ex.inputs.length;
  const x = new Float32Array(per * n);
  const utts = ex.utts ?? [];
  ex.inputs.forEach((v, i) => {
    const got = ex.shapes?.[i] ?? ex.exampleShape;
    if (v.length !== per || got.join('x') !== shape.join('x')) {
      throw new MismatchError(
        `${dir}: utterance ${utts[i]} gives input [${got.join(', ')}] but the model takes [${shape.join(', ')}]; set numFrames in the front end to batch utterances of different lengths`,
      );
    }
    x.set(v, i * per);
  });
  return { set: { x, n, ids: utts }, exampleShape: shape };
}

/** Unlabeled data (the target of every unsupervised method): labels are never opened. */
export async function loadUnlabeled(dir: string, fe: FrontEnd, exampleShape: number[] | null): Promise<{ set: UnlabeledSet; exampleShape: number[] }> {
  const ex = await loadExamples(dir, fe, [], { unlabeled: true, title: `features ${dir}` });
  return flatten(ex, exampleShape, dir);
}

/** Labeled data: source data, or the target of the supervised oracle. */
export async function loadLabeled(dir: string, fe: FrontEnd, exampleShape: number[] | null, labels: string[]): Promise<{ set: LabeledSet; exampleShape: number[] }> {
  const ex = await loadExamples(dir, fe, labels, { title: `features ${dir}` });
  const { set, exampleShape: shape } = flatten(ex, exampleShape, dir);
  return { set: { ...set, y: ex.labels }, exampleShape: shape };
}
