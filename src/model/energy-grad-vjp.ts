/**
 * EnergyGrad on the VJP graph (vjp-graph.ts, no weight gradients, ∂/∂x output) in a chosen
 * BatchNorm mode. In 'train' mode every BatchNormalization normalises the chain batch with its own
 * batch statistics — exactly as the JEM loss scores the samples with --bn-mode train — and ∂E/∂x
 * flows through those statistics: the gradient of Σ_b E_b with respect to every chain, so SGLD
 * samples the landscape the loss trains ("one landscape"). The eval-mode ∂E/∂x graph of
 * energy-grad-ort.ts is faster and is the sampler whenever the loss scores samples in eval mode.
 *
 *   E_b = −logsumexp f_b:  ∂(Σ E)/∂f_bk = −softmax_bk  (softmax head: coef −1, target 0)
 *   E_b = −f_b[y_b]:       ∂(Σ E)/∂f_bk = −onehot       (coef 0, target onehot)
 */
import type { ModelProto } from './onnx-io.ts';
import type { BnMode, EnergyGrad } from './types.ts';
import { VjpOrt } from './vjp-ort.ts';
import { MismatchError } from '../util/errors.ts';
import { logSumExp } from '../util/logsumexp.ts';

export interface EnergyGradVjpOptions {
  logitsName: string;
  bnMode: BnMode;
  exampleShape: number[];
  threads?: number;
  executionProviders?: string[];
  /** Weights that never change during the run: kept as initializers of the graph (VjpGraphOptions.constants). */
  constants?: ReadonlySet<string>;
}

export class EnergyGradVjp implements EnergyGrad {
  private constructor(
    private readonly eng: VjpOrt,
    readonly exampleShape: number[],
    readonly bnMode: BnMode,
    private readonly numClasses: number,
  ) {}

  static async create(model: ModelProto, o: EnergyGradVjpOptions): Promise<EnergyGradVjp> {
    const eng = await VjpOrt.create(model, {
      logitsName: o.logitsName,
      trainable: 'none',
      wantInputGrad: true,
      bnMode: o.bnMode,
      threads: o.threads,
      executionProviders: o.executionProviders,
      exampleShape: o.exampleShape,
      constants: o.constants,
    });
    return new EnergyGradVjp(eng, o.exampleShape, o.bnMode, (await eng.graph()).numClasses);
  }

  async energyAndGrad(x: Float32Array, batch: number, classes?: Int32Array): Promise<{ energy: Float32Array; grad: Float32Array }> {
    const K = this.numClasses;
    if (classes && classes.length !== batch) throw new MismatchError(`${classes.length} classes for a batch of ${batch}`);
    const coef = new Float32Array(batch).fill(classes ? 0 : -1);
    const target = new Float32Array(batch * K);
    if (classes) {
      classes.forEach((c, b) => {
        if (!(c >= 0 && c < K)) throw new MismatchError(`class ${c} of example ${b} out of range [0, ${K})`);
        target[b * K + c] = 1;
      });
    }
    const r = await this.eng.vjpSoftmax(x, batch, coef, target, { bnMode: this.bnMode });
    if (!r.gradX) throw new MismatchError('the VJP graph returned no input gradient');
    const energy = new Float32Array(batch);
    for (let b = 0; b < batch; b++) {
      if (classes) {
        energy[b] = -r.logits[b * K + classes[b]];
        continue;
      }
      energy[b] = -logSumExp(r.logits, b * K, K);
    }
    return { energy, grad: r.gradX };
  }

  setWeights(w: Map<string, Float32Array>): void {
    this.eng.setWeights(w);
  }

  async dispose(): Promise<void> {
    await this.eng.dispose();
  }
}
