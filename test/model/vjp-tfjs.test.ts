/**
 * Parameter gradients of the onnxruntime VJP graph against tfjs (tf.variableGrads of the
 * cross-entropy on the imported model, src/model/importer.ts) in both BatchNorm modes, on the
 * three reference models and on built KWS CNN / TDNN models with BatchNorm.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { importModel } from '../../src/model/importer.ts';
import { VjpOrt, crossEntropyLoss, updateRunningStats } from '../../src/model/vjp-ort.ts';
import type { ModelProto } from '../../src/model/onnx-io.ts';
import { kwsCnn, tdnn, splicedMlp, defaultFrontEnd, DEFAULT_KWS_LABELS } from '../../src/model/builders/index.ts';
import { Rng } from '../../src/util/rng.ts';
import { REF_MODELS, refModel } from './grad-graph-helpers.ts';
import { fdCheck } from './vjp-helpers.ts';

await tf.setBackend('cpu');

interface Case {
  name: string;
  model: () => ModelProto;
  logits: string;
  shape: number[];
}

const REF_SHAPES: Record<string, number[]> = {
  mlp_spliced_op13: [5, 11, 13],
  cnn2d_kws_op13_nofold: [3, 1, 98, 40],
  tdnn1d_op13: [4, 13, 37],
};

const CASES: Case[] = [
  ...REF_MODELS.map((r) => ({ name: r.name, model: () => refModel(r.name), logits: r.logits, shape: REF_SHAPES[r.name] })),
  {
    name: 'kws-cnn (BatchNorm)',
    model: () => kwsCnn({ channels: [4, 8], frontEnd: defaultFrontEnd('B1TF'), labels: DEFAULT_KWS_LABELS, seed: 3 }),
    logits: 'logits',
    shape: [4, 1, 98, 40],
  },
  {
    name: 'tdnn (BatchNorm)',
    model: () =>
      tdnn({ layers: [[3, 1], [3, 2]], channels: 8, hidden: 16, frontEnd: defaultFrontEnd('BFT', { numFrames: null }), labels: DEFAULT_KWS_LABELS, seed: 3 }),
    logits: 'logits',
    shape: [4, 40, 29],
  },
  {
    name: 'spliced MLP (rank-2 BatchNorm)',
    model: () => splicedMlp({ hidden: [16, 8], batchNorm: true, frontEnd: defaultFrontEnd('BTF', { numFrames: 5, featDim: 7 }), labels: DEFAULT_KWS_LABELS, seed: 3 }),
    logits: 'logits',
    shape: [6, 5, 7],
  },
];

function tfGrads(m: ModelProto, logits: string, x: Float32Array, shape: number[], labels: Int32Array, training: boolean) {
  const im = importModel(m, { logits, trainable: 'all' });
  const byVar = new Map([...im.variables].map(([n, v]) => [v.name, n]));
  const K = im.logits(tf.zeros(shape)).shape[1];
  const { value, grads } = tf.variableGrads(
    () =>
      tf.tidy(() => {
        const lg = im.logits(tf.tensor(x, shape), { training });
        return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), K), lg) as tf.Scalar;
      }),
    im.trainableVariables(),
  );
  const out = new Map<string, Float32Array>();
  for (const [vn, g] of Object.entries(grads)) out.set(byVar.get(vn)!, Float32Array.from(g.dataSync()));
  const loss = value.dataSync()[0];
  tf.dispose([value, ...Object.values(grads)]);
  im.dispose();
  return { loss, grads: out };
}

for (const c of CASES) {
  for (const bnMode of ['eval', 'train'] as const) {
    test(`${c.name}, bnMode ${bnMode}: parameter gradients equal tfjs's (1e-4 normwise) and finite differences (1e-2)`, async () => {
      const rng = new Rng(11);
      const B = c.shape[0];
      const x = rng.fillNormal(new Float32Array(c.shape.reduce((a, b) => a * b, 1)));
      const labels = Int32Array.from({ length: B }, () => rng.int(12));
      const m = c.model();
      const v = await VjpOrt.create(m, { logitsName: c.logits, trainable: 'all', bnMode, exampleShape: c.shape.slice(1), executionProviders: ['cpu'], threads: 1 });
      const r = await v.lossAndGrad(x, B, crossEntropyLoss(labels));
      const ref = tfGrads(m, c.logits, x, c.shape, labels, bnMode === 'train');
      assert.ok(Math.abs(r.loss - ref.loss) <= 1e-5 * Math.abs(ref.loss), `loss ${r.loss} vs ${ref.loss}`);
      assert.deepEqual([...r.grads.keys()].sort(), [...ref.grads.keys()].sort());
      let d2 = 0;
      let s2 = 0;
      const per: [string, number, number][] = [];
      for (const [n, b] of ref.grads) {
        const a = r.grads.get(n)!;
        assert.equal(a.length, b.length, n);
        let d = 0;
        let s = 0;
        for (let i = 0; i < b.length; i++) {
          d += (a[i] - b[i]) ** 2;
          s += b[i] ** 2;
        }
        d2 += d;
        s2 += s;
        per.push([n, Math.sqrt(d), Math.sqrt(s)]);
      }
      const total = Math.sqrt(s2);
      const rel = Math.sqrt(d2) / total;
      console.log(`${c.name} ${bnMode}: ${r.grads.size} gradients, normwise rel ${rel.toExponential(2)}`);
      assert.ok(rel <= 1e-4, `normwise rel ${rel}`);
      // Each weight's own gradient too (except those that are ~0, e.g. a conv bias before train-mode BN).
      for (const [n, d, s] of per) if (s > 1e-3 * total) assert.ok(d <= 1e-4 * s, `${n}: rel ${d / s}`);
      // Central finite differences along random directions over all weights (float64 sums).
      const fd = await fdCheck(v, x, B, bnMode, 21, 2, 1e-4);
      console.log(`${c.name} ${bnMode}: finite differences worst rel ${fd.toExponential(2)}`);
      assert.ok(fd <= 1e-2, `finite differences rel ${fd}`);
      await v.dispose();
    });
  }
}

test('updateRunningStats after a train-mode VJP equals the importer running-statistics update', async () => {
  const m = kwsCnn({ channels: [4, 8], frontEnd: defaultFrontEnd('B1TF'), labels: DEFAULT_KWS_LABELS, seed: 7 });
  const rng = new Rng(13);
  const B = 4;
  const x = rng.fillNormal(new Float32Array(B * 98 * 40)).map((z) => 3 * z + 1);
  const v = await VjpOrt.create(m, { logitsName: 'logits', trainable: 'all', bnMode: 'train', executionProviders: ['cpu'], threads: 1 });
  const r = await v.vjp(x, B, rng.fillNormal(new Float32Array(B * 12)));
  const w = new Map([...v.getWeights()].map(([n, a]) => [n, a.slice()]));
  updateRunningStats(w, r.bnStats!);
  const im = importModel(m, { logits: 'logits' });
  tf.tidy(() => void im.logits(tf.tensor(x, [B, 1, 98, 40]), { training: true, updateStats: true }));
  const ref = im.getWeights();
  for (const n of ['bn1.running_mean', 'bn1.running_var', 'bn2.running_mean', 'bn2.running_var']) {
    const a = w.get(n)!;
    const b = ref.get(n)!;
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-5 * (1 + Math.abs(b[i])), `${n}[${i}] ${a[i]} vs ${b[i]}`);
  }
  im.dispose();
  await v.dispose();
});
