/**
 * Gradient engines of `jemda train`: one training step (forward in training mode with BatchNorm
 * batch statistics, mean label-smoothed cross-entropy, parameter gradients, BatchNorm running
 * statistics updated) and the weights, behind one interface, so the trainer (AdamW, schedule,
 * checkpoints, dev evaluation, averaging, export) is the same for both:
 * - 'ort': onnxruntime through the VJP graph of model/vjp-ort.ts (logits and gradients in one run
 *   of the softmax-head graph); the fast CPU path.
 * - 'tfjs': the tfjs importer (tf.variableGrads); the GPU path when tfjs-node(-gpu) is the backend.
 * Both key weights by initializer name (every float initializer, BatchNorm running statistics
 * included), so checkpoints are interchangeable between engines.
 */
import * as tf from '@tensorflow/tfjs';
import { importModel } from '../model/importer.ts';
import { findLogits } from '../model/logits.ts';
import { onnx, toNum, type ModelProto } from '../model/onnx-io.ts';
import { VjpOrt, updateRunningStats } from '../model/vjp-ort.ts';
import { MismatchError } from '../util/errors.ts';
import { trainStep, variableNames, type StepResult } from './step.ts';
import { logSumExp } from '../util/logsumexp.ts';

import type { EngineName } from '../engine/resolve.ts';

export interface TrainEngine {
  readonly name: EngineName;
  /** Initializers that get gradients (all float initializers but BatchNorm running statistics). */
  readonly trainable: string[];
  /** Every float initializer's shape (weight decay applies to rank ≥ 2). */
  readonly shapes: Map<string, number[]>;
  /** Copies of all weights (trainable ones and BatchNorm running statistics). */
  getWeights(): Map<string, Float32Array>;
  /** Set some or all weights (names must be float initializers of the model). */
  setWeights(w: Map<string, Float32Array>): void;
  /** One step on a batch: loss, correct count, gradients; BatchNorm running statistics are updated. */
  step(x: Float32Array, batch: number, labels: Int32Array, smoothing: number): Promise<StepResult>;
  dispose(): Promise<void>;
}


function floatShapes(model: ModelProto): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const t of model.graph?.initializer ?? []) {
    if (t.dataType === onnx.TensorProto.DataType.FLOAT || t.dataType === onnx.TensorProto.DataType.DOUBLE) m.set(t.name ?? '', (t.dims ?? []).map(toNum));
  }
  return m;
}

/**
 * Mean cross-entropy of logits [B, K] against labels with label smoothing ε (target
 * (1 − ε)·onehot + ε/K), and the number of correct argmax predictions.
 */
export function smoothedCrossEntropy(logits: Float32Array, labels: Int32Array, K: number, smoothing: number): { loss: number; correct: number } {
  const B = labels.length;
  let loss = 0;
  let correct = 0;
  for (let b = 0; b < B; b++) {
    const row = logits.subarray(b * K, (b + 1) * K);
    let arg = 0;
    for (let k = 1; k < K; k++) if (row[k] > row[arg]) arg = k;
    const lse = logSumExp(row);
    let l = 0;
    for (let k = 0; k < K; k++) l -= ((k === labels[b] ? 1 - smoothing : 0) + smoothing / K) * (row[k] - lse);
    loss += l;
    if (arg === labels[b]) correct++;
  }
  return { loss: loss / B, correct };
}

/** coef and target of the softmax head for the smoothed mean cross-entropy: g = (softmax − t)/B. */
export function smoothedTarget(labels: Int32Array, K: number, smoothing: number): { coef: Float32Array; target: Float32Array } {
  const B = labels.length;
  const target = new Float32Array(B * K).fill(smoothing / K / B);
  labels.forEach((y, b) => {
    if (!(y >= 0 && y < K)) throw new MismatchError(`label ${y} of example ${b} out of range [0, ${K})`);
    target[b * K + y] += (1 - smoothing) / B;
  });
  return { coef: new Float32Array(B).fill(1 / B), target };
}

class OrtEngine implements TrainEngine {
  readonly name = 'ort' as const;
  private constructor(
    private readonly v: VjpOrt,
    readonly trainable: string[],
    readonly shapes: Map<string, number[]>,
    private readonly K: number,
  ) {}

  static async create(model: ModelProto, exampleShape: number[], threads?: number): Promise<OrtEngine> {
    const v = await VjpOrt.create(model, { logitsName: findLogits(model).name, trainable: 'all', bnMode: 'train', threads, exampleShape });
    const g = await v.graph();
    // own copies: the arrays fed to onnxruntime are replaced, never mutated by the trainer
    v.setWeights(new Map([...v.getWeights()].map(([n, a]) => [n, a.slice()])));
    return new OrtEngine(v, [...g.gradOutputs.keys()], floatShapes(model), g.numClasses);
  }

  getWeights(): Map<string, Float32Array> {
    return new Map([...this.v.getWeights()].map(([n, a]) => [n, a.slice()]));
  }

  setWeights(w: Map<string, Float32Array>): void {
    for (const n of w.keys()) if (!this.shapes.has(n)) throw new MismatchError(`setWeights: no float initializer '${n}' in the model`);
    this.v.setWeights(new Map([...w].map(([n, a]) => [n, a.slice()])));
  }

  async step(x: Float32Array, batch: number, labels: Int32Array, smoothing: number): Promise<StepResult> {
    const { coef, target } = smoothedTarget(labels, this.K, smoothing);
    const r = await this.v.vjpSoftmax(x, batch, coef, target);
    const { loss, correct } = smoothedCrossEntropy(r.logits, labels, this.K, smoothing);
    if (r.bnStats && Number.isFinite(loss)) {
      const names = new Set([...r.bnStats.values()].flatMap((s) => [s.meanName, s.varName]));
      const cur = this.v.getWeights();
      const stats = new Map([...names].map((n) => [n, (cur.get(n) as Float32Array).slice()]));
      updateRunningStats(stats, r.bnStats);
      this.v.setWeights(stats);
    }
    return { loss, correct, grads: r.grads };
  }

  async dispose(): Promise<void> {
    await this.v.dispose();
  }
}

class TfjsEngine implements TrainEngine {
  readonly name = 'tfjs' as const;
  private readonly model;
  private readonly names: Map<string, string>;
  readonly trainable: string[];
  readonly shapes: Map<string, number[]>;
  private readonly exampleShape: number[];

  constructor(model: ModelProto, exampleShape: number[]) {
    this.model = importModel(model, { trainable: 'all' });
    this.names = variableNames(this.model);
    this.trainable = this.model.trainableVariables().map((v) => this.names.get(v.name) ?? v.name);
    this.shapes = new Map([...this.model.variables].map(([k, v]) => [k, v.shape]));
    this.exampleShape = exampleShape;
  }

  getWeights(): Map<string, Float32Array> {
    return this.model.getWeights();
  }

  setWeights(w: Map<string, Float32Array>): void {
    this.model.setWeights(w);
  }

  async step(x: Float32Array, batch: number, labels: Int32Array, smoothing: number): Promise<StepResult> {
    return trainStep(this.model, this.names, x, [batch, ...this.exampleShape], labels, smoothing);
  }

  async dispose(): Promise<void> {
    this.model.dispose();
  }
}

export async function createEngine(name: EngineName, model: ModelProto, exampleShape: number[], threads?: number): Promise<TrainEngine> {
  return name === 'ort' ? OrtEngine.create(model, exampleShape, threads) : new TfjsEngine(model, exampleShape);
}

/** The current tfjs backend name, '' when none is set (never initialises one). */
export function currentTfjsBackend(): string {
  return tf.engine().backendName ?? '';
}
