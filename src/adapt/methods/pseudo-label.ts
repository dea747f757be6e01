/**
 * `pseudo-label`, built so it cannot collapse onto one class:
 * - labels are re-estimated by the current model at the start of every pass over the target data
 *   (eval-mode forward), kept in the checkpointed state, so a resumed run uses the same labels;
 * - class-balanced selection: --pseudo-fraction of the target set is labeled, class c getting
 *   k_c = round(fraction · n · π_c) examples with π the source label marginal; (example, class)
 *   pairs are taken greedily in decreasing p(c | x), an example at most once, a class up to k_c;
 * - the source cross-entropy is kept (--xent-weight), with the optional label-marginal prior on the
 *   pseudo-labeled batch (--marginal-weight).
 *
 *   L = CE(pseudo-labeled target batch) + xent · CE(source batch) [+ marginal · KL(p̂ ‖ π)]
 */
import type { CallOptions, GradEngine } from '../../engine/engine.ts';
import { crossEntropyGrad, marginalPriorGrad, type GradResult } from '../../jem/objective.ts';
import { labelMarginal } from '../../jem/marginal-prior.ts';
import { ConfigError } from '../../util/errors.ts';
import { log } from '../../util/log.ts';
import { softmaxRows } from '../../util/logsumexp.ts';
import { gatherRows } from '../data-order.ts';
import type { LabeledSet, UnlabeledSet } from '../types.ts';
import { labeledBatch, plusSourceCe } from './grad-step.ts';
import { batchesPerPass, updateOpts, type AdaptMethod, type MethodContext } from './method.ts';

/** Per-class quotas k_c = round(fraction · n · π_c) (at least 1 for a class with π_c > 0 when fraction · n ≥ K). */
export function classQuotas(n: number, fraction: number, prior: ArrayLike<number>): number[] {
  const total = fraction * n;
  return Array.from(prior, (p) => Math.max(total >= prior.length && p > 0 ? 1 : 0, Math.round(total * p)));
}

/**
 * Class-balanced pseudo-labels from probabilities p [n, K]: (example, class) pairs in decreasing
 * p(c | x), each example at most once, class c at most quota[c] times. Returns row indices
 * (ascending) and their classes.
 */
export function balancedLabels(p: ArrayLike<number>, n: number, K: number, quota: number[]): { idx: number[]; y: number[] } {
  const order = Array.from({ length: n * K }, (_, i) => i).sort((a, b) => p[b] - p[a] || a - b);
  const left = quota.slice();
  const label = new Int32Array(n).fill(-1);
  let need = left.reduce((a, b) => a + b, 0);
  for (const i of order) {
    if (need === 0) break;
    const r = Math.floor(i / K);
    const c = i % K;
    if (label[r] >= 0 || left[c] === 0) continue;
    label[r] = c;
    left[c]--;
    need--;
  }
  const idx: number[] = [];
  const y: number[] = [];
  label.forEach((c, r) => {
    if (c >= 0) {
      idx.push(r);
      y.push(c);
    }
  });
  return { idx, y };
}

/** Class probabilities of the current model on the target set (eval-mode forward, in batches). */
async function targetProbs(eng: GradEngine, target: UnlabeledSet, dim: number, batch: number): Promise<Float64Array> {
  const K = eng.numClasses;
  const out = new Float64Array(target.n * K);
  for (let s = 0; s < target.n; s += batch) {
    const n = Math.min(batch, target.n - s);
    out.set(softmaxRows(await eng.forward(target.x.subarray(s * dim, (s + n) * dim), n, { bnMode: 'eval' }), n, K).p, s * K);
  }
  return out;
}

/**
 * The pseudo-label loss and its gradients: CE(pseudo-labeled batch) [+ marginal · KL(p̄ ‖ π) on it]
 * + xent · CE(source batch); the pseudo-labeled (target) pass last, so the running statistics
 * follow the target batch.
 */
export async function pseudoLabelLoss(
  engine: GradEngine,
  K: number,
  batch: { x: Float32Array; y: Int32Array },
  src: { x: Float32Array; y: Int32Array } | null,
  w: { xent: number; marginal: number },
  prior: ArrayLike<number>,
  opts: CallOptions,
): Promise<GradResult> {
  const n = batch.y.length;
  let ce = 0;
  let kl = 0;
  const g = await engine.lossAndGrad(
    batch.x,
    n,
    (logits) => {
      const c = crossEntropyGrad(logits, batch.y, K);
      ce = c.loss;
      if (w.marginal > 0) {
        const m = marginalPriorGrad(logits, n, K, prior, w.marginal);
        kl = m.kl;
        for (let i = 0; i < c.gLogits.length; i++) c.gLogits[i] += m.gLogits[i];
      }
      return { loss: ce + w.marginal * kl, gLogits: c.gLogits };
    },
    opts,
  );
  const r: GradResult = { loss: g.loss, parts: { pseudoXent: ce, ...(w.marginal > 0 ? { marginal: kl } : {}) }, grads: g.grads, bnStats: g.bnStats };
  return plusSourceCe(engine, r, src, K, w.xent, opts);
}

export function pseudoLabel(ctx: MethodContext): AdaptMethod {
  const { o, cfg, dim } = ctx;
  if (!o.source) throw new ConfigError('method pseudo-label needs labeled source data (--source): its class quotas come from the source label marginal');
  const source = o.source;
  const K = o.numClasses;
  const prior = labelMarginal(source.y, K);
  const quota = classQuotas(o.target.n, cfg.pseudoFraction, prior);
  const perPass = batchesPerPass(o.target.n, cfg.batchSize);
  let set: LabeledSet | null = null;
  let setPass = -1;

  async function labelsFor(pass: number): Promise<LabeledSet> {
    const state = ctx.state();
    if (!state.pseudo || state.pseudo.pass !== pass) {
      const { idx, y } = balancedLabels(await targetProbs(ctx.engine, o.target, dim, cfg.batchSize), o.target.n, K, quota);
      state.pseudo = { pass, idx, y };
      log(`pseudo-label: pass ${pass}: ${idx.length}/${o.target.n} target examples labeled, per class ${quota.join(' ')}`);
    }
    if (setPass !== pass || !set) {
      const { idx, y } = state.pseudo;
      set = { x: gatherRows(o.target.x, dim, idx), n: idx.length, ids: idx.map((i) => o.target.ids[i]), y: Int32Array.from(y) };
      setPass = pass;
    }
    return set;
  }

  return {
    totalSteps: cfg.steps,
    trains: true,
    async step(step, seed) {
      const B = cfg.batchSize;
      const opts = updateOpts(ctx);
      const labeled = await labelsFor(Math.floor(step / perPass));
      const batch = labeledBatch(labeled, dim, B, step, seed, 'pseudo-label');
      if (!batch) return { ok: true, metrics: { loss: 0, gradNorm: 0 } };
      const src = cfg.xentWeight > 0 ? labeledBatch(source, dim, B, step, seed, 'source') : null;
      const r = await pseudoLabelLoss(ctx.engine, K, batch, src, { xent: cfg.xentWeight, marginal: cfg.marginalWeight }, prior, opts);
      const a = ctx.applyGrads(r);
      return ctx.verdict({ loss: a.loss, ...a.parts, gradNorm: a.gradNorm, pseudoLabeled: labeled.n }, []);
    },
    summary: () => ({ pseudoLabelCount: set?.n }),
  };
}
