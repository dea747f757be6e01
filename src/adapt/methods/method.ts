/**
 * The contract between the adaptation trainer (../trainer.ts) and a method (one file each in this
 * folder). The trainer owns the loop: batching seeds, the step count, checkpoints and resume, the
 * divergence guard, metrics.jsonl, weight averaging; it knows no method by name. A method says
 * what it computes at each step (which batch, which loss as ∂L/∂logits) through the context:
 * the engine, the one weight set, and the shared optimizer update.
 */
import type { CallOptions, GradEngine } from '../../engine/engine.ts';
import type { AdamW } from '../../engine/adamw.ts';
import type { GradResult } from '../../jem/objective.ts';
import type { Rng } from '../../util/rng.ts';
import type { Checkpoint, TrainState } from '../checkpoint.ts';
import type { AdaptConfig } from '../config.ts';
import type { TrainerOptions } from '../types.ts';
import { batchIndices, gatherRows } from '../data-order.ts';

export interface StepOutcome {
  ok: boolean;
  /** Why the step failed (a non-finite loss, an energy out of bounds, ...). */
  reason?: string;
  metrics: Record<string, number>;
}

/** What one optimizer update reports. */
export interface Update {
  loss: number;
  parts: Record<string, number>;
  gradNorm: number;
  gradNormEnergy?: number;
  batchMarginal?: Float64Array;
}

export interface MethodContext {
  readonly o: TrainerOptions;
  readonly cfg: AdaptConfig;
  readonly engine: GradEngine;
  /** Values per example. */
  readonly dim: number;
  /** Every weight (trainable ones and BatchNorm running statistics), the arrays the engine runs on. */
  readonly cur: Map<string, Float32Array>;
  /** The trainable weights (views into `cur`). */
  readonly trainW: Map<string, Float32Array>;
  readonly shapes: Map<string, number[]>;
  /** BatchNorm batch statistics during updates (--bn-mode train). */
  readonly training: boolean;
  /** The run's checkpointed state (replaced on restore: read it at every step). */
  state(): TrainState;
  /** The run's noise generator (checkpointed; replaced on restore and on a divergence retry). */
  rng(): Rng;
  /**
   * One AdamW update of the trainable weights from r.grads (and, with `energy`, a second optimizer
   * for r.energyGrads); the running statistics follow r.bnStats in train mode; the engine gets the
   * new weights. Skipped (gradNorm NaN) when the loss or a part is not finite or too large.
   */
  applyGrads(r: GradResult, energy?: { adam: AdamW; lr: number }): Update;
  /** The divergence check of a step: loss, gradient norm and energies finite and bounded. */
  verdict(metrics: Record<string, number>, energies: number[]): StepOutcome;
}

export interface AdaptMethod {
  /** Updates in the whole run. */
  readonly totalSteps: number;
  /** True when the method trains parameters (AdamW state in checkpoints, --bn-init applies). */
  readonly trains: boolean;
  /** Once, from the source weights, before step 0 or a resume (pseudo-labels). */
  prepare?(): Promise<void>;
  step(step: number, seed: number): Promise<StepOutcome>;
  /** The method's own checkpoint content (replay buffer, energy optimizer). */
  checkpoint?(): Pick<Checkpoint, 'buffer' | 'optimizerEnergy'>;
  restore?(ck: Checkpoint): void;
  /** A divergence retry with a new seed: re-seed the method's own generators. */
  reseed?(seed: number): void;
  /** Extra fields of the metrics line at a checkpoint step. */
  checkpointMetrics?(): Record<string, unknown>;
  /** After the last step: summaries and plots. */
  finish?(metricsFile: string): void;
  /** Counts for the trainer's result. */
  summary?(): { pseudoLabelCount?: number };
}

/** Rows [pos·B, pos·B + B) of the target set (the last batch may be short), in order. */
export function targetBatchIndices(nTarget: number, B: number, pos: number): number[] {
  return Array.from({ length: Math.min(B, nTarget - pos * B) }, (_, i) => pos * B + i);
}

/** The target batch of update `step` (the shuffled 'target' stream of the generation's seed). */
export function targetBatch(ctx: MethodContext, step: number, seed: number): Float32Array {
  return gatherRows(ctx.o.target.x, ctx.dim, batchIndices(ctx.o.target.n, ctx.cfg.batchSize, step, seed, 'target'));
}

/** Batches per pass over the target set. */
export function batchesPerPass(nTarget: number, B: number): number {
  return Math.max(1, Math.ceil(nTarget / B));
}

/** The BatchNorm mode of a method's update passes (--bn-mode). */
export function updateOpts(ctx: MethodContext): CallOptions {
  return { bnMode: ctx.training ? 'train' : 'eval' };
}
