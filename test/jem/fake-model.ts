/**
 * A tiny tfjs classifier implementing the ImportedModel contract (dense → BatchNorm → ReLU →
 * dense), for tests of the sampler, the objective and the trainer without the ONNX importer.
 * BatchNorm follows ONNX: running = momentum·running + (1 − momentum)·batch.
 */
import * as tf from '@tensorflow/tfjs';
import type { ForwardOptions, ImportedModel, Trainable } from '../../src/model/types.ts';
import { Rng } from '../../src/util/rng.ts';

let counter = 0;

export function makeFakeModel(inDim: number, hidden: number, classes: number, seed: number, trainable: Trainable = 'all', momentum = 0.9): ImportedModel {
  const rng = new Rng(seed);
  const id = counter++;
  const rand = (n: number, s: number): Float32Array => rng.fillNormal(new Float32Array(n)).map((v) => v * s);
  const init: [string, number[], Float32Array, 'w' | 'bn' | 'stat'][] = [
    ['W1', [inDim, hidden], rand(inDim * hidden, 1 / Math.sqrt(inDim)), 'w'],
    ['b1', [hidden], new Float32Array(hidden), 'w'],
    ['bn.scale', [hidden], new Float32Array(hidden).fill(1), 'bn'],
    ['bn.bias', [hidden], new Float32Array(hidden), 'bn'],
    ['bn.mean', [hidden], new Float32Array(hidden), 'stat'],
    ['bn.var', [hidden], new Float32Array(hidden).fill(1), 'stat'],
    ['W2', [hidden, classes], rand(hidden * classes, 1 / Math.sqrt(hidden)), 'w'],
    ['b2', [classes], new Float32Array(classes), 'w'],
  ];
  const variables = new Map<string, tf.Variable>();
  const kinds = new Map<string, string>();
  for (const [name, shape, data, kind] of init) {
    const isTrainable = kind !== 'stat' && (trainable === 'all' || (trainable === 'bn' && kind === 'bn'));
    variables.set(name, tf.variable(tf.tensor(data, shape), isTrainable, `fake${id}/${name}`));
    kinds.set(name, kind);
  }
  const v = (n: string): tf.Variable => variables.get(n) as tf.Variable;
  const logits = (x: tf.Tensor, opts: ForwardOptions = {}): tf.Tensor2D =>
    tf.tidy(() => {
      const flat = x.reshape([x.shape[0], inDim]) as tf.Tensor2D;
      const h = tf.add(tf.matMul(flat, v('W1') as tf.Tensor2D), v('b1'));
      let mu: tf.Tensor = v('bn.mean');
      let va: tf.Tensor = v('bn.var');
      if (opts.training) {
        const m = tf.moments(h, 0);
        mu = m.mean;
        va = m.variance;
        const n = x.shape[0];
        opts.bnStatsSink?.set('bn', {
          mean: Float32Array.from(m.mean.dataSync() as Float32Array),
          varUnbiased: Float32Array.from(m.variance.dataSync() as Float32Array, (s) => (n > 1 ? (s * n) / (n - 1) : s)),
          momentum,
          meanName: 'bn.mean',
          varName: 'bn.var',
        });
        if (opts.updateStats) {
          v('bn.mean').assign(tf.add(tf.mul(momentum, v('bn.mean')), tf.mul(1 - momentum, m.mean)));
          v('bn.var').assign(tf.add(tf.mul(momentum, v('bn.var')), tf.mul(1 - momentum, m.variance)));
        }
      }
      const hn = tf.add(tf.mul(tf.div(tf.sub(h, mu), tf.sqrt(tf.add(va, 1e-5))), v('bn.scale')), v('bn.bias'));
      return tf.add(tf.matMul(tf.relu(hn), v('W2') as tf.Tensor2D), v('b2')) as tf.Tensor2D;
    });
  return {
    inputName: 'x',
    logitsName: 'logits',
    logitsReason: 'fake model',
    variables,
    trainableVariables: () => [...variables.values()].filter((x) => x.trainable),
    logits,
    run: (x, _outputs, opts) => [logits(x, opts)],
    getWeights: () => new Map([...variables].map(([k, t]) => [k, Float32Array.from(t.dataSync() as Float32Array)])),
    setWeights: (w) => {
      for (const [k, a] of w) {
        const t = variables.get(k);
        if (t) t.assign(tf.tensor(a, t.shape));
      }
    },
    dispose: () => {
      for (const t of variables.values()) t.dispose();
    },
  };
}
