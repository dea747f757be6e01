/**
 * One utterance → model-input example(s): the unit of work of loadExamples, run in-process or in
 * a worker thread. Wave-augmented copies use an rng seeded by (seed ^ hash(utt)), so results do
 * not depend on how utterances are split among workers.
 */
import { assertFinite } from '../data/kaldi-matrix.ts';
import { readMatrixAt } from '../data/kaldi-scp.ts';
import { loadUtterance, sliceSeconds } from '../audio/load.ts';
import { frontEndInput, frontEndInputFromFeats } from './frontend-apply.ts';
import type { FrontEnd } from '../model/frontend.ts';
import { hashString, Rng } from '../util/rng.ts';
import { AudioError, MismatchError } from '../util/errors.ts';
import { applyCmvn, statsFromMatrix } from '../features/cmvn.ts';
import type { Matrix } from '../data/matrix.ts';
import { warn } from '../util/log.ts';
import { FBANK_DEFAULTS, frameGeometry, MFCC_DEFAULTS, resolveOptions } from '../features/options.ts';
import { waveCopies, type WaveAugmentOptions } from '../audio/wave-augment.ts';

export type ExampleJob =
  /** cmvn: the cmvn.scp entry of the utterance's stats (front end cmvn 'scp') */
  | { utt: string; kind: 'feats'; entry: string; cmvn?: string }
  | { utt: string; kind: 'wav'; entry: string; segment?: { start: number; end: number } };

export interface JobContext {
  fe: FrontEnd;
  /** Precompute wave-augmented copies (training). */
  wave?: { options: WaveAugmentOptions; seed: number };
}

export interface ExampleOut {
  data: Float32Array;
  shape: number[];
  extra?: Float32Array[];
}

export function computeExample(job: ExampleJob, ctx: JobContext): ExampleOut {
  const { fe } = ctx;
  if (job.kind === 'feats') {
    let feats: Matrix = readMatrixAt(job.entry, job.utt);
    assertFinite(feats, job.utt, job.entry);
    if (job.cmvn !== undefined) {
      const stats = statsFromMatrix(readMatrixAt(job.cmvn, job.utt));
      if (stats.length !== 2 * (feats.cols + 1)) throw new MismatchError(`utterance ${job.utt}: CMVN stats ${job.cmvn} are for ${stats.length / 2 - 1}-dim features, the features have ${feats.cols}`);
      feats = applyCmvn(feats, stats, { normVars: fe.cmvnNormVars });
    }
    const mi = frontEndInputFromFeats(fe, feats, job.utt);
    return { data: mi.data, shape: mi.shape };
  }
  const minSamples = minSamplesOf(fe);
  const loaded = loadUtterance(job.entry, job.utt, { sampleRate: fe.sampleRate, minSamples: job.segment ? undefined : minSamples });
  for (const n of loaded.notes) warn(n);
  const s = job.segment ? sliceSeconds(loaded.samples, loaded.sampleRate, job.segment.start, job.segment.end) : loaded.samples;
  if (s.length < minSamples) throw new AudioError(job.entry, `segment is shorter than one frame: ${s.length} samples < ${minSamples}`, job.utt);
  const mi = frontEndInput(fe, s, job.utt);
  // NaN/Inf samples (float WAVs) or a broken front end would otherwise reach the model silently
  assertFinite({ rows: 1, cols: mi.data.length, data: mi.data }, job.utt, job.entry);
  if (!ctx.wave) return { data: mi.data, shape: mi.shape };
  const rng = new Rng((ctx.wave.seed ^ hashString(job.utt)) >>> 0);
  const extra = waveCopies(s, fe.sampleRate, ctx.wave.options, rng).map((c) => frontEndInput(fe, c, job.utt).data);
  return { data: mi.data, shape: mi.shape, extra };
}

/** Fewer samples than this give no feature frame (Kaldi framing of the front end's options). */
function minSamplesOf(fe: FrontEnd): number {
  if (fe.featureType === 'raw') return 1;
  const defaults = fe.featureType === 'mfcc' ? MFCC_DEFAULTS : FBANK_DEFAULTS;
  const o = resolveOptions(defaults, { ...fe.options, 'sample-frequency': fe.sampleRate }, 'front end options');
  const { windowSize, windowShift } = frameGeometry(o);
  return o['snip-edges'] ? windowSize : Math.ceil(windowShift / 2);
}
