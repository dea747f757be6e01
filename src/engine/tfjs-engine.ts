/**
 * The tfjs GradEngine: the importer's model under tf.variableGrads. A VJP is the gradient of the
 * surrogate Σ logits ⊙ G with G = ∂L/∂logits held constant, so any loss written as ∂L/∂logits in JS
 * (src/jem/objective.ts) runs here exactly as on onnxruntime, in one forward and one backward pass
 * (a LossFn reads the logits of that same pass). BatchNorm in 'train' mode normalises with the
 * batch statistics and reports them (bnStats); the running statistics in the variables change only
 * through setWeights, as on onnxruntime.
 */
import * as tf from '@tensorflow/tfjs';
import type { BnBatchStats, ImportedModel } from '../model/types.ts';
import { MismatchError } from '../util/errors.ts';
import { softmaxRows } from '../util/logsumexp.ts';
import type { CallOptions, GradEngine, LossFn, VjpResult } from './engine.ts';

export class TfjsGradEngine implements GradEngine {
  readonly name = 'tfjs' as const;
  readonly numClasses: number;
  /** tf variable name → initializer name. */
  private readonly initName = new Map<string, string>();

  constructor(
    readonly model: ImportedModel,
    private readonly exampleShape: number[],
  ) {
    for (const [k, v] of model.variables) this.initName.set(v.name, k);
    this.numClasses = tf.tidy(() => model.logits(tf.zeros([1, ...exampleShape]), { training: false }).shape[1]);
  }

  async trainableNames(): Promise<string[]> {
    return this.model.trainableVariables().map((v) => this.initName.get(v.name) ?? v.name);
  }

  getShapes(): Map<string, number[]> {
    return new Map([...this.model.variables].map(([k, v]) => [k, [...v.shape]]));
  }

  getWeights(): Map<string, Float32Array> {
    return this.model.getWeights();
  }

  setWeights(w: Map<string, Float32Array>): void {
    this.model.setWeights(w);
  }

  private input(x: Float32Array, batch: number, opts?: CallOptions): tf.Tensor {
    const shape = opts?.exampleShape ?? this.exampleShape;
    const per = shape.reduce((a, b) => a * b, 1);
    if (x.length !== batch * per) throw new MismatchError(`${x.length} values for batch ${batch} × [${shape.join(', ')}]`);
    return tf.tensor(x, [batch, ...shape]);
  }

  async forward(x: Float32Array, batch: number, opts?: CallOptions): Promise<Float32Array> {
    return (await this.forwardWithStats(x, batch, opts)).logits;
  }

  async forwardWithStats(x: Float32Array, batch: number, opts?: CallOptions): Promise<{ logits: Float32Array; bnStats?: Map<string, BnBatchStats> }> {
    const training = (opts?.bnMode ?? 'train') === 'train';
    const sink = training ? new Map<string, BnBatchStats>() : undefined;
    const logits = tf.tidy(() => Float32Array.from(this.model.logits(this.input(x, batch, opts), { training, bnStatsSink: sink }).dataSync() as Float32Array));
    return { logits, bnStats: sink && sink.size > 0 ? sink : undefined };
  }

  /** One pass: logits, G = gOf(logits), gradients of Σ logits ⊙ G. */
  private pass(x: Float32Array, batch: number, gOf: (logits: Float32Array) => Float32Array, opts?: CallOptions): VjpResult {
    const training = (opts?.bnMode ?? 'train') === 'train';
    const sink = training ? new Map<string, BnBatchStats>() : undefined;
    const K = this.numClasses;
    const only = opts?.gradFor;
    const vars = this.model.trainableVariables().filter((v) => !only || only.has(this.initName.get(v.name) ?? v.name));
    let logits = new Float32Array(0);
    const xs = this.input(x, batch, opts);
    try {
      const { value, grads } = tf.variableGrads(() => {
        const l = this.model.logits(xs, { training, bnStatsSink: sink });
        logits = Float32Array.from(l.dataSync() as Float32Array);
        const g = gOf(logits);
        if (g.length !== batch * K) throw new MismatchError(`gLogits has ${g.length} values, expected ${batch} × ${K}`);
        return tf.sum(tf.mul(l, tf.tensor2d(g, [batch, K])));
      }, vars);
      value.dispose();
      const out = new Map<string, Float32Array>();
      for (const v of vars) {
        const g = grads[v.name];
        out.set(this.initName.get(v.name) ?? v.name, g ? Float32Array.from(g.dataSync() as Float32Array) : new Float32Array(v.size));
        g?.dispose();
      }
      return { logits, grads: out, bnStats: sink && sink.size > 0 ? sink : undefined };
    } finally {
      xs.dispose();
    }
  }

  async vjp(x: Float32Array, batch: number, gLogits: Float32Array, opts?: CallOptions): Promise<VjpResult> {
    return this.pass(x, batch, () => gLogits, opts);
  }

  async vjpSoftmax(x: Float32Array, batch: number, coef: Float32Array, target: Float32Array, opts?: CallOptions): Promise<VjpResult> {
    const K = this.numClasses;
    if (coef.length !== batch) throw new MismatchError(`coef has ${coef.length} values, expected ${batch}`);
    if (target.length !== batch * K) throw new MismatchError(`target has ${target.length} values, expected ${batch} × ${K}`);
    return this.pass(
      x,
      batch,
      (logits) => {
        const { p } = softmaxRows(logits, batch, K);
        const g = new Float32Array(batch * K);
        for (let i = 0; i < g.length; i++) g[i] = p[i] * coef[Math.floor(i / K)] - target[i];
        return g;
      },
      opts,
    );
  }

  async lossAndGrad(x: Float32Array, batch: number, lossFn: LossFn, opts?: CallOptions): Promise<VjpResult & { loss: number }> {
    let loss = NaN;
    const r = this.pass(
      x,
      batch,
      (logits) => {
        const o = lossFn(logits, batch, this.numClasses);
        loss = o.loss;
        return o.gLogits;
      },
      opts,
    );
    return { ...r, loss };
  }

  dispose(): void {
    this.model.dispose();
  }
}
