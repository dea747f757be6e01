/**
 * One utterance → the model input described by a FrontEnd (src/model/frontend.ts): features
 * with fe.options (raw: the waveform), CMVN per fe.cmvn, fitToFrames, then the layout
 * transposition. The returned shape has no batch axis: B1TF → [1, T, F], BFT → [F, T],
 * BTF → [T, F], BT → [T], B1T → [1, T].
 * With cmvn 'none', no numFrames and layout B1TF/BTF, `data` is the features' own array (no copy).
 */
import type { FrontEnd } from '../model/frontend.ts';
import { MismatchError } from '../util/errors.ts';
import { frontEndExampleShape } from '../model/input-check.ts';
import { applyMeanStd, perUttCmvn } from '../features/cmvn.ts';
import { computeFeatures } from '../features/extract.ts';
import { fitToFrames } from '../features/fit-frames.ts';
import type { Matrix } from '../data/matrix.ts';

export interface ModelInput {
  data: Float32Array;
  shape: number[];
}

/** The Kaldi feature options of a front end, its sample rate included (the one place they are derived). */
export function frontEndFeatureOptions(fe: FrontEnd): Record<string, unknown> {
  const opts: Record<string, unknown> = { ...fe.options };
  if (opts['sample-frequency'] === undefined) opts['sample-frequency'] = fe.sampleRate;
  else if (Number(opts['sample-frequency']) !== fe.sampleRate)
    throw new MismatchError(`front end: options sample-frequency ${String(opts['sample-frequency'])} differs from sampleRate ${fe.sampleRate}`);
  return opts;
}

/**
 * `samples` (Float32 in [-1, 1] at fe.sampleRate) as the model input: their features, or for a
 * raw front end the waveform itself (× 32768 with scale 'int16') as a T × 1 matrix. `utt` names
 * the utterance in errors.
 */
export function frontEndInput(fe: FrontEnd, samples: Float32Array, utt?: string): ModelInput {
  if (fe.featureType === 'raw') {
    const data = fe.scale === 'int16' ? samples.map((v) => v * 32768) : samples;
    return frontEndInputFromFeats(fe, { rows: data.length, cols: 1, data }, utt);
  }
  if (fe.featureType === 'precomputed') throw new MismatchError(`${utt !== undefined ? `utterance ${utt}` : 'front end'}: the model's features are precomputed (read from feats.scp), they cannot be computed from audio`);
  return frontEndInputFromFeats(fe, computeFeatures(fe.featureType, samples, frontEndFeatureOptions(fe)), utt);
}

/**
 * The model input from precomputed features (frames × featDim; raw: samples × 1). CMVN 'scp'
 * (stats from a cmvn.scp) is applied by the caller, which has the tables.
 */
export function frontEndInputFromFeats(fe: FrontEnd, feats: Matrix, utt?: string): ModelInput {
  const who = utt !== undefined ? `utterance ${utt}` : 'front end';
  if (feats.cols !== fe.featDim) throw new MismatchError(`${who}: ${feats.cols}-dim features, but the model takes ${fe.featDim}-dim ${fe.featureType} features (input shape ${exampleShapeText(fe)})`);
  if (fe.padMode === 'exact' && fe.numFrames !== null && fe.numFrames !== undefined && feats.rows !== fe.numFrames) {
    const unit = fe.featureType === 'raw' ? `samples at ${fe.sampleRate} Hz` : 'frames';
    throw new MismatchError(`${who}: ${feats.rows} ${unit}, but the model takes exactly ${fe.numFrames} (padMode 'exact'; input shape ${exampleShapeText(fe)})`);
  }
  let m = feats;
  if (fe.cmvn === 'per-utt') m = perUttCmvn(m, fe.cmvnNormVars);
  else if (fe.cmvn === 'global') {
    if (!fe.cmvnMean || fe.cmvnMean.length !== fe.featDim) throw new MismatchError(`front end: global CMVN needs cmvnMean of length ${fe.featDim}`);
    if (fe.cmvnNormVars && (!fe.cmvnStd || fe.cmvnStd.length !== fe.featDim))
      throw new MismatchError(`front end: global CMVN with variance needs cmvnStd of length ${fe.featDim}`);
    m = applyMeanStd(m, fe.cmvnMean, fe.cmvnNormVars ? (fe.cmvnStd as number[]) : null);
  }
  if (fe.numFrames !== null && fe.numFrames !== undefined) m = fitToFrames(m, fe.numFrames, fe.padMode ?? 'zero');
  const T = m.rows, F = m.cols;
  switch (fe.layout) {
    case 'B1TF':
      return { data: m.data, shape: [1, T, F] };
    case 'BTF':
      return { data: m.data, shape: [T, F] };
    case 'BT':
      return { data: m.data, shape: [T] };
    case 'B1T':
      return { data: m.data, shape: [1, T] };
    case 'BFT': {
      const out = new Float32Array(T * F);
      for (let t = 0; t < T; t++) for (let f = 0; f < F; f++) out[f * T + t] = m.data[t * F + f];
      return { data: out, shape: [F, T] };
    }
    default:
      throw new MismatchError(`front end: unknown layout '${String(fe.layout)}'`);
  }
}

/** The input shape a front end gives, for messages: e.g. [B, 1, 98, 40] or [B, 1, 16000]. */
function exampleShapeText(fe: FrontEnd): string {
  return `[${['B', ...frontEndExampleShape(fe).map((d) => d ?? 'T')].join(', ')}]`;
}
