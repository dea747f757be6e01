/**
 * Weights that a run never changes stay initializers of the VJP graphs (VjpGraphOptions.constants,
 * fixedWeights): the same logits, gradients and ∂E/∂x as with every weight fed; a constant is not
 * fed and may not be trained; giving it a new value is an error instead of being silently ignored.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, defaultFrontEnd } from '../../src/model/builders/index.ts';
import { VjpOrt } from '../../src/model/vjp-ort.ts';
import { EnergyGradVjp } from '../../src/model/energy-grad-vjp.ts';
import { fixedWeights, resolveTrainable } from '../../src/model/vjp-graph.ts';
import { bnStatNames } from '../../src/model/bn-params.ts';
import { Rng } from '../../src/util/rng.ts';

const fe = defaultFrontEnd('B1TF', { featDim: 12, numFrames: 16 });
const proto = buildModel('kws-cnn', { channels: [4, 8] }, fe, ['a', 'b', 'c', 'd', 'e'], 3);
const EX = [1, 16, 12];

function close(a: Float32Array, b: Float32Array, tol: number, what: string): void {
  assert.equal(a.length, b.length, what);
  let scale = 1e-6;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol * scale, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

test('fixedWeights: every float initializer but the trained ones and the BatchNorm running statistics', () => {
  const fixed = fixedWeights(proto, 'bn');
  const bn = resolveTrainable(proto, 'bn');
  const { stats } = bnStatNames(proto.graph!.node ?? []);
  assert.ok(fixed.size > 0);
  for (const n of bn) assert.ok(!fixed.has(n), `trained ${n}`);
  for (const n of stats) assert.ok(!fixed.has(n), `running statistic ${n}`);
  assert.ok([...fixed].some((n) => /conv.*weight|W/i.test(n)), `the convolution weights are fixed: ${[...fixed].join(', ')}`);
  assert.equal(fixedWeights(proto, 'all').size < fixed.size, true);
});

test('constants: same train-mode VJP and ∂E/∂x as fed weights; not fed; a changed or trainable constant is an error', async () => {
  const constants = fixedWeights(proto, 'bn');
  const rng = new Rng(3);
  const B = 6;
  const x = rng.fillNormal(new Float32Array(B * 16 * 12));
  const g = rng.fillNormal(new Float32Array(B * 5));
  const fed = await VjpOrt.create(proto, { logitsName: 'logits', trainable: 'bn', bnMode: 'train', threads: 1, exampleShape: EX });
  const baked = await VjpOrt.create(proto, { logitsName: 'logits', trainable: 'bn', bnMode: 'train', threads: 1, exampleShape: EX, constants });
  try {
    const inputs = new Set((await baked.graph()).weightInputs);
    for (const c of constants) assert.ok(!inputs.has(c), `${c} is not fed`);
    // new values of the trained weights reach both
    const w = new Map([...resolveTrainable(proto, 'bn')].map((n) => [n, Float32Array.from(fed.getWeights().get(n)!, (v) => v + 0.1 * rng.normal())]));
    fed.setWeights(w);
    baked.setWeights(w);
    const a = await fed.vjp(x, B, g);
    const b = await baked.vjp(x, B, g);
    close(b.logits, a.logits, 1e-5, 'logits');
    for (const [k, v] of a.grads) close(b.grads.get(k)!, v, 1e-4, `grad ${k}`);
    // handing back the unchanged constants is fine; a changed one is not
    baked.setWeights(new Map([...baked.getWeights()].map(([k, v]) => [k, Float32Array.from(v)])));
    const c = [...constants][0];
    const changed = Float32Array.from(baked.getWeights().get(c)!, (v) => v + 1);
    assert.throws(() => baked.setWeights(new Map([[c, changed]])), /constant/);
    const fedE = await EnergyGradVjp.create(proto, { logitsName: 'logits', bnMode: 'train', exampleShape: EX, threads: 1 });
    const bakedE = await EnergyGradVjp.create(proto, { logitsName: 'logits', bnMode: 'train', exampleShape: EX, threads: 1, constants });
    const e1 = await fedE.energyAndGrad(x, B);
    const e2 = await bakedE.energyAndGrad(x, B);
    close(e2.energy, e1.energy, 1e-5, 'energy');
    close(e2.grad, e1.grad, 1e-4, '∂E/∂x');
    await fedE.dispose();
    await bakedE.dispose();
    await assert.rejects(VjpOrt.create(proto, { logitsName: 'logits', trainable: 'all', bnMode: 'train', threads: 1, exampleShape: EX, constants }), /trainable/);
  } finally {
    await fed.dispose();
    await baked.dispose();
  }
});
