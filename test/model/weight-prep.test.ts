/**
 * The ∂E/∂x graph's weight prep (weight-prep.ts, EnergyGradOrt): the split moves exactly the nodes
 * that read only weights and constants; the sampler with the split gives bit-identical energies and
 * ∂E/∂x to one session computing everything per call, also after setWeights (the prep reruns); the
 * BatchNorm folded into its Conv (GradGraphOptions.foldBatchNorm) agrees with the unfolded graph.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnergyGradOrt } from '../../src/model/energy-grad-ort.ts';
import { buildEnergyGradGraph } from '../../src/model/grad-graph.ts';
import { splitWeightPrep } from '../../src/model/weight-prep.ts';
import { tdnn, kwsCnn, defaultFrontEnd, DEFAULT_KWS_LABELS } from '../../src/model/builders/index.ts';
import { Rng } from '../../src/util/rng.ts';

const CPU = { executionProviders: ['cpu'], threads: 1 };
const tdnnModel = () => tdnn({ layers: [[3, 1], [3, 2], [1, 1]], channels: 16, hidden: 12, frontEnd: defaultFrontEnd('BFT', { featDim: 8, numFrames: 20 }), labels: DEFAULT_KWS_LABELS.slice(0, 5), seed: 4 });

test('splitWeightPrep: the prep graph holds exactly the nodes that read only weights and constants', async () => {
  const g = await buildEnergyGradGraph(tdnnModel(), { logitsName: 'logits' });
  const weights = new Set(g.weightInputs);
  const s = splitWeightPrep(g.model, weights);
  assert.ok(s.prep && s.boundary.length > 0);
  const inits = new Set((g.model.graph!.initializer ?? []).map((t) => t.name!));
  // every prep node reads weights, constants or other prep results; none reads the input
  const known = new Set([...weights, ...inits, '']);
  for (const n of s.prep.graph!.node ?? []) {
    assert.ok((n.input ?? []).every((i) => known.has(i)), `prep node ${n.name} reads a per-call tensor`);
    for (const o of n.output ?? []) known.add(o);
  }
  // the main graph keeps every node that depends on the input, and no node computable from weights alone
  const mainNodes = s.main.graph!.node ?? [];
  assert.equal(mainNodes.length + (s.prep.graph!.node ?? []).length, (g.model.graph!.node ?? []).length);
  const fromWeights = new Set([...weights, ...inits, ...s.boundary, '']);
  for (const n of mainNodes) assert.ok(!(n.input ?? []).every((i) => fromWeights.has(i)), `main node ${n.name} reads only weights`);
  // a Conv's flipped kernel (input gradient) is among the prep results' producers
  assert.ok((s.prep.graph!.node ?? []).some((n) => n.opType === 'Slice' || n.opType === 'Transpose'));
});

for (const [name, make, shape] of [
  ['TDNN', tdnnModel, [8, 20]],
  ['KWS CNN', () => kwsCnn({ channels: [4, 8], frontEnd: defaultFrontEnd('B1TF', { featDim: 10, numFrames: 12 }), labels: DEFAULT_KWS_LABELS.slice(0, 4), seed: 2 }), [1, 12, 10]],
] as const) {
  test(`${name}: ∂E/∂x with the weight prep equals one session computing everything per call, before and after setWeights`, async () => {
    const model = make();
    const opts = { logitsName: 'logits', exampleShape: [...shape], ...CPU };
    const withPrep = await EnergyGradOrt.create(model, opts);
    const plain = await EnergyGradOrt.create(model, { ...opts, weightPrep: false });
    const unfolded = await EnergyGradOrt.create(model, { ...opts, weightPrep: false, foldBatchNorm: false });
    const rng = new Rng(7);
    const B = 3;
    const x = rng.fillNormal(new Float32Array(B * shape.reduce((a: number, b: number) => a * b, 1)));
    const check = async (what: string) => {
      const a = await withPrep.energyAndGrad(x, B);
      const b = await plain.energyAndGrad(x, B);
      assert.deepEqual(a.energy, b.energy, `${what}: energies`);
      assert.deepEqual(a.grad, b.grad, `${what}: ∂E/∂x`);
      const c = await unfolded.energyAndGrad(x, B);
      for (let i = 0; i < B; i++) assert.ok(Math.abs(a.energy[i] - c.energy[i]) < 1e-4 * Math.max(1, Math.abs(c.energy[i])), `${what}: folded energy ${a.energy[i]} vs ${c.energy[i]}`);
      let num = 0;
      let den = 0;
      for (let i = 0; i < a.grad.length; i++) {
        num = Math.max(num, Math.abs(a.grad[i] - c.grad[i]));
        den = Math.max(den, Math.abs(c.grad[i]));
      }
      assert.ok(num <= 1e-4 * den, `${what}: folded ∂E/∂x rel ${num / den}`);
      return a;
    };
    const before = await check('initial weights');
    // new values for every weight (BatchNorm statistics included): the prep results must follow
    const w = new Map([...withPrep.graph.weights].map(([k, t]) => [k, Float32Array.from(t.data, (v) => (/running_var|\.var/.test(k) ? v * 1.5 + 0.1 : v * 0.8 + 0.05))]));
    for (const eg of [withPrep, plain, unfolded]) eg.setWeights(w);
    const after = await check('after setWeights');
    assert.notDeepEqual(after.grad, before.grad);
    for (const eg of [withPrep, plain, unfolded]) await eg.dispose();
  });
}
