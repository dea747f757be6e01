/**
 * Spliced-frame MLP on [B, T, F]: Flatten, then (Gemm [+ BatchNorm] + Relu) per hidden layer,
 * then Gemm → `logits`. T is the front end's fixed frame count (e.g. 11 spliced frames, or a whole
 * 98-frame clip).
 */
import type { ModelProto } from '../onnx-io.ts';
import { Rng } from '../../util/rng.ts';
import { GraphBuilder, requirePositiveInts } from './graph.ts';
import { checkCommon, type BuilderCommon } from './common.ts';

export interface MlpConfig extends BuilderCommon {
  hidden: number[];
  /** BatchNormalization after each hidden Gemm (default true). */
  batchNorm?: boolean;
}

export const MLP_DEFAULTS = { hidden: [256, 256], batchNorm: true };

export function splicedMlp(cfg: MlpConfig): ModelProto {
  checkCommon('mlp', cfg, 'BTF', true);
  const hidden = requirePositiveInts('mlp hidden', cfg.hidden);
  const fe = cfg.frontEnd;
  const T = fe.numFrames as number;
  const g = new GraphBuilder(new Rng(cfg.seed ?? 0));
  let x = g.node('Flatten', ['input'], 'flatten', { axis: 1 });
  let nin = T * fe.featDim;
  for (const h of hidden) {
    x = g.gemm(x, nin, h, 'fc');
    if (cfg.batchNorm ?? true) x = g.batchNorm(x, h);
    x = g.relu(x);
    nin = h;
  }
  g.gemm(x, nin, cfg.labels.length, 'fc');
  g.renameLastOutput('logits');
  return g.finish({
    graphName: 'spliced_mlp',
    input: { name: 'input', dims: ['batch', T, fe.featDim] },
    output: { name: 'logits', dims: ['batch', cfg.labels.length] },
    frontEnd: fe,
    labels: cfg.labels,
    extraMetadata: { 'jemda.arch': JSON.stringify({ arch: 'mlp', hidden, batchNorm: cfg.batchNorm ?? true }) },
  });
}
