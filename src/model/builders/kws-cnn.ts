/**
 * Keyword-spotting CNN on [B, 1, T, F]: blocks of Conv 3×3 (pad 1) + BatchNorm + Relu + MaxPool
 * 2×2, then GlobalAveragePool, Flatten, Gemm → `logits` (no softmax). With a raw front end
 * (layout B1T) the graph takes the waveform [B, 1, N] and computes its own log-mel image first
 * (logmel.ts; sizes from the config's frameLength, frameShift, fftSize, melBins).
 */
import type { ModelProto } from '../onnx-io.ts';
import { Rng } from '../../util/rng.ts';
import { GraphBuilder, requirePositiveInts } from './graph.ts';
import { checkCommon, type BuilderCommon } from './common.ts';
import { LOGMEL_DEFAULTS, logMelFrames, logMelFrontEnd } from './logmel.ts';
import { ConfigError } from '../../util/errors.ts';

export interface KwsCnnConfig extends BuilderCommon {
  /** Output channels per block, e.g. [16, 32, 64]. */
  channels: number[];
  /** Raw front end only: the in-graph log-mel's sizes (samples; defaults 400 / 160 / 512 / 40). */
  frameLength?: number;
  frameShift?: number;
  fftSize?: number;
  melBins?: number;
}

export const KWS_CNN_DEFAULTS = { channels: [16, 32, 64] };

export function kwsCnn(cfg: KwsCnnConfig): ModelProto {
  const fe = cfg.frontEnd;
  const raw = fe.featureType === 'raw';
  checkCommon('kws-cnn', cfg, raw ? 'B1T' : 'B1TF', false);
  const channels = requirePositiveInts('kws-cnn channels', cfg.channels);
  const g = new GraphBuilder(new Rng(cfg.seed ?? 0));
  let x = 'input';
  const logmel = { ...LOGMEL_DEFAULTS, ...pick(cfg), sampleRate: fe.sampleRate };
  if (raw) {
    if (fe.numFrames !== null && logMelFrames(fe.numFrames, logmel) < 8) throw new ConfigError(`kws-cnn: ${fe.numFrames} samples give fewer than 8 log-mel frames`);
    x = logMelFrontEnd(g, x, logmel);
  }
  let cin = 1;
  for (const cout of channels) {
    x = g.conv(x, cin, cout, [3, 3], { pads: [1, 1, 1, 1] });
    x = g.batchNorm(x, cout);
    x = g.relu(x);
    x = g.node('MaxPool', [x], g.fresh('pool'), { kernel_shape: [2, 2], strides: [2, 2] });
    cin = cout;
  }
  x = g.node('GlobalAveragePool', [x], 'gap');
  x = g.node('Flatten', [x], 'flatten', { axis: 1 });
  g.gemm(x, cin, cfg.labels.length, 'fc');
  g.renameLastOutput('logits');
  return g.finish({
    graphName: 'kws_cnn',
    input: { name: 'input', dims: raw ? ['batch', 1, fe.numFrames ?? 'samples'] : ['batch', 1, fe.numFrames ?? 'time', fe.featDim] },
    output: { name: 'logits', dims: ['batch', cfg.labels.length] },
    frontEnd: fe,
    labels: cfg.labels,
    extraMetadata: { 'jemda.arch': JSON.stringify({ arch: 'kws-cnn', channels, ...(raw ? { logmel } : {}) }) },
  });
}

function pick(cfg: KwsCnnConfig): Partial<typeof LOGMEL_DEFAULTS> {
  const out: Partial<typeof LOGMEL_DEFAULTS> = {};
  for (const k of ['frameLength', 'frameShift', 'fftSize', 'melBins'] as const) if (cfg[k] !== undefined) out[k] = cfg[k];
  return out;
}
