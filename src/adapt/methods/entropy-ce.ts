/**
 * `entropy-ce`: jem with its energy term replaced by the target prediction entropy, the control
 * that asks whether the energy term does more than an unsupervised confidence loss would:
 *
 *   L = xent · CE(source batch) + entropy · mean H(target batch) + marginal · KL(p̂ ‖ π)
 *
 * every parameter trained; π the source label marginal and p̂ the running estimate of the target's
 * predicted label marginal, as in jem (--marginal-momentum).
 */
import type { CallOptions, GradEngine } from '../../engine/engine.ts';
import type { GradResult } from '../../jem/objective.ts';
import { marginalPriorOf, updateRunningMarginal } from '../../jem/marginal-prior.ts';
import { ConfigError } from '../../util/errors.ts';
import { entropyPriorTerm, labeledBatch, plusSourceCe } from './grad-step.ts';
import { targetBatch, updateOpts, type AdaptMethod, type MethodContext } from './method.ts';

/**
 * The entropy-ce loss and its gradients: xent · CE(src) + entropy · mean H(x) + prior.w · KL(p̂ ‖ π),
 * the target pass last so the running statistics follow the target batch.
 */
export async function entropyCeLoss(
  engine: GradEngine,
  K: number,
  x: Float32Array,
  B: number,
  src: { x: Float32Array; y: Int32Array } | null,
  w: { xent: number; entropy: number },
  prior: Parameters<typeof entropyPriorTerm>[4],
  opts: CallOptions,
): Promise<GradResult> {
  return plusSourceCe(engine, await entropyPriorTerm(engine, x, B, w.entropy, prior, opts), src, K, w.xent, opts);
}

export function entropyCe(ctx: MethodContext): AdaptMethod {
  const { o, cfg, dim } = ctx;
  if (cfg.xentWeight > 0 && !o.source) throw new ConfigError('method entropy-ce with --xent-weight > 0 needs labeled source data (--source)');
  const prior = marginalPriorOf(cfg, o.source?.y ?? null, o.numClasses);
  return {
    totalSteps: cfg.steps,
    trains: true,
    async step(step, seed) {
      const B = cfg.batchSize;
      const opts = updateOpts(ctx);
      const state = ctx.state();
      const x = targetBatch(ctx, step, seed);
      const p = prior ? { p: prior, w: cfg.marginalWeight, running: state.marginalRunning ?? null, momentum: cfg.marginalMomentum } : null;
      const src = o.source && cfg.xentWeight > 0 ? labeledBatch(o.source, dim, B, step, seed, 'source') : null;
      const r = await entropyCeLoss(ctx.engine, o.numClasses, x, B, src, { xent: cfg.xentWeight, entropy: cfg.entropyWeight }, p, opts);
      const a = ctx.applyGrads(r);
      if (a.batchMarginal) state.marginalRunning = updateRunningMarginal(state.marginalRunning, a.batchMarginal, cfg.marginalMomentum);
      return ctx.verdict({ loss: a.loss, ...a.parts, gradNorm: a.gradNorm }, []);
    },
  };
}
