import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { makeFakeModel } from './fake-model.ts';
import { TfjsEnergyGrad } from '../../src/jem/energy-grad-tfjs.ts';
import { energiesFromLogits } from '../../src/jem/energy.ts';
import { energyTf } from '../../src/jem/energy-tf.ts';
import { logSumExp } from '../../src/util/logsumexp.ts';
import { ebmWeightAt } from '../../src/jem/objective.ts';
import { jemLossTf } from './jem-loss-tf.ts';
import { sgldOptions, sgldSample } from '../../src/jem/sampler.ts';
import { Rng } from '../../src/util/rng.ts';

test('energy: −logsumexp and −f[y], plain and tfjs agree', () => {
  const logits = Float32Array.from([1, 2, 3, -1, 0, 1000]);
  const e = energiesFromLogits(logits, 2, 3);
  assert.ok(Math.abs(e[0] + Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3))) < 1e-5);
  assert.ok(Math.abs(e[1] + 1000) < 1e-3, 'stable for large logits');
  assert.deepEqual(Array.from(energiesFromLogits(logits, 2, 3, [2, 0])), [-3, 1]);
  const t = energyTf(tf.tensor2d(logits, [2, 3]));
  const tv = t.dataSync();
  assert.ok(Math.abs(tv[0] - e[0]) < 1e-5 && Math.abs(tv[1] - e[1]) < 1e-2);
  assert.equal(logSumExp([-Infinity, -Infinity]), -Infinity);
  t.dispose();
});

test('tfjs EnergyGrad gradient matches finite differences', async () => {
  const model = makeFakeModel(6, 8, 3, 1);
  const eg = new TfjsEnergyGrad(model, [6], false);
  const rng = new Rng(2);
  const x = rng.fillNormal(new Float32Array(12));
  const { energy, grad } = await eg.energyAndGrad(x, 2);
  const h = 1e-2;
  for (const j of [0, 5, 7]) {
    const xp = Float32Array.from(x);
    const xm = Float32Array.from(x);
    xp[j] += h;
    xm[j] -= h;
    const ep = (await eg.energyAndGrad(xp, 2)).energy;
    const em = (await eg.energyAndGrad(xm, 2)).energy;
    const b = Math.floor(j / 6);
    const fd = (ep[b] - em[b]) / (2 * h);
    assert.ok(Math.abs(fd - grad[j]) < 2e-3 + 1e-2 * Math.abs(fd), `grad[${j}] ${grad[j]} vs fd ${fd}`);
  }
  assert.equal(energy.length, 2);
  model.dispose();
});

test('on a model, mean sample energy falls over SGLD steps (eval mode, BN running stats untouched)', async () => {
  const model = makeFakeModel(10, 16, 4, 3);
  const before = model.getWeights().get('bn.mean') as Float32Array;
  const eg = new TfjsEnergyGrad(model, [10], false);
  const rng = new Rng(4);
  const x0 = new Float32Array(32 * 10).map(() => 2 * rng.uniform() - 1);
  const r = await sgldSample(eg, x0, 32, sgldOptions({ stepSize: 0.05, noise: 0.005, steps: 30 }), rng);
  const t = r.energyTrace;
  assert.ok(t[10] < t[0] && t[30] < t[10], `energy trace ${t[0]} → ${t[10]} → ${t[30]}`);
  assert.deepEqual(model.getWeights().get('bn.mean'), before);
  model.dispose();
});

test('a JEM loss gradient step lowers data energy relative to sample energy', async () => {
  const model = makeFakeModel(10, 16, 4, 5);
  const rng = new Rng(6);
  const data = rng.fillNormal(new Float32Array(64 * 10)).map((v) => v * 0.3 + 1);
  const samples = new Float32Array(64 * 10).map(() => 4 * rng.uniform() - 2);
  const gap = (): number =>
    tf.tidy(() => {
      const ed = energyTf(model.logits(tf.tensor2d(data, [64, 10]), { training: false })).mean();
      const es = energyTf(model.logits(tf.tensor2d(samples, [64, 10]), { training: false })).mean();
      return ed.sub(es).dataSync()[0];
    });
  const g0 = gap();
  const vars = model.trainableVariables();
  for (let i = 0; i < 3; i++) {
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const p = jemLossTf((x, o) => model.logits(x, o), { target: tf.tensor2d(data, [64, 10]), samples: tf.tensor2d(samples, [64, 10]) }, { xent: 0, ebm: 1, l2: 0, pxy: 0 }, false);
        return p.loss;
      }, vars);
      for (const v of vars) v.assign(v.sub(grads[v.name].mul(0.05)));
    });
  }
  const g1 = gap();
  assert.ok(g1 < g0 - 0.05, `E_data − E_samples: ${g0} → ${g1}`);
  model.dispose();
});

test('ebm weight schedule: linear warmup then exponential decay', () => {
  const s = { weight: 2, warmup: 10, decay: 0.1 };
  assert.equal(ebmWeightAt(0, s), 0);
  assert.equal(ebmWeightAt(5, s), 1);
  assert.equal(ebmWeightAt(10, s), 2);
  assert.ok(Math.abs(ebmWeightAt(20, s) - 2 * Math.exp(-1)) < 1e-12);
  assert.equal(ebmWeightAt(7, { weight: 1, warmup: 0, decay: 0 }), 1);
});
