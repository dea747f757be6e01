/**
 * `supervised`: the ORACLE. Cross-entropy on the labeled target data (target labels: not an
 * adaptation method; reported apart as a reference).
 */
import { ConfigError } from '../../util/errors.ts';
import { entropyOrCrossEntropyStep, labeledBatch } from './grad-step.ts';
import type { AdaptMethod, MethodContext } from './method.ts';

export function supervised(ctx: MethodContext): AdaptMethod {
  const { o, cfg, dim } = ctx;
  const set = o.oracleTarget;
  if (!set) throw new ConfigError('method supervised needs labeled target data');
  return {
    totalSteps: cfg.steps,
    trains: true,
    step: (step, seed) => entropyOrCrossEntropyStep(ctx, labeledBatch(set, dim, cfg.batchSize, step, seed, 'supervised')),
  };
}
