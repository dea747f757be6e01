/**
 * `tea`: energy-based test-time adaptation (Yuan et al., CVPR 2024; github yuanyige/tea). The loss
 * is the JEM energy term alone, mean E(target batch) − mean E(SGLD samples), on the BatchNorm
 * scale/bias only, with every batch (data and samples) normalised by its own statistics, and no
 * source data. Their defaults (core/param.py, energy.py, cfgs/cifar10/energy.yaml): SGLD
 * x ← x + 0.1·∇x logsumexp f(x) + 0.01·N(0, I) for 20 steps from a persistent buffer initialised
 * U(−1, 1) with 5 % of chains re-initialised per draw, no clipping, no E² regulariser, Adam lr
 * 1e-3, one update per test batch. Ours (config.ts, methodDefaults.tea) keeps all of that but
 * the budget every method gets (60 updates of 64) and two deviations stated there: a 1024-slot
 * buffer, and the uniform init over the target data's per-value range instead of U(−1, 1).
 *
 * The machinery (buffer, sampler, energy objective, health metrics) is jem's (./jem.ts): TEA is
 * that objective with its source terms off.
 */
import { ConfigError } from '../../util/errors.ts';
import { jem } from './jem.ts';
import type { AdaptMethod, MethodContext } from './method.ts';

export function tea(ctx: MethodContext): AdaptMethod {
  const { cfg } = ctx;
  const sourceTerms = [['--xent-weight', cfg.xentWeight], ['--pxy-weight', cfg.pxyWeight]].filter(([, w]) => (w as number) > 0);
  if (sourceTerms.length > 0 || (cfg.marginalWeight > 0 && cfg.marginalPrior === 'source')) {
    throw new ConfigError(`method tea is source-free: ${sourceTerms.map(([k]) => k).join(', ') || '--marginal-prior source'} must be 0/off (use --method jem for the source terms)`);
  }
  if (cfg.ebmWeight <= 0) throw new ConfigError('method tea needs --ebm-weight > 0 (the energy term is the whole objective)');
  return jem(ctx);
}
