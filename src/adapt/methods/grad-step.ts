/**
 * The one gradient step of the classifier baselines: mean prediction entropy on an unlabeled
 * batch (tent) or mean cross-entropy on a labeled batch (pseudo-label, supervised), then the
 * trainer's AdamW update.
 */
import { crossEntropyTerm, entropyGrad, type GradResult } from '../../jem/objective.ts';
import { batchIndices, gatherRows } from '../data-order.ts';
import type { LabeledSet } from '../types.ts';
import type { MethodContext, StepOutcome } from './method.ts';

/** A batch of a labeled set for step `step`: rows in the data order of `stream`, with their labels (null when the set is empty). */
export function labeledBatch(set: LabeledSet, dim: number, B: number, step: number, seed: number, stream: string): { x: Float32Array; y: Int32Array } | null {
  if (set.n === 0) return null;
  const idx = batchIndices(set.n, B, step, seed, stream);
  return { x: gatherRows(set.x, dim, idx), y: Int32Array.from(idx, (i) => set.y[i]) };
}

export async function entropyOrCrossEntropyStep(ctx: MethodContext, batch: { x: Float32Array; y: Int32Array | null } | null): Promise<StepOutcome> {
  if (!batch) return { ok: true, metrics: { loss: 0, gradNorm: 0 } };
  const B = ctx.cfg.batchSize;
  const K = ctx.o.numClasses;
  const bnMode = ctx.training ? 'train' : 'eval';
  const { x, y } = batch;
  let r: GradResult;
  if (!y) {
    const g = await ctx.engine.lossAndGrad(x, B, (logits) => entropyGrad(logits, B, K), { bnMode });
    r = { loss: g.loss, parts: { entropy: g.loss }, grads: g.grads, bnStats: g.bnStats };
  } else {
    const g = await crossEntropyTerm(ctx.engine, x, y, K, 1, { bnMode });
    r = { loss: g.loss, parts: { xent: g.loss }, grads: g.grads, bnStats: g.bnStats };
  }
  const a = ctx.applyGrads(r);
  return ctx.verdict({ loss: a.loss, ...a.parts, gradNorm: a.gradNorm }, []);
}
