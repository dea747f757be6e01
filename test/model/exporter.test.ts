/**
 * Round trip: import → change weights (and BatchNorm running stats) → export → onnxruntime gives
 * the tfjs output (<= 1e-4 abs) on the three reference models; the rest of the graph is unchanged
 * and metadata is kept and extended.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/model/backend.ts';
import { exportModel } from '../../src/model/exporter.ts';
import { importModel } from '../../src/model/importer.ts';
import { encodeModel, getMetadata, loadModel, setMetadata } from '../../src/model/onnx-io.ts';
import { Rng } from '../../src/util/rng.ts';
import { MODELS, REF, refInput } from './importer-grad-shared.ts';

before(async () => {
  await selectBackend('cpu');
});

for (const name of MODELS) {
  test(`${name}: perturbed weights exported → onnxruntime equals tfjs`, async (t) => {
    const original = loadModel(`${REF}/${name}/model.onnx`);
    setMetadata(original, { 'jemda.labels': '["a","b"]' });
    const model = importModel(original);
    const rng = new Rng(99);
    const w = model.getWeights();
    for (const [k, v] of w) {
      const stat = model.bnStats.has(k);
      for (let i = 0; i < v.length; i++) v[i] = stat && k.endsWith('var') ? v[i]! * (1 + 0.2 * rng.uniform()) : v[i]! + 0.05 * rng.normal();
    }
    model.setWeights(w);
    const { data, dims } = refInput(name);
    const x = tf.tensor(data.slice(), dims);
    const [y] = model.run(x, ['y']);
    const want = y!.dataSync() as Float32Array;
    const exported = exportModel(original, model.getWeights(), { 'jemda.adapted': 'test' });
    const sess = await ort.InferenceSession.create(encodeModel(exported));
    const out = await sess.run({ x: new ort.Tensor('float32', data.slice(), dims) });
    await sess.release();
    const got = out.y!.data as Float32Array;
    let maxAbs = 0;
    let moved = 0;
    const orig = await ort.InferenceSession.create(encodeModel(original));
    const o0 = (await orig.run({ x: new ort.Tensor('float32', data.slice(), dims) })).y!.data as Float32Array;
    await orig.release();
    for (let i = 0; i < want.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(got[i]! - want[i]!));
      moved = Math.max(moved, Math.abs(o0[i]! - want[i]!));
    }
    t.diagnostic(`${name}: max |ort − tfjs| = ${maxAbs.toExponential(2)} (weights moved the output by ${moved.toExponential(2)})`);
    assert.ok(maxAbs <= 1e-4, `max abs ${maxAbs}`);
    assert.ok(moved > 1e-3, 'the perturbation must change the output');
    // nothing but initializers changed; metadata kept and extended
    const md = getMetadata(exported);
    assert.equal(md['jemda.labels'], '["a","b"]');
    assert.equal(md['jemda.adapted'], 'test');
    assert.deepEqual(exported.graph!.node, original.graph!.node);
    assert.deepEqual(exported.graph!.input, original.graph!.input);
    assert.deepEqual(exported.graph!.output, original.graph!.output);
    assert.deepEqual(
      exported.graph!.initializer!.map((i) => [i.name, i.dims!.map(Number)]),
      original.graph!.initializer!.map((i) => [i.name, i.dims!.map(Number)]),
    );
    tf.dispose([x, y!]);
    model.dispose();
  });
}

test('export rejects unknown initializers and wrong sizes', () => {
  const original = loadModel(`${REF}/mlp_spliced_op13/model.onnx`);
  assert.throws(() => exportModel(original, new Map([['nope', new Float32Array(1)]]), {}), /no initializer 'nope'/);
  assert.throws(() => exportModel(original, new Map([['fc1.bias', new Float32Array(1)]]), {}), /fc1.bias/);
});
