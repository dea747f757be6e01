/**
 * Contracts between the model layer (src/model), the sampler (src/jem) and the trainer
 * (src/adapt). Implementations: src/model/importer.ts (tfjs, differentiable, trainable) and
 * src/model/grad-graph.ts + src/model/ort-runner.ts (onnxruntime: forward, and E(x) with ∂E/∂x).
 */
import type * as tf from '@tensorflow/tfjs';

export type Trainable = 'all' | 'bn' | 'none';

/** BatchNorm with running statistics (eval) or batch statistics (train). */
export type BnMode = 'eval' | 'train';

/** The batch statistics one BatchNormalization node used in training mode. */
export interface BnBatchStats {
  mean: Float32Array;
  /** Unbiased batch variance (for the running-variance update). */
  varUnbiased: Float32Array;
  /** The node's momentum attribute: running = running·momentum + batch·(1 − momentum). */
  momentum: number;
  /** Initializers of the running mean and variance. */
  meanName: string;
  varName: string;
}

export interface ForwardOptions {
  /** BatchNorm batch statistics (and Dropout active) instead of running statistics. */
  training?: boolean;
  /** With training: update the running statistics in the variables (momentum). */
  updateStats?: boolean;
  /** With training: every BatchNormalization node's batch statistics, by node name. */
  bnStatsSink?: Map<string, BnBatchStats>;
}

/** A differentiable tfjs function built from an ONNX graph. */
export interface ImportedModel {
  /** Names of graph input and the chosen logits tensor ("--logits" override or auto-detected). */
  inputName: string;
  logitsName: string;
  /** How logitsName was chosen, for logs: e.g. "input of terminal Softmax node 'Softmax_19'". */
  logitsReason: string;
  /** All initializers as variables (trainable flag set according to `trainable`). */
  variables: Map<string, tf.Variable>;
  /** The subset that receives gradients. */
  trainableVariables(): tf.Variable[];
  /**
   * Forward pass to the logits. training=true: BatchNorm uses batch statistics and (when
   * updateStats) updates running statistics with the node's momentum; Dropout is active.
   * training=false: running statistics, no dropout. Must be called inside tf.tidy or its result disposed.
   */
  logits(x: tf.Tensor, opts?: ForwardOptions): tf.Tensor2D;
  /** Any named tensor of the graph (for onnx-test: the graph outputs). */
  run(x: tf.Tensor, outputs: string[], opts?: ForwardOptions): tf.Tensor[];
  /** Current weights and BatchNorm running stats as float arrays, keyed by initializer name. */
  getWeights(): Map<string, Float32Array>;
  setWeights(w: Map<string, Float32Array>): void;
  dispose(): void;
}

/** E(x) and ∂E/∂x for a batch, computed in eval mode (BatchNorm running statistics). */
export interface EnergyGrad {
  /** Input shape of one example, e.g. [1, 98, 40]. */
  exampleShape: number[];
  /**
   * x: batch × prod(exampleShape) float32. Returns energy per example (E = −logsumexp(logits), or
   * −logits[y] when `classes` is given) and the gradient ∂E/∂x, same layout as x.
   */
  energyAndGrad(x: Float32Array, batch: number, classes?: Int32Array): Promise<{ energy: Float32Array; grad: Float32Array }>;
  /** Make new weights visible (after a parameter update). */
  setWeights(w: Map<string, Float32Array>): void;
  dispose(): Promise<void> | void;
  /**
   * BatchNorm mode the energies are computed in ('train': the batch's own statistics), when known.
   * jem reuses its loss pass as the samples' final energy only when it matches that pass's mode.
   */
  readonly bnMode?: BnMode;
}

/** Options of one call of a parameter-gradient engine (src/engine/engine.ts). */
export interface CallOptions {
  /** BatchNorm mode of this call: 'train' (batch statistics) or 'eval' (running statistics). */
  bnMode?: BnMode;
  exampleShape?: number[];
  /**
   * Only these trainable initializers need a gradient (the result's `grads` holds just them). An
   * engine may run a cheaper graph for it: the onnxruntime engine builds a VJP graph without the
   * other weights' gradients (no convolution weight gradients for a BatchNorm-only term).
   */
  gradFor?: ReadonlySet<string>;
}

export interface VjpResult {
  /** Logits [batch, K] of the pass. */
  logits: Float32Array;
  /** Trainable initializer → ∂L/∂w (same layout as the initializer). */
  grads: Map<string, Float32Array>;
  /** ∂L/∂x, when the engine computes it. */
  gradX?: Float32Array;
  /** BatchNorm node → the batch statistics it used (bnMode 'train' only). */
  bnStats?: Map<string, BnBatchStats>;
}

/** ∂L/∂logits from the logits of the same pass: the loss and its gradient [batch, K]. */
export type LossFn = (logits: Float32Array, batch: number, classes: number) => { loss: number; gLogits: Float32Array };
