/**
 * Training checkpoints: EXPDIR/checkpoints/step-<N>/ in the one checkpoint format of
 * src/engine/checkpoint.ts: weights (BatchNorm running statistics included), the AdamW moments
 * (group 'adam'), and as meta the step, epoch, Adam t, rng state and free-form trainer info.
 */
import { optimizerFrom, optimizerGroups, readTensorDir, writeTensorDir, type TensorGroups } from '../engine/checkpoint.ts';
import type { RngState } from '../util/rng.ts';
import type { AdamWState } from '../engine/adamw.ts';

export { checkpointDir, listCheckpoints, pruneCheckpoints } from '../util/checkpoint-dirs.ts';

export interface Checkpoint {
  step: number;
  epoch: number;
  weights: Map<string, Float32Array>;
  adam: AdamWState;
  rng: { s: RngState; spare: number | null };
  /** Anything else the trainer wants back (best dev accuracy, patience counter, ...). */
  info: Record<string, unknown>;
}

interface TrainMeta {
  step: number;
  epoch: number;
  adamT: number;
  rng: Checkpoint['rng'];
  info: Record<string, unknown>;
}

export function saveCheckpoint(dir: string, c: Checkpoint): void {
  const groups: TensorGroups = new Map([['weights', c.weights]]);
  optimizerGroups(groups, 'adam', c.adam);
  const meta: TrainMeta = { step: c.step, epoch: c.epoch, adamT: c.adam.t, rng: c.rng, info: c.info };
  writeTensorDir(dir, groups, meta);
}

export function loadCheckpoint(dir: string): Checkpoint {
  const { meta, groups } = readTensorDir<TrainMeta>(dir);
  const adam = optimizerFrom(groups, 'adam', meta.adamT) as AdamWState;
  return { step: meta.step, epoch: meta.epoch, weights: groups.get('weights') ?? new Map(), adam, rng: meta.rng, info: meta.info };
}
