/**
 * Eval-mode BatchNorm folded into the Conv before it (vjp-norm.ts foldedConvBn): the VJP graph of
 * Conv → BatchNorm has a Conv on computed weights W·s and no per-activation affine map, and gives
 * the same logits and gradients (every parameter, BatchNorm scale and bias included, and ∂L/∂x) as
 * the same model with an Identity between Conv and BatchNorm (not folded); both match finite
 * differences.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VjpOrt } from '../../src/model/vjp-ort.ts';
import { buildVjpGraph } from '../../src/model/vjp-graph.ts';
import { floatTensor, type ModelProto } from '../../src/model/onnx-io.ts';
import { Rng } from '../../src/util/rng.ts';
import { node, tinyModel, randTensor } from './grad-graph-helpers.ts';
import { fdCheck, maxRel } from './vjp-helpers.ts';

const CPU = { executionProviders: ['cpu'], threads: 1 };

/** Conv (bias, strided) → BN → Relu → grouped dilated Conv (no bias) → BN → GAP → Gemm; `identity` puts an Identity after each Conv. */
function model(identity: boolean): ModelProto {
  const rng = new Rng(11);
  const after = (c: string): [ReturnType<typeof node>[], string] => (identity ? [[node('Identity', [c], [`${c}_id`])], `${c}_id`] : [[], c]);
  const [id1, c1] = after('c1');
  const [id2, c2] = after('c2');
  return tinyModel(
    [
      node('Conv', ['x', 'w1', 'b1'], ['c1'], { strides: { ints: [2, 1] }, pads: { ints: [1, 1, 1, 1] }, kernel_shape: { ints: [3, 3] } }),
      ...id1,
      node('BatchNormalization', [c1, 's1', 'o1', 'm1', 'v1'], ['n1'], { epsilon: { f: 1e-3 } }),
      node('Relu', ['n1'], ['r1']),
      node('Conv', ['r1', 'w2'], ['c2'], { group: { i: 2 }, dilations: { ints: [2, 1] }, pads: { ints: [2, 1, 2, 1] } }),
      ...id2,
      node('BatchNormalization', [c2, 's2', 'o2', 'm2', 'v2'], ['n2']),
      node('GlobalAveragePool', ['n2'], ['p']),
      node('Flatten', ['p'], ['f'], { axis: { i: 1 } }),
      node('Gemm', ['f', 'g1', 'gc'], ['logits'], { transB: { i: 1 } }),
    ],
    [
      randTensor(rng, 'w1', [6, 3, 3, 3], 0.4),
      randTensor(rng, 'b1', [6], 0.3),
      randTensor(rng, 's1', [6], 0.3, 1),
      randTensor(rng, 'o1', [6], 0.2),
      randTensor(rng, 'm1', [6], 0.2),
      floatTensor('v1', [6], Float32Array.from({ length: 6 }, (_, i) => 0.5 + 0.3 * i)),
      randTensor(rng, 'w2', [4, 3, 3, 3], 0.3),
      randTensor(rng, 's2', [4], 0.3, 1),
      randTensor(rng, 'o2', [4], 0.2),
      randTensor(rng, 'm2', [4], 0.2),
      floatTensor('v2', [4], Float32Array.from({ length: 4 }, (_, i) => 1.5 - 0.2 * i)),
      randTensor(rng, 'g1', [5, 4], 0.5),
      randTensor(rng, 'gc', [5], 0.5),
    ],
    ['N', 3, 10, 7],
    'logits',
  );
}

test('eval-mode Conv → BatchNorm is one Conv on computed weights in the VJP graph', async () => {
  const g = await buildVjpGraph(model(false), { logitsName: 'logits', trainable: 'all', bnMode: 'eval' });
  const nodes = g.model.graph!.node ?? [];
  const fed = new Set((g.model.graph!.input ?? []).map((i) => i.name));
  const fwdConvs = nodes.filter((n) => n.opType === 'Conv' && n.input![0] !== undefined && ['x', 'r1'].includes(n.input![0]));
  assert.equal(fwdConvs.length, 2);
  for (const c of fwdConvs) assert.ok(!fed.has(c.input![1]), `forward Conv '${c.name}' reads the fed weight '${c.input![1]}', not the folded one`);
  // no per-activation BatchNorm map: nothing reads the Conv outputs' old names
  assert.ok(!nodes.some((n) => (n.input ?? []).includes('c1') || (n.input ?? []).includes('c2')));
  // the unfolded model (Identity between) keeps the affine map on the activations
  const u = await buildVjpGraph(model(true), { logitsName: 'logits', trainable: 'all', bnMode: 'eval' });
  assert.ok((u.model.graph!.node ?? []).some((n) => (n.input ?? []).includes('c1_id')));
});

/**
 * The VJP of model(false) against model(true) (same parameters, nothing folded) for `trainable`:
 * the trainable names, then logits, every gradient and ∂L/∂x to `tol`, and finite differences.
 */
async function matchesUnfolded(trainable: 'all' | 'bn', names: string[], seed: number, tol: number): Promise<void> {
  const opts = { logitsName: 'logits', trainable, bnMode: 'eval' as const, wantInputGrad: true, ...CPU };
  const a = await VjpOrt.create(model(false), opts);
  const b = await VjpOrt.create(model(true), opts);
  try {
    assert.deepEqual((await a.trainableNames()).sort(), names);
    const rng = new Rng(seed);
    const B = 3;
    const x = rng.fillNormal(new Float32Array(B * 3 * 10 * 7));
    const gl = rng.fillNormal(new Float32Array(B * 5));
    const ra = await a.vjp(x, B, gl, { bnMode: 'eval' });
    const rb = await b.vjp(x, B, gl, { bnMode: 'eval' });
    assert.ok(maxRel(ra.logits, rb.logits) < tol, `logits ${maxRel(ra.logits, rb.logits)}`);
    for (const [k, gb] of rb.grads) {
      const r = maxRel(ra.grads.get(k)!, gb);
      assert.ok(r < tol, `${k}: rel ${r}`);
    }
    assert.ok(maxRel(ra.gradX!, rb.gradX!) < tol, `grad_x ${maxRel(ra.gradX!, rb.gradX!)}`);
    const rel = await fdCheck(a, x, B, 'eval', 1);
    assert.ok(rel <= 1e-2, `finite differences: rel ${rel}`);
  } finally {
    await a.dispose();
    await b.dispose();
  }
}

test('folded eval-mode BatchNorm: logits, every gradient and ∂L/∂x equal the unfolded graph and finite differences', async () => {
  await matchesUnfolded('all', ['b1', 'g1', 'gc', 'o1', 'o2', 's1', 's2', 'w1', 'w2'], 3, 1e-4);
});

test('with fixed Conv weights (BatchNorm affine trainable only) the BatchNorm is not folded, and its gradients equal the unfolded graph', async () => {
  const g = await buildVjpGraph(model(false), { logitsName: 'logits', trainable: 'bn', bnMode: 'eval' });
  const nodes = g.model.graph!.node ?? [];
  // the forward Convs read the model's own weights, and the affine map reads their outputs
  for (const [x, w] of [['x', 'w1'], ['r1', 'w2']]) assert.ok(nodes.some((n) => n.opType === 'Conv' && n.input![0] === x && n.input![1] === w), `forward Conv on '${x}' reads '${w}'`);
  assert.ok(nodes.some((n) => (n.input ?? []).includes('c1')) && nodes.some((n) => (n.input ?? []).includes('c2')));
  await matchesUnfolded('bn', ['o1', 'o2', 's1', 's2'], 5, 1e-5);
});
