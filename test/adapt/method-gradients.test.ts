/**
 * Every adaptation method's loss gradient against finite differences on a tiny model (the MLP
 * fixture with BatchNorm): the directional derivative along a random direction over all trainable
 * parameters, g·v, against (L(w + εv) − L(w − εv)) / 2ε, where L is the loss the method's step
 * computes (the same exported function the step calls) on a fixed batch. Float32 logits, ε = 2e-3
 * on a unit-norm v: agreement to 2e-3 of |g·v| (measured 3e-5 … 2.4e-4; a 5 % error in the
 * entropy weight fails tent and shot-im).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VjpOrt } from '../../src/model/vjp-ort.ts';
import type { GradResult } from '../../src/jem/objective.ts';
import { crossEntropyTerm, jemLoss } from '../../src/jem/objective.ts';
import { labelMarginal } from '../../src/jem/marginal-prior.ts';
import { entropyPriorTerm } from '../../src/adapt/methods/grad-step.ts';
import { entropyCeLoss } from '../../src/adapt/methods/entropy-ce.ts';
import { pseudoLabelLoss } from '../../src/adapt/methods/pseudo-label.ts';
import type { Trainable } from '../../src/model/types.ts';
import { Rng } from '../../src/util/rng.ts';
import { DIM, proto, source, target } from './mlp-fixture.ts';

const B = 16;
const K = 3;
const xs = source.x.slice(0, B * DIM);
const ys = source.y.slice(0, B);
const xt = target.x.slice(0, B * DIM);
const samples = new Rng(11).fillNormal(new Float32Array(B * DIM));
const prior = labelMarginal(source.y, K);
const uniform = new Float64Array(K).fill(1 / K);

async function fdCheck(trainable: Trainable, loss: (eng: VjpOrt) => Promise<GradResult>): Promise<{ analytic: number; numeric: number }> {
  const eng = await VjpOrt.create(proto, { logitsName: 'logits', trainable, bnMode: 'train', threads: 1 });
  try {
    const w0 = new Map([...eng.getWeights()].map(([k, a]) => [k, Float32Array.from(a)]));
    const names = await eng.trainableNames();
    const rng = new Rng(3);
    const v = new Map(names.map((k) => [k, rng.fillNormal(new Float32Array(w0.get(k)!.length))]));
    const norm = Math.sqrt([...v.values()].reduce((s, a) => s + a.reduce((t, x) => t + x * x, 0), 0));
    for (const a of v.values()) for (let i = 0; i < a.length; i++) a[i] /= norm;
    eng.setWeights(w0);
    const r = await loss(eng);
    let analytic = 0;
    for (const [k, g] of r.grads) {
      const d = v.get(k);
      if (d) for (let i = 0; i < g.length; i++) analytic += g[i] * d[i];
    }
    const eps = 2e-3;
    const at = async (s: number): Promise<number> => {
      eng.setWeights(new Map([...w0].map(([k, a]) => [k, v.has(k) ? a.map((x, i) => x + s * eps * v.get(k)![i]) : a])));
      return (await loss(eng)).loss;
    };
    const numeric = ((await at(1)) - (await at(-1))) / (2 * eps);
    return { analytic, numeric };
  } finally {
    await eng.dispose();
  }
}

const cases: [string, Trainable, (eng: VjpOrt) => Promise<GradResult>][] = [
  ['tent (entropy, BN affine)', 'bn', (e) => entropyPriorTerm(e, xt, B, 1, null, { bnMode: 'train' })],
  ['shot-im (entropy + diversity)', 'all', (e) => entropyPriorTerm(e, xt, B, 1, { p: uniform, w: 1, running: null, momentum: 0 }, { bnMode: 'train' })],
  ['entropy-ce (source CE + entropy + prior, eval BN)', 'all', (e) => entropyCeLoss(e, K, xt, B, { x: xs, y: ys }, { xent: 1, entropy: 0.3 }, { p: prior, w: 1, running: null, momentum: 0 }, { bnMode: 'eval' })],
  ['pseudo-label (pseudo CE + source CE + prior)', 'all', (e) => pseudoLabelLoss(e, K, { x: xt, y: Int32Array.from(ys).reverse() }, { x: xs, y: ys }, { xent: 1, marginal: 0.5 }, prior, { bnMode: 'train' })],
  ['supervised (CE)', 'all', async (e) => {
    const r = await crossEntropyTerm(e, xt, ys, K, 1, { bnMode: 'train' });
    return { loss: r.loss, parts: {}, grads: r.grads };
  }],
  ['tea (E(data) − E(samples), BN affine, train-mode BN)', 'bn', (e) => jemLoss(e, K, DIM, { target: xt, samples }, { xent: 0, ebm: 1, l2: 0, pxy: 0 }, true, true)],
  ['jem (CE + energy + E² + prior, eval BN)', 'all', (e) => jemLoss(e, K, DIM, { source: { x: xs, y: ys }, target: xt, samples }, { xent: 1, ebm: 0.3, l2: 0.1, pxy: 0, marginal: 1, prior }, false, false)],
];

for (const [name, trainable, loss] of cases) {
  test(`${name}: gradient = finite differences (directional, ε = 2e-3)`, async () => {
    const { analytic, numeric } = await fdCheck(trainable, loss);
    assert.ok(Math.abs(analytic) > 1e-4, `directional derivative ${analytic} too small to test`);
    assert.ok(Math.abs(analytic - numeric) <= 2e-3 * Math.abs(analytic), `analytic ${analytic} vs numeric ${numeric}`);
  });
}
