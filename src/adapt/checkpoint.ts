/**
 * Adaptation checkpoints: EXPDIR/checkpoints/step-<N>/ in the one checkpoint format of
 * src/engine/checkpoint.ts (written atomically as a whole directory): the weights (BatchNorm
 * statistics included), the AdamW moments (groups 'optimizer' and, with --ebm-optimizer separate,
 * 'optimizer-energy'), the trainer state as meta (step, seed generation, failure count, sampler
 * rng state, the Adam step counts), and buffer/ (the replay buffer: samples, chain step counts,
 * its rng). The adapted weights of a finished run go to EXPDIR/final in the same format.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkpointDir } from '../util/checkpoint-dirs.ts';
import { optimizerFrom, optimizerGroups, readTensorDir, writeTensorDir, type TensorGroups } from '../engine/checkpoint.ts';
import type { RngState } from '../util/rng.ts';
import type { AdamWState as AdamState } from '../engine/adamw.ts';
import { ReplayBuffer } from '../jem/replay-buffer.ts';

export { checkpointDir, listCheckpoints, pruneCheckpoints } from '../util/checkpoint-dirs.ts';

export interface TrainState {
  step: number;
  seed: number;
  generation: number;
  failures: number;
  samplerRng: { s: RngState; spare: number | null };
  method: string;
  /** JEM with --marginal-weight: running estimate of the target label marginal. */
  marginalRunning?: number[];
  /** JEM with --sgld-gap-control: the SGLD step size of the next update. */
  sgldStepSize?: number;
  /** pseudo-label: the labels of the current pass (target row indices and classes) and the pass they were estimated at. */
  pseudo?: { pass: number; idx: number[]; y: number[] };
}

export interface Checkpoint {
  state: TrainState;
  weights: Map<string, Float32Array>;
  optimizer: AdamState | null;
  /** JEM with --ebm-optimizer separate: the energy terms' own Adam state. */
  optimizerEnergy?: AdamState | null;
  buffer: ReplayBuffer | null;
}

interface AdaptMeta {
  state: TrainState;
  optimizerT: number | null;
  optimizerEnergyT: number | null;
}

export function saveCheckpoint(expDir: string, ck: Checkpoint): string {
  const dir = checkpointDir(expDir, ck.state.step);
  const groups: TensorGroups = new Map([['weights', ck.weights]]);
  if (ck.optimizer) optimizerGroups(groups, 'optimizer', ck.optimizer);
  if (ck.optimizerEnergy) optimizerGroups(groups, 'optimizer-energy', ck.optimizerEnergy);
  const meta: AdaptMeta = { state: ck.state, optimizerT: ck.optimizer?.t ?? null, optimizerEnergyT: ck.optimizerEnergy?.t ?? null };
  writeTensorDir(dir, groups, meta, (tmp) => ck.buffer?.save(path.join(tmp, 'buffer')));
  return dir;
}

export function loadCheckpoint(dir: string): Checkpoint {
  const { meta, groups } = readTensorDir<AdaptMeta>(dir);
  const buffer = fs.existsSync(path.join(dir, 'buffer', 'buffer.json')) ? ReplayBuffer.load(path.join(dir, 'buffer')) : null;
  return {
    state: meta.state,
    weights: groups.get('weights') ?? new Map(),
    optimizer: optimizerFrom(groups, 'optimizer', meta.optimizerT),
    optimizerEnergy: optimizerFrom(groups, 'optimizer-energy', meta.optimizerEnergyT),
    buffer,
  };
}

/** The adapted weights of a finished run: EXPDIR/final. */
export function saveFinalWeights(expDir: string, weights: Map<string, Float32Array>): void {
  writeTensorDir(path.join(expDir, 'final'), new Map([['weights', weights]]), {});
}

export function loadFinalWeights(expDir: string): Map<string, Float32Array> {
  return readTensorDir(path.join(expDir, 'final')).groups.get('weights') ?? new Map();
}
