/**
 * TDNN on [B, F, T]: dilated 1-D Convs (no padding, Kaldi-style context) + BatchNorm + Relu,
 * statistics pooling (mean and std over time), Gemm (hidden) + Relu + Gemm → `logits`.
 * std = sqrt(mean((x − mean)²) + eps), eps = 1e-5.
 */
import type { ModelProto } from '../onnx-io.ts';
import { Rng } from '../../util/rng.ts';
import { ConfigError } from '../../util/errors.ts';
import { GraphBuilder } from './graph.ts';
import { checkCommon, type BuilderCommon } from './common.ts';

export interface TdnnConfig extends BuilderCommon {
  /** [kernel, dilation] per layer, e.g. [[5,1],[3,2],[3,3],[1,1]]. */
  layers: [number, number][];
  /** Channels per layer (one number for all, or one per layer). */
  channels: number | number[];
  /** Hidden size of the Gemm after pooling. */
  hidden: number;
}

export const TDNN_DEFAULTS = { layers: [[5, 1], [3, 2], [3, 3], [1, 1]] as [number, number][], channels: 128, hidden: 128 };

/** Frames the convolution stack consumes: sum of (k − 1)·d. */
export function tdnnContext(layers: [number, number][]): number {
  return layers.reduce((a, [k, d]) => a + (k - 1) * d, 0);
}

export function tdnn(cfg: TdnnConfig): ModelProto {
  checkCommon('tdnn', cfg, 'BFT', false);
  if (!Array.isArray(cfg.layers) || cfg.layers.length === 0 || !cfg.layers.every((l) => Array.isArray(l) && l.length === 2 && l.every((v) => Number.isInteger(v) && v > 0))) {
    throw new ConfigError(`tdnn layers: expected [[kernel, dilation], ...] of positive integers, got ${JSON.stringify(cfg.layers)}`);
  }
  const chans = typeof cfg.channels === 'number' ? cfg.layers.map(() => cfg.channels as number) : cfg.channels;
  if (!Array.isArray(chans) || chans.length !== cfg.layers.length || !chans.every((c) => Number.isInteger(c) && c > 0)) {
    throw new ConfigError(`tdnn channels: expected a positive integer or one per layer, got ${JSON.stringify(cfg.channels)}`);
  }
  if (!Number.isInteger(cfg.hidden) || cfg.hidden <= 0) throw new ConfigError(`tdnn hidden: expected a positive integer, got ${cfg.hidden}`);
  const fe = cfg.frontEnd;
  if (fe.numFrames !== null && fe.numFrames <= tdnnContext(cfg.layers)) {
    throw new ConfigError(`tdnn: ${fe.numFrames} frames do not cover the context of ${tdnnContext(cfg.layers) + 1} frames`);
  }
  const g = new GraphBuilder(new Rng(cfg.seed ?? 0));
  let x = 'input';
  let cin = fe.featDim;
  cfg.layers.forEach(([k, d], i) => {
    x = g.conv(x, cin, chans[i], [k], { dilations: [d], pads: [0, 0] });
    x = g.batchNorm(x, chans[i]);
    x = g.relu(x);
    cin = chans[i];
  });
  // statistics pooling over time (axis 2)
  const mean = g.node('ReduceMean', [x], 'stats_mean', { axes: [2], keepdims: 1 });
  const centered = g.node('Sub', [x, mean], 'stats_center');
  const sq = g.node('Mul', [centered, centered], 'stats_sq');
  const variance = g.node('ReduceMean', [sq], 'stats_var', { axes: [2], keepdims: 1 });
  const eps = g.init('stats_eps', [], Float32Array.of(1e-5));
  const std = g.node('Sqrt', [g.node('Add', [variance, eps], 'stats_var_eps')], 'stats_std');
  const stats = g.node('Concat', [mean, std], 'stats_concat', { axis: 1 });
  x = g.node('Flatten', [stats], 'stats_flatten', { axis: 1 });
  x = g.relu(g.gemm(x, 2 * cin, cfg.hidden, 'fc'));
  g.gemm(x, cfg.hidden, cfg.labels.length, 'fc');
  g.renameLastOutput('logits');
  return g.finish({
    graphName: 'tdnn',
    input: { name: 'input', dims: ['batch', fe.featDim, fe.numFrames ?? 'time'] },
    output: { name: 'logits', dims: ['batch', cfg.labels.length] },
    frontEnd: fe,
    labels: cfg.labels,
    extraMetadata: { 'jemda.arch': JSON.stringify({ arch: 'tdnn', layers: cfg.layers, channels: chans, hidden: cfg.hidden }) },
  });
}
