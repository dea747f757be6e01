/**
 * The front end a model expects, stored in the ONNX metadata_props under `jemda.frontend` (JSON),
 * with the label list under `jemda.labels` (JSON array of strings, index = logit index).
 * `adapt`, `eval` and `train` compute exactly these inputs from a data dir's wav.scp.
 */
import { MismatchError } from '../util/errors.ts';
import { getMetadata, type ModelProto } from './onnx-io.ts';

export type FeatureType = 'fbank' | 'mfcc';

/** Kaldi feature options, kebab-case keys as Kaldi spells them (e.g. "num-mel-bins": 40). */
export type KaldiFeatureOptions = Record<string, number | boolean | string>;

/**
 * How a [frames × dims] matrix becomes the model input.
 * - 'B1TF': [B, 1, T, F]  (2-D CNN)
 * - 'BFT':  [B, F, T]     (TDNN / 1-D conv)
 * - 'BTF':  [B, T, F]     (spliced-frame MLP sees [B, T, F] too, e.g. T=11 context frames)
 */
export type InputLayout = 'B1TF' | 'BFT' | 'BTF';

export interface FrontEnd {
  featureType: FeatureType;
  options: KaldiFeatureOptions;
  /** 'per-utt': mean (and var if cmvnNormVars) over each utterance; 'global': fixed stats below. */
  cmvn: 'none' | 'per-utt' | 'global';
  cmvnNormVars: boolean;
  /** For cmvn 'global': per-dimension mean and std (length = feature dim). */
  cmvnMean?: number[];
  cmvnStd?: number[];
  layout: InputLayout;
  /** Fixed number of frames T, or null when the model takes any length. */
  numFrames: number | null;
  /** How utterances are brought to numFrames: pad with zeros at the end / repeat edge frames / center-crop-or-pad. */
  padMode: 'zero' | 'edge' | 'center';
  /** Feature dimension F. */
  featDim: number;
  sampleRate: number;
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
  for (const k of ['featureType', 'layout', 'featDim', 'sampleRate'] as const) {
    if (fe[k] === undefined) throw new MismatchError(`${source}: metadata ${FRONTEND_KEY} lacks '${k}'`);
  }
  return fe;
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
