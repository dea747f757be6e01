/**
 * The one parameter-gradient engine interface that `jemda adapt` and `jemda train` run on. A
 * method never differentiates anything itself: it asks for logits, or hands the engine ∂L/∂logits
 * (fixed, or computed from the logits by a LossFn) and gets the parameter gradients back; the
 * engine does forward and backward in ONE pass over the batch, so BatchNorm batch statistics, the
 * logits and the gradients all belong to the same pass.
 *
 * Implementations:
 * - onnxruntime: `VjpOrt` (src/model/vjp-ort.ts), the VJP graph derived from the ONNX model; the
 *   fast CPU path.
 * - tfjs: `TfjsGradEngine` (./tfjs-engine.ts), the importer under tf.variableGrads; the
 *   tfjs-node(-gpu) path and the differentiable reference.
 *
 * Weights are keyed by initializer name (every float initializer, BatchNorm running statistics
 * included), so checkpoints are interchangeable between engines. In 'train' BatchNorm mode a call
 * reports the batch statistics it used (`bnStats`); the running statistics change only when the
 * caller writes them (updateRunningStats or an exact pool) and hands the weights back.
 */
import type { BnBatchStats, CallOptions, LossFn, VjpResult } from '../model/types.ts';
import type { EngineName } from './resolve.ts';

export type { BnBatchStats, CallOptions, LossFn, VjpResult };

export interface GradEngine {
  readonly name: EngineName;
  /** Number of logits K. */
  readonly numClasses: number;
  /** Initializers that get gradients. */
  trainableNames(): Promise<string[]>;
  /** Shape of every float initializer, by name. */
  getShapes(): Map<string, number[]>;
  /** All weights (trainable ones and BatchNorm running statistics). Read-only: they may be the engine's own arrays. */
  getWeights(): Map<string, Float32Array>;
  /** Make these weights current (some or all; the engine may keep the arrays given: hand them back after changing them). */
  setWeights(w: Map<string, Float32Array>): void;
  /** Logits [batch, K]. */
  forward(x: Float32Array, batch: number, opts?: CallOptions): Promise<Float32Array>;
  /** Logits and, in bnMode 'train', the batch statistics of every BatchNorm node. */
  forwardWithStats(x: Float32Array, batch: number, opts?: CallOptions): Promise<{ logits: Float32Array; bnStats?: Map<string, BnBatchStats> }>;
  /** Logits and the vector–Jacobian product of gLogits (= ∂L/∂logits, [batch, K]) with the trainable weights. */
  vjp(x: Float32Array, batch: number, gLogits: Float32Array, opts?: CallOptions): Promise<VjpResult>;
  /** The VJP of ∂L/∂logits = softmax(logits)·coef[b] − target[b, k] (cross-entropy, energies; see softmaxHeadCE). */
  vjpSoftmax(x: Float32Array, batch: number, coef: Float32Array, target: Float32Array, opts?: CallOptions): Promise<VjpResult>;
  /** One pass: logits → lossFn → their VJP; returns the loss with the VJP result. */
  lossAndGrad(x: Float32Array, batch: number, lossFn: LossFn, opts?: CallOptions): Promise<VjpResult & { loss: number }>;
  dispose(): Promise<void> | void;
}
