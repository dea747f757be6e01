/**
 * The onnxruntime gradient graph against tfjs's tf.grad of the same energy on the imported model
 * (src/model/importer.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { EnergyGradOrt } from '../../src/model/energy-grad-ort.ts';
import type { ImportedModel } from '../../src/model/types.ts';
import { importModel } from '../../src/model/importer.ts';
import { REF_MODELS, refModel, refInput, scaledWeights } from './grad-graph-helpers.ts';

function tfEnergyGrad(im: ImportedModel, x: Float32Array, dims: number[]): { energy: Float32Array; grad: Float32Array } {
  return tf.tidy(() => {
    const xt = tf.tensor(x, dims);
    const f = (v: tf.Tensor) => tf.neg(tf.logSumExp(im.logits(v, { training: false }), 1));
    const energy = f(xt).dataSync() as Float32Array;
    const grad = tf.grad((v: tf.Tensor) => f(v).sum())(xt).dataSync() as Float32Array;
    return { energy: Float32Array.from(energy), grad: Float32Array.from(grad) };
  });
}

for (const ref of REF_MODELS) {
  test(`${ref.name}: grad_x equals tfjs tf.grad of the energy (1e-4 relative)`, async () => {
    const m = refModel(ref.name);
    const im = importModel(m, { logits: ref.logits });
    const { data: x, dims } = refInput(ref.name, 1);
    const eg = await EnergyGradOrt.create(m, { logitsName: ref.logits, exampleShape: dims.slice(1), executionProviders: ['cpu'] });
    for (const scale of [1, 100]) {
      if (scale !== 1) {
        const w = scaledWeights(eg.graph.weights, ref.last, scale);
        eg.setWeights(w);
        im.setWeights(w);
      }
      const a = await eg.energyAndGrad(x, dims[0]);
      const b = tfEnergyGrad(im, x, dims);
      let gmax = 0;
      let gerr = 0;
      for (let i = 0; i < b.grad.length; i++) {
        gmax = Math.max(gmax, Math.abs(b.grad[i]));
        gerr = Math.max(gerr, Math.abs(a.grad[i] - b.grad[i]));
      }
      let eerr = 0;
      for (let i = 0; i < b.energy.length; i++) eerr = Math.max(eerr, Math.abs(a.energy[i] - b.energy[i]) / Math.abs(b.energy[i]));
      console.log(`${ref.name} (last layer ×${scale}): max|Δgrad|/max|grad| ${(gerr / gmax).toExponential(2)}, energy rel ${eerr.toExponential(2)}`);
      assert.ok(gerr <= 1e-4 * gmax, `grad rel ${gerr / gmax}`);
      assert.ok(eerr <= 1e-5, `energy rel ${eerr}`);
    }
    im.dispose();
    await eg.dispose();
  });
}
