/**
 * `adabn` (Li et al. 2016): BatchNorm running statistics re-estimated on the target data, no
 * parameter trained. The statistics are the EXACT pooled statistics of the target set
 * (../adabn-pool.ts), accumulated one batch per step over the first pass; later passes add
 * nothing (train-mode batch statistics depend only on the unchanged weights), and a resumed run
 * rebuilds the pool by replaying the batches. --bn-source-weight w blends the SOURCE statistics
 * into the pooled ones (w·source + (1−w)·target, Schneider et al. 2020); the source statistics are
 * those of the model the method starts from, copied before the first write.
 */
import { AdabnPool } from '../adabn-pool.ts';
import { gatherRows } from '../data-order.ts';
import { batchesPerPass, targetBatchIndices, type AdaptMethod, type MethodContext } from './method.ts';

/** A copy of the current weights: the source statistics for the --bn-source-weight blend. */
export function sourceStats(ctx: MethodContext): Map<string, Float32Array> {
  return new Map([...ctx.cur].map(([k, a]) => [k, Float32Array.from(a)]));
}

/**
 * Pool the train-mode batch statistics of all target data (one pass, in order) into ctx.cur,
 * blended with `source` (the statistics before any write) at weight cfg.bnSourceWeight.
 */
export async function poolTargetStats(ctx: MethodContext, pool: AdabnPool, source: Map<string, Float32Array>, upTo = batchesPerPass(ctx.o.target.n, ctx.cfg.batchSize)): Promise<void> {
  const { o, cfg, dim } = ctx;
  while (pool.positions < upTo) {
    const idx = targetBatchIndices(o.target.n, cfg.batchSize, pool.positions);
    const r = await ctx.engine.forwardWithStats(gatherRows(o.target.x, dim, idx), idx.length, { bnMode: 'train' });
    pool.add(r.bnStats, idx.length);
  }
  pool.writeRunning(ctx.cur, { stats: source, weight: ctx.cfg.bnSourceWeight });
  ctx.engine.setWeights(ctx.cur);
}

export function adabn(ctx: MethodContext): AdaptMethod {
  const perPass = batchesPerPass(ctx.o.target.n, ctx.cfg.batchSize);
  const pool = new AdabnPool();
  // Created before any restore: ctx.cur holds the source model's statistics.
  const source = sourceStats(ctx);
  return {
    totalSteps: ctx.cfg.adabnPasses * perPass,
    trains: false,
    async step(step) {
      await poolTargetStats(ctx, pool, source, Math.min(perPass, step + 1));
      return { ok: true, metrics: { pooledBatches: pool.positions } };
    },
  };
}
