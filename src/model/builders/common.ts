/** Shared config pieces of the builders: labels, the front end, and the default KWS front end. */
import type { FrontEnd, InputLayout } from '../frontend.ts';
import { ConfigError } from '../../util/errors.ts';

export const DEFAULT_KWS_LABELS = ['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go', '_unknown_', '_silence_'];

export interface BuilderCommon {
  frontEnd: FrontEnd;
  labels: string[];
  seed?: number;
}

/** The agreed default: Kaldi fbank, 40 bins, 25/10 ms, snip-edges, per-utterance CMVN (mean+var), 98 frames. */
export function defaultFrontEnd(layout: InputLayout, opts: { featDim?: number; numFrames?: number | null } = {}): FrontEnd {
  const featDim = opts.featDim ?? 40;
  return {
    featureType: 'fbank',
    options: { 'num-mel-bins': featDim, 'frame-length': 25, 'frame-shift': 10, 'snip-edges': true, dither: 0 },
    cmvn: 'per-utt',
    cmvnNormVars: true,
    layout,
    numFrames: opts.numFrames === undefined ? 98 : opts.numFrames,
    padMode: 'center',
    featDim,
    sampleRate: 16000,
  };
}

export function checkCommon(arch: string, c: BuilderCommon, layout: InputLayout, needFrames: boolean): void {
  if (c.frontEnd.layout !== layout) {
    throw new ConfigError(`${arch}: front end layout must be ${layout}, got ${c.frontEnd.layout}`);
  }
  if (c.frontEnd.featureType === 'raw') {
    if (needFrames && c.frontEnd.numFrames === null) throw new ConfigError(`${arch}: needs a fixed input length (front end numSamples)`);
  } else if (!Number.isInteger(c.frontEnd.featDim) || c.frontEnd.featDim <= 0) {
    throw new ConfigError(`${arch}: front end featDim must be a positive integer, got ${c.frontEnd.featDim}`);
  }
  if (needFrames && (c.frontEnd.numFrames === null || !(c.frontEnd.numFrames > 0))) {
    throw new ConfigError(`${arch}: needs a fixed frame count (front end numFrames)`);
  }
  if (!Array.isArray(c.labels) || c.labels.length < 2 || new Set(c.labels).size !== c.labels.length) {
    throw new ConfigError(`${arch}: needs at least 2 distinct labels, got ${JSON.stringify(c.labels)}`);
  }
}
