/**
 * EnergyGrad on tfjs: E(x) and ∂E/∂x through an ImportedModel, in eval mode (BatchNorm running
 * statistics, no dropout) or with `training` in train mode (each batch normalised with its own
 * statistics, the gradient through them; running statistics untouched). The fallback for
 * `--sampler-backend tfjs`, and the reference the onnxruntime gradient graphs are compared with.
 */
import * as tf from '@tensorflow/tfjs';
import type { BnMode, EnergyGrad, ImportedModel } from '../model/types.ts';
import { energyTf } from './energy-tf.ts';

export class TfjsEnergyGrad implements EnergyGrad {
  /**
   * `model` may be the trainer's own model (then setWeights is a no-op unless `ownsWeights`
   * is false, i.e. the model is a separate import that must be told about new weights).
   */
  constructor(
    readonly model: ImportedModel,
    readonly exampleShape: number[],
    private readonly separateCopy = true,
    readonly training = false,
  ) {}

  get bnMode(): BnMode {
    return this.training ? 'train' : 'eval';
  }

  async energyAndGrad(x: Float32Array, batch: number, classes?: Int32Array): Promise<{ energy: Float32Array; grad: Float32Array }> {
    const [e, g] = tf.tidy(() => {
      const xt = tf.tensor(x, [batch, ...this.exampleShape]);
      const yt = classes ? tf.tensor1d(classes, 'int32') : undefined;
      const fn = (xx: tf.Tensor): tf.Tensor1D => energyTf(this.model.logits(xx, { training: this.training }), yt);
      // Per-example energies with dy = 1: ∂(Σ E_b)/∂x in one forward/backward pass.
      const { value, grad } = tf.valueAndGrad(fn)(xt, tf.ones([batch]));
      return [value, grad];
    });
    const [energy, grad] = await Promise.all([e.data() as Promise<Float32Array>, g.data() as Promise<Float32Array>]);
    e.dispose();
    g.dispose();
    return { energy: Float32Array.from(energy), grad: Float32Array.from(grad) };
  }

  setWeights(w: Map<string, Float32Array>): void {
    if (this.separateCopy) this.model.setWeights(w);
  }

  dispose(): void {
    if (this.separateCopy) this.model.dispose();
  }
}
