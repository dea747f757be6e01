/**
 * `tent` (Wang et al. 2021): minimise the mean prediction entropy of target batches; by default
 * only BatchNorm scale/bias train (--trainable auto → bn), with batch statistics.
 */
import { entropyOrCrossEntropyStep } from './grad-step.ts';
import { targetBatch, type AdaptMethod, type MethodContext } from './method.ts';

export function tent(ctx: MethodContext): AdaptMethod {
  const { cfg } = ctx;
  return {
    totalSteps: cfg.steps,
    trains: true,
    step: (step, seed) => entropyOrCrossEntropyStep(ctx, { x: targetBatch(ctx, step, seed), y: null }),
  };
}
