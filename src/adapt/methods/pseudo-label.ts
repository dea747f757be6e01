/**
 * `pseudo-label`: cross-entropy on the target examples the SOURCE model labels with confidence ≥
 * --pseudo-threshold (labels fixed before the first update, so a resumed run recomputes the same
 * set).
 */
import type { GradEngine } from '../../engine/engine.ts';
import { log, warn } from '../../util/log.ts';
import { softmaxRows } from '../../util/logsumexp.ts';
import { gatherRows } from '../data-order.ts';
import type { LabeledSet, UnlabeledSet } from '../types.ts';
import { entropyOrCrossEntropyStep, labeledBatch } from './grad-step.ts';
import type { AdaptMethod, MethodContext } from './method.ts';

/** Confident argmax labels of the current (source) model on the target data (eval-mode forward). */
export async function pseudoLabels(eng: GradEngine, target: UnlabeledSet, dim: number, threshold: number, batch: number): Promise<LabeledSet> {
  const K = eng.numClasses;
  const keep: number[] = [];
  const labels: number[] = [];
  for (let s = 0; s < target.n; s += batch) {
    const n = Math.min(batch, target.n - s);
    const { p } = softmaxRows(await eng.forward(target.x.subarray(s * dim, (s + n) * dim), n, { bnMode: 'eval' }), n, K);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 1; c < K; c++) if (p[i * K + c] > p[i * K + best]) best = c;
      if (p[i * K + best] >= threshold) {
        keep.push(s + i);
        labels.push(best);
      }
    }
  }
  if (keep.length === 0) warn(`pseudo-label: no target example reaches confidence ${threshold}; the model stays unchanged`);
  else log(`pseudo-label: ${keep.length}/${target.n} target examples above confidence ${threshold}`);
  return { x: gatherRows(target.x, dim, keep), n: keep.length, ids: keep.map((i) => target.ids[i]), y: Int32Array.from(labels) };
}

export function pseudoLabel(ctx: MethodContext): AdaptMethod {
  const { o, cfg, dim } = ctx;
  let pseudo: LabeledSet | null = null;
  return {
    totalSteps: cfg.steps,
    trains: true,
    async prepare() {
      pseudo = await pseudoLabels(ctx.engine, o.target, dim, cfg.pseudoThreshold, cfg.batchSize);
    },
    step: (step, seed) => entropyOrCrossEntropyStep(ctx, labeledBatch(pseudo as LabeledSet, dim, cfg.batchSize, step, seed, 'pseudo-label')),
    summary: () => ({ pseudoLabelCount: pseudo?.n }),
  };
}
