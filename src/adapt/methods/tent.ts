/**
 * `tent` (Wang et al. 2021): minimise the mean prediction entropy of target batches; by default
 * only BatchNorm scale/bias train (--trainable auto → bn), with batch statistics.
 */
import { batchIndices, gatherRows } from '../data-order.ts';
import { entropyOrCrossEntropyStep } from './grad-step.ts';
import type { AdaptMethod, MethodContext } from './method.ts';

export function tent(ctx: MethodContext): AdaptMethod {
  const { o, cfg, dim } = ctx;
  return {
    totalSteps: cfg.steps,
    trains: true,
    step: (step, seed) => entropyOrCrossEntropyStep(ctx, { x: gatherRows(o.target.x, dim, batchIndices(o.target.n, cfg.batchSize, step, seed, 'target')), y: null }),
  };
}
