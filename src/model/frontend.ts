/**
 * The front end a model expects, stored in the ONNX metadata_props under `jemda.frontend` (JSON),
 * with the label list under `jemda.labels` (JSON array of strings, index = logit index).
 * `adapt`, `eval` and `train` compute exactly these inputs from a data dir's wav.scp.
 */
import { MismatchError } from '../util/errors.ts';
import { getMetadata, type ModelProto } from './onnx-io.ts';

/**
 * fbank / mfcc: jemda computes Kaldi features; raw: the waveform itself is the model's input;
 * precomputed: features another tool wrote, read from the data dir's feats.scp as they are.
 */
export type FeatureType = 'fbank' | 'mfcc' | 'raw' | 'precomputed';

/** Kaldi feature options, kebab-case keys as Kaldi spells them (e.g. "num-mel-bins": 40). */
export type KaldiFeatureOptions = Record<string, number | boolean | string>;

/**
 * How a [frames × dims] matrix becomes the model input.
 * - 'B1TF': [B, 1, T, F]  (2-D CNN)
 * - 'BFT':  [B, F, T]     (TDNN / 1-D conv)
 * - 'BTF':  [B, T, F]     (spliced-frame MLP sees [B, T, F] too, e.g. T=11 context frames)
 * Raw waveforms (featureType 'raw'; T counts samples, F = 1):
 * - 'BT':   [B, T]
 * - 'B1T':  [B, 1, T]     (a graph whose first op is a 1-D Conv)
 */
export type InputLayout = 'B1TF' | 'BFT' | 'BTF' | 'BT' | 'B1T';
export const RAW_LAYOUTS: readonly InputLayout[] = ['BT', 'B1T'];

export interface FrontEnd {
  featureType: FeatureType;
  options: KaldiFeatureOptions;
  /**
   * 'per-utt': mean (and var if cmvnNormVars) over each utterance; 'global': fixed stats below;
   * 'scp' (precomputed only): the data dir's cmvn.scp stats (by utterance, speaker or `global`).
   */
  cmvn: 'none' | 'per-utt' | 'global' | 'scp';
  cmvnNormVars: boolean;
  /** For cmvn 'global': per-dimension mean and std (length = feature dim). */
  cmvnMean?: number[];
  cmvnStd?: number[];
  layout: InputLayout;
  /** Fixed number of frames T (raw: samples), or null when the model takes any length. */
  numFrames: number | null;
  /**
   * How utterances are brought to numFrames: pad with zeros at the end / repeat edge frames /
   * center-crop-or-pad; 'exact': an utterance of any other length is an error naming it.
   */
  padMode: 'zero' | 'edge' | 'center' | 'exact';
  /** Feature dimension F (raw: 1). */
  featDim: number;
  sampleRate: number;
  /** raw only: the waveform's range, 'unit' ([-1, 1], the default) or 'int16' ([-32768, 32767]). */
  scale?: 'unit' | 'int16';
}

export const FRONTEND_KEY = 'jemda.frontend';
export const LABELS_KEY = 'jemda.labels';

export function parseFrontEnd(json: string, source: string): FrontEnd {
  let fe: FrontEnd;
  try {
    fe = JSON.parse(json) as FrontEnd;
  } catch (e) {
    throw new MismatchError(`${source}: metadata ${FRONTEND_KEY} is not valid JSON (${(e as Error).message})`);
  }
  if (fe.featureType === 'raw') return parseRawFrontEnd(fe as FrontEnd & { numSamples?: number | null }, source);
  if (fe.featureType === 'precomputed') return parsePrecomputedFrontEnd(fe, source);
  if (fe.featureType !== 'fbank' && fe.featureType !== 'mfcc') throw new MismatchError(`${source}: featureType must be fbank, mfcc, raw or precomputed (got ${String(fe.featureType)})`);
  if (fe.cmvn === 'scp') throw new MismatchError(`${source}: cmvn 'scp' is for precomputed features (jemda applies ${fe.featureType} CMVN itself)`);
  for (const k of ['featureType', 'layout', 'featDim', 'sampleRate'] as const) {
    if (fe[k] === undefined) throw new MismatchError(`${source}: metadata ${FRONTEND_KEY} lacks '${k}'`);
  }
  if (RAW_LAYOUTS.includes(fe.layout)) throw new MismatchError(`${source}: layout ${fe.layout} is for raw waveforms, but the feature type is ${fe.featureType}`);
  return fe;
}

/**
 * Precomputed features: {"featureType": "precomputed", "featDim": 40, "numFrames": 98,
 * "padMode": "center", "layout": "B1TF", "cmvn": "per-utt"}: the matrices of the data dir's
 * feats.scp (Kaldi, lhotse's Kaldi export, jemda copy-feats) are the features, checked against
 * featDim and brought to numFrames; cmvn 'scp' applies the dir's cmvn.scp. No audio is read, so
 * sampleRate is optional.
 */
function parsePrecomputedFrontEnd(fe: FrontEnd, source: string): FrontEnd {
  const bad = (why: string): never => {
    throw new MismatchError(`${source}: precomputed front end: ${why}`);
  };
  if (!(Number.isInteger(fe.featDim) && fe.featDim > 0)) bad(`featDim must be a positive integer (got ${String(fe.featDim)})`);
  if (!['B1TF', 'BFT', 'BTF'].includes(fe.layout)) bad(`layout must be B1TF, BFT or BTF (got ${String(fe.layout)})`);
  const cmvn = fe.cmvn ?? 'none';
  if (!['none', 'per-utt', 'global', 'scp'].includes(cmvn)) bad(`cmvn must be none, per-utt, global or scp (got ${String(cmvn)})`);
  const padMode = fe.padMode ?? 'center';
  if (!['zero', 'edge', 'center', 'exact'].includes(padMode)) bad(`padMode must be zero, edge, center or exact (got ${String(padMode)})`);
  if (fe.numFrames === undefined) bad('give numFrames (frames per input, or null for any length)');
  return { ...fe, options: fe.options ?? {}, cmvn, cmvnNormVars: fe.cmvnNormVars ?? false, padMode, sampleRate: fe.sampleRate ?? 0 };
}

/**
 * A raw-waveform front end: {"featureType": "raw", "sampleRate": 16000, "numSamples": 16000,
 * "padMode": "center", "layout": "B1T", "scale": "unit"} (numSamples null: any length; cmvn
 * 'per-utt' standardises each utterance). Stored with numFrames = numSamples and featDim 1, so
 * the example machinery treats a waveform as a T × 1 matrix.
 */
function parseRawFrontEnd(fe: FrontEnd & { numSamples?: number | null }, source: string): FrontEnd {
  const bad = (why: string): never => {
    throw new MismatchError(`${source}: raw front end: ${why}`);
  };
  if (!(Number.isInteger(fe.sampleRate) && fe.sampleRate > 0)) bad(`sampleRate must be a positive integer (got ${String(fe.sampleRate)})`);
  if (!RAW_LAYOUTS.includes(fe.layout)) bad(`layout must be ${RAW_LAYOUTS.join(' or ')} (got ${String(fe.layout)})`);
  const n = fe.numSamples !== undefined ? fe.numSamples : fe.numFrames;
  if (n === undefined) bad("give numSamples (the input length in samples, or null for any length)");
  if (n !== null && !(Number.isInteger(n) && (n as number) > 0)) bad(`numSamples must be a positive integer or null (got ${String(n)})`);
  if (fe.featDim !== undefined && fe.featDim !== 1) bad(`featDim must be 1 (got ${fe.featDim})`);
  const scale = fe.scale ?? 'unit';
  if (scale !== 'unit' && scale !== 'int16') bad(`scale must be 'unit' or 'int16' (got ${String(scale)})`);
  const cmvn = fe.cmvn ?? 'none';
  if (cmvn !== 'none' && cmvn !== 'per-utt') bad(`cmvn must be 'none' or 'per-utt' (got ${String(cmvn)})`);
  const padMode = fe.padMode ?? 'center';
  if (!['zero', 'edge', 'center', 'exact'].includes(padMode)) bad(`padMode must be zero, edge, center or exact (got ${String(padMode)})`);
  return {
    featureType: 'raw',
    options: {},
    cmvn,
    cmvnNormVars: cmvn === 'per-utt' ? (fe.cmvnNormVars ?? true) : false,
    layout: fe.layout,
    numFrames: n as number | null,
    padMode,
    featDim: 1,
    sampleRate: fe.sampleRate,
    scale,
  };
}

/**
 * The front end a model declares in its metadata, or `override` (a --frontend-config file) when
 * given. A model without one is a MismatchError that names the option to use.
 */
export function modelFrontEnd(model: ModelProto, source: string, override?: FrontEnd): FrontEnd {
  if (override) return override;
  const md = getMetadata(model);
  if (!md[FRONTEND_KEY]) {
    throw new MismatchError(`${source}: the model has no '${FRONTEND_KEY}' metadata, so it does not say which features it takes; describe its front end with --frontend-config FILE (JSON)`);
  }
  return parseFrontEnd(md[FRONTEND_KEY], source);
}

/**
 * The label list a model declares in its metadata (index = logit index), or `override` (a --labels
 * file) when given; null when the model has none. Malformed metadata is a MismatchError.
 */
export function modelLabels(model: ModelProto, source: string, override?: string[]): string[] | null {
  if (override) return override;
  const md = getMetadata(model);
  if (!md[LABELS_KEY]) return null;
  let labels: unknown;
  try {
    labels = JSON.parse(md[LABELS_KEY]);
  } catch (e) {
    throw new MismatchError(`${source}: metadata ${LABELS_KEY} is not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string')) throw new MismatchError(`${source}: metadata ${LABELS_KEY} is not a list of strings`);
  return labels as string[];
}

/** modelLabels for the commands that cannot run without labels (eval, train, validate-data-dir --model). */
export function requireModelLabels(model: ModelProto, source: string, override?: string[]): string[] {
  const labels = modelLabels(model, source, override);
  if (!labels) throw new MismatchError(`${source}: no ${LABELS_KEY} metadata: the model has no label list; give one with --labels FILE`);
  return labels;
}
