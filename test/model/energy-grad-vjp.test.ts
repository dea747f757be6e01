/**
 * One landscape: the SGLD sampler scores chains exactly as the JEM loss scores samples, in each
 * BatchNorm mode (createEnergyGrad, the sampler `jemda adapt` builds), and its train-mode ∂E/∂x
 * (through the batch statistics) matches central differences.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, defaultFrontEnd } from '../../src/model/builders/index.ts';
import { VjpOrt } from '../../src/model/vjp-ort.ts';
import { EnergyGradOrt } from '../../src/model/energy-grad-ort.ts';
import { EnergyGradVjp } from '../../src/model/energy-grad-vjp.ts';
import { createEnergyGrad } from '../../src/adapt/adapt.ts';
import { samplerBnMode, resolveConfig } from '../../src/adapt/config.ts';
import { jemLoss } from '../../src/jem/objective.ts';
import { importModel } from '../../src/model/importer.ts';
import { TfjsEnergyGrad } from '../../src/jem/energy-grad-tfjs.ts';
import { Rng } from '../../src/util/rng.ts';

const SHAPE = [20, 10];
const DIM = 200;
const fe = defaultFrontEnd('BTF', { featDim: 10, numFrames: 20 });
const proto = buildModel('mlp', { hidden: [16] }, fe, ['a', 'b', 'c'], 3);
const CPU = { threads: 1 };

/** Weights with non-trivial BatchNorm scale/bias and running statistics. */
function weights(eng: VjpOrt, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const w = new Map([...eng.getWeights()].map(([k, a]) => [k, Float32Array.from(a)]));
  for (const [k, a] of w) {
    if (/running_var|\.var$|_var$/.test(k)) for (let i = 0; i < a.length; i++) a[i] = 0.5 + rng.uniform();
    else if (/running_mean|\.mean$|_mean$|bn.*(scale|weight|bias)/.test(k)) for (let i = 0; i < a.length; i++) a[i] += 0.3 * rng.normal();
  }
  return w;
}

const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;

test('the sampler scores chains as the loss scores samples, in eval and in train BatchNorm mode', async () => {
  const eng = await VjpOrt.create(proto, { logitsName: 'logits', trainable: 'all', bnMode: 'train', ...CPU });
  const w = weights(eng, 1);
  eng.setWeights(w);
  const B = 16;
  const x = new Rng(2).fillNormal(new Float32Array(B * DIM));
  const target = new Rng(3).fillNormal(new Float32Array(B * DIM));
  for (const bnMode of ['eval', 'train'] as const) {
    const cfg = resolveConfig({ bnMode, sampleBnMode: 'same' });
    const sbn = samplerBnMode(cfg);
    assert.equal(sbn, bnMode);
    const sampler = await createEnergyGrad(proto, { logitsName: 'logits', exampleShape: SHAPE, threads: 1, bnMode: sbn });
    sampler.setWeights(w);
    const s = await sampler.energyAndGrad(x, B);
    const training = bnMode === 'train';
    const loss = await jemLoss(eng, 3, DIM, { target, samples: x }, { xent: 0, ebm: 1, l2: 0, pxy: 0 }, training, training);
    assert.ok(Math.abs(mean(s.energy) - loss.parts.eSamples) < 1e-4 * Math.max(1, Math.abs(loss.parts.eSamples)), `${bnMode}: sampler ${mean(s.energy)} vs loss ${loss.parts.eSamples}`);
    await sampler.dispose();
  }
  // the old pairing (eval-mode sampler, train-mode loss) scores the same chains differently
  const evalSampler = await EnergyGradOrt.create(proto, { logitsName: 'logits', exampleShape: SHAPE, ...CPU });
  evalSampler.setWeights(w);
  const e = mean((await evalSampler.energyAndGrad(x, B)).energy);
  const lt = await jemLoss(eng, 3, DIM, { target, samples: x }, { xent: 0, ebm: 1, l2: 0, pxy: 0 }, true, true);
  assert.ok(Math.abs(e - lt.parts.eSamples) > 0.05, `eval ${e} vs train ${lt.parts.eSamples}: the test could not tell the modes apart`);
  await Promise.all([evalSampler.dispose(), eng.dispose()]);
});

test('train-mode ∂E/∂x (through the batch statistics) matches central differences and the tfjs importer', async () => {
  const eng = await VjpOrt.create(proto, { logitsName: 'logits', trainable: 'none', bnMode: 'train', ...CPU });
  const w = weights(eng, 4);
  await eng.dispose();
  const B = 8;
  const rng = new Rng(5);
  const x = rng.fillNormal(new Float32Array(B * DIM));
  const eg = await EnergyGradVjp.create(proto, { logitsName: 'logits', exampleShape: SHAPE, bnMode: 'train', ...CPU });
  eg.setWeights(w);
  const { energy, grad } = await eg.energyAndGrad(x, B);
  const total = async (xx: Float32Array) => (await eg.energyAndGrad(xx, B)).energy.reduce((a, v) => a + v, 0);
  // directional derivatives of Σ_b E_b along random directions (all chains move at once, so the
  // batch statistics change too)
  for (let k = 0; k < 3; k++) {
    const d = rng.fillNormal(new Float32Array(x.length));
    let an = 0;
    for (let i = 0; i < d.length; i++) an += grad[i] * d[i];
    const h = 2e-3;
    const fd = ((await total(x.map((v, i) => v + h * d[i]))) - (await total(x.map((v, i) => v - h * d[i])))) / (2 * h);
    assert.ok(Math.abs(fd - an) <= 2e-2 * Math.abs(an) + 1e-3, `direction ${k}: fd ${fd} vs analytic ${an}`);
  }
  // the tfjs importer in train mode gives the same energies and gradient
  const m = importModel(proto);
  m.setWeights(w);
  const tj = new TfjsEnergyGrad(m, SHAPE, true, true);
  const r = await tj.energyAndGrad(x, B);
  for (let b = 0; b < B; b++) assert.ok(Math.abs(r.energy[b] - energy[b]) < 1e-4, `energy ${b}`);
  let dd = 0, ss = 0;
  for (let i = 0; i < grad.length; i++) {
    dd += (r.grad[i] - grad[i]) ** 2;
    ss += grad[i] ** 2;
  }
  assert.ok(Math.sqrt(dd / ss) < 1e-4, `rel ${Math.sqrt(dd / ss)}`);
  // class-conditional energies −f[y] too
  const y = Int32Array.from({ length: B }, (_, i) => i % 3);
  const c = await eg.energyAndGrad(x, B, y);
  const rc = await tj.energyAndGrad(x, B, y);
  for (let b = 0; b < B; b++) assert.ok(Math.abs(c.energy[b] - rc.energy[b]) < 1e-4);
  tj.dispose();
  await eg.dispose();
});
