/**
 * The classifier losses of the baselines, each one engine pass with ∂L/∂logits from
 * src/jem/objective.ts: mean prediction entropy (tent), cross-entropy on a labeled batch
 * (supervised, pseudo-label), entropy + label-marginal prior (shot-im, entropy-ce), and the step
 * that applies one of them with the trainer's AdamW update.
 */
import type { CallOptions, GradEngine } from '../../engine/engine.ts';
import { crossEntropyTerm, entropyGrad, marginalPriorGrad, type GradResult } from '../../jem/objective.ts';
import { batchIndices, gatherRows } from '../data-order.ts';
import type { LabeledSet } from '../types.ts';
import { updateOpts, type MethodContext, type StepOutcome } from './method.ts';

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
  const { x, y } = batch;
  let r: GradResult;
  if (!y) {
    r = await entropyPriorTerm(ctx.engine, x, B, 1, null, updateOpts(ctx));
  } else {
    const g = await crossEntropyTerm(ctx.engine, x, y, K, 1, updateOpts(ctx));
    r = { loss: g.loss, parts: { xent: g.loss }, grads: g.grads, bnStats: g.bnStats };
  }
  const a = ctx.applyGrads(r);
  return ctx.verdict({ loss: a.loss, ...a.parts, gradNorm: a.gradNorm }, []);
}

/** The sum of two gradient results (losses, parts and gradients added; b's batch statistics and marginal win when present). */
export function sumGrads(a: GradResult, b: GradResult): GradResult {
  const grads = new Map<string, Float32Array>();
  for (const [k, g] of a.grads) grads.set(k, Float32Array.from(g));
  for (const [k, g] of b.grads) {
    const acc = grads.get(k);
    if (!acc) grads.set(k, Float32Array.from(g));
    else for (let i = 0; i < g.length; i++) acc[i] += g[i];
  }
  return { loss: a.loss + b.loss, parts: { ...a.parts, ...b.parts }, grads, bnStats: b.bnStats ?? a.bnStats, batchMarginal: b.batchMarginal ?? a.batchMarginal };
}

/**
 * Unsupervised target loss on one batch, one pass: wEnt · mean entropy + prior.w · KL(p̂ ‖ π)
 * (marginalPriorGrad: p̂ the batch's mean prediction, or blended with a running estimate).
 * parts: entropy, marginal (KL); batchMarginal: the batch's mean prediction.
 */
export async function entropyPriorTerm(
  engine: GradEngine,
  x: Float32Array,
  B: number,
  wEnt: number,
  prior: { p: ArrayLike<number>; w: number; running: ArrayLike<number> | null; momentum: number } | null,
  opts: CallOptions,
): Promise<GradResult> {
  let ent = 0;
  let kl = 0;
  let batchMarginal: Float64Array | undefined;
  const r = await engine.lossAndGrad(
    x,
    B,
    (logits, n, K) => {
      const e = entropyGrad(logits, n, K);
      ent = e.loss;
      const g = e.gLogits;
      for (let i = 0; i < g.length; i++) g[i] *= wEnt;
      if (prior) {
        const m = marginalPriorGrad(logits, n, K, prior.p, prior.w, prior.running, prior.momentum);
        kl = m.kl;
        batchMarginal = m.batchMean;
        for (let i = 0; i < g.length; i++) g[i] += m.gLogits[i];
      }
      return { loss: wEnt * ent + (prior ? prior.w * kl : 0), gLogits: g };
    },
    opts,
  );
  return { loss: r.loss, parts: { entropy: ent, ...(prior ? { marginal: kl } : {}) }, grads: r.grads, bnStats: r.bnStats, batchMarginal };
}

/** r plus w · CE(src) (the source cross-entropy kept by entropy-ce and pseudo-label); r's batch statistics win. */
export async function plusSourceCe(engine: GradEngine, r: GradResult, src: { x: Float32Array; y: Int32Array } | null, K: number, w: number, opts: CallOptions): Promise<GradResult> {
  if (!src || !(w > 0)) return r;
  const ce = await crossEntropyTerm(engine, src.x, src.y, K, w, opts);
  return sumGrads({ loss: w * ce.loss, parts: { xent: ce.loss }, grads: ce.grads }, r);
}
