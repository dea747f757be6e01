/**
 * In-memory data the trainer sees. Unlabeled sets have NO label field: the target data of every
 * unsupervised method is an UnlabeledSet read through readUnlabeledDataDir. Only the
 * `supervised` oracle gets a LabeledSet for the target.
 */
import type { EnergyGrad } from '../model/types.ts';
import type { GradEngine } from '../engine/engine.ts';
import type { AdaptConfig, Method } from './config.ts';

export interface UnlabeledSet {
  /** n × dim row-major model inputs. */
  x: Float32Array;
  n: number;
  ids: string[];
}

export interface LabeledSet extends UnlabeledSet {
  y: Int32Array;
}

/** What `runTrainer` adapts: the method, the engine, the data and the configuration. */
export interface TrainerOptions {
  method: Method;
  /**
   * The parameter-gradient engine every method computes its forward passes and gradients on. The
   * trainer keeps the weights as Float32Arrays, updated in place by AdamW and handed back to the
   * engine (and to a separate `energyGrad`) after every step.
   */
  engine: GradEngine;
  /** SGLD backend (jem only). */
  energyGrad: EnergyGrad | null;
  /** Parameters held fixed whatever --trainable says (--freeze head: the classifier head). */
  frozen?: ReadonlySet<string> | null;
  /** JEM: the parameters the energy terms train (--ebm-params bn: BatchNorm scale/bias); null = all. */
  ebmParams?: ReadonlySet<string> | null;
  /** Class-conditional backend for the p(x|y) term when energyGrad cannot take classes (ort graphs). */
  energyGradClass?: EnergyGrad | null;
  /** True when energyGrad evaluates the engine's own tfjs model (it sees setWeights): no copies needed. */
  samplerSharesModel: boolean;
  exampleShape: number[];
  numClasses: number;
  source: LabeledSet | null;
  target: UnlabeledSet;
  /** Target labels: ONLY for the `supervised` oracle. */
  oracleTarget?: LabeledSet;
  config: AdaptConfig;
  expDir: string;
  seed: number;
  resume: boolean;
  /** Polled before each step (SIGINT/SIGTERM): write a checkpoint and return. */
  shouldStop?: () => boolean;
}
