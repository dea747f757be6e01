/**
 * Keyword-spotting CNN on [B, 1, T, F]: blocks of Conv 3×3 (pad 1) + BatchNorm + Relu + MaxPool
 * 2×2, then GlobalAveragePool, Flatten, Gemm → `logits` (no softmax).
 */
import type { ModelProto } from '../onnx-io.ts';
import { Rng } from '../../util/rng.ts';
import { GraphBuilder, requirePositiveInts } from './graph.ts';
import { checkCommon, type BuilderCommon } from './common.ts';

export interface KwsCnnConfig extends BuilderCommon {
  /** Output channels per block, e.g. [16, 32, 64]. */
  channels: number[];
}

export const KWS_CNN_DEFAULTS = { channels: [16, 32, 64] };

export function kwsCnn(cfg: KwsCnnConfig): ModelProto {
  checkCommon('kws-cnn', cfg, 'B1TF', false);
  const channels = requirePositiveInts('kws-cnn channels', cfg.channels);
  const g = new GraphBuilder(new Rng(cfg.seed ?? 0));
  let x = 'input';
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
  const fe = cfg.frontEnd;
  return g.finish({
    graphName: 'kws_cnn',
    input: { name: 'input', dims: ['batch', 1, fe.numFrames ?? 'time', fe.featDim] },
    output: { name: 'logits', dims: ['batch', cfg.labels.length] },
    frontEnd: fe,
    labels: cfg.labels,
    extraMetadata: { 'jemda.arch': JSON.stringify({ arch: 'kws-cnn', channels }) },
  });
}
