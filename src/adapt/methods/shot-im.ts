/**
 * `shot-im`: the information-maximisation loss of SHOT (Liang, Hu, Feng; ICML 2020; github
 * tim-learn/SHOT): mean prediction entropy of a target batch (confident predictions) plus the
 * diversity term KL(mean prediction ‖ uniform) (= −H(mean prediction) + log K: no collapse onto one
 * class), with the classifier head frozen (--freeze head) and every other parameter trained with
 * batch statistics. Source-free. Weights --entropy-weight and --marginal-weight (SHOT: 1 and 1).
 */
import { marginalPriorOf } from '../../jem/marginal-prior.ts';
import { entropyPriorTerm } from './grad-step.ts';
import { targetBatch, updateOpts, type AdaptMethod, type MethodContext } from './method.ts';

export function shotIm(ctx: MethodContext): AdaptMethod {
  const { o, cfg } = ctx;
  const prior = marginalPriorOf(cfg, o.source?.y ?? null, o.numClasses);
  return {
    totalSteps: cfg.steps,
    trains: true,
    async step(step, seed) {
      const B = cfg.batchSize;
      const x = targetBatch(ctx, step, seed);
      const p = prior ? { p: prior, w: cfg.marginalWeight, running: null, momentum: 0 } : null;
      const a = ctx.applyGrads(await entropyPriorTerm(ctx.engine, x, B, cfg.entropyWeight, p, updateOpts(ctx)));
      return ctx.verdict({ loss: a.loss, ...a.parts, gradNorm: a.gradNorm }, []);
    },
  };
}
