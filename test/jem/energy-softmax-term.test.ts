/**
 * The energy terms of jemLoss without an E² term run as one 'softmax'-head VJP
 * (objective.ts energySoftmaxTerm): same parameter gradients, mean E and mean E² as a forward pass
 * followed by a VJP of energyTermGrad's ∂L/∂f, in eval and train BatchNorm mode, over every
 * parameter and restricted to the BatchNorm affine ones, and with one engine run instead of two.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, defaultFrontEnd } from '../../src/model/builders/index.ts';
import { VjpOrt } from '../../src/model/vjp-ort.ts';
import { energySoftmaxTerm, energyTermGrad } from '../../src/jem/objective.ts';
import type { GradEngine } from '../../src/engine/engine.ts';
import { resolveTrainable } from '../../src/model/vjp-graph.ts';
import { Rng } from '../../src/util/rng.ts';

const proto = buildModel('kws-cnn', { channels: [4, 8] }, defaultFrontEnd('B1TF', { featDim: 12, numFrames: 16 }), ['a', 'b', 'c', 'd', 'e'], 3);
const K = 5;

test('energySoftmaxTerm = forward + VJP of a·mean E in one run (eval and train BatchNorm, all and BatchNorm-only gradients)', async () => {
  const v = await VjpOrt.create(proto, { logitsName: 'logits', trainable: 'all', bnMode: 'eval', threads: 1, exampleShape: [1, 16, 12] });
  const runs: string[] = [];
  const counted = new Proxy(v, {
    get(t, k, r) {
      const f = Reflect.get(t, k, r);
      return typeof f === 'function' && ['forward', 'vjp', 'vjpSoftmax', 'lossAndGrad'].includes(k as string) ? (...a: unknown[]) => (runs.push(k as string), f.apply(t, a)) : f;
    },
  }) as unknown as GradEngine;
  const bn = resolveTrainable(proto, 'bn');
  const rng = new Rng(4);
  const B = 6;
  const x = rng.fillNormal(new Float32Array(B * 16 * 12));
  for (const bnMode of ['eval', 'train'] as const) {
    for (const gradFor of [undefined, bn]) {
      for (const a of [0.3, -1.7]) {
        const opts = { bnMode, gradFor };
        runs.length = 0;
        const s = await energySoftmaxTerm(counted, x, B, K, a, opts);
        assert.deepEqual(runs, ['vjpSoftmax'], 'one run');
        let eD = 0;
        let eD2 = 0;
        const ref = await v.lossAndGrad(x, B, (logits) => {
          const t = energyTermGrad(logits, B, K, a, 0);
          eD = t.meanE;
          eD2 = t.meanE2;
          return { loss: 0, gLogits: t.gLogits };
        }, opts);
        const what = `${bnMode}, ${gradFor ? 'bn' : 'all'}, a = ${a}`;
        assert.ok(Math.abs(s.meanE - eD) < 1e-5 * Math.max(1, Math.abs(eD)), `${what}: mean E ${s.meanE} vs ${eD}`);
        assert.ok(Math.abs(s.meanE2 - eD2) < 1e-5 * Math.max(1, eD2), `${what}: mean E² ${s.meanE2} vs ${eD2}`);
        assert.deepEqual([...s.grads.keys()].sort(), [...ref.grads.keys()].sort());
        // relative to the largest gradient value (a Conv bias before train-mode BatchNorm has gradient ≈ 0)
        let scale = 0;
        for (const g of ref.grads.values()) for (const u of g) scale = Math.max(scale, Math.abs(u));
        assert.ok(scale > 0);
        for (const [k, g] of ref.grads) {
          const h = s.grads.get(k)!;
          let num = 0;
          for (let i = 0; i < g.length; i++) num = Math.max(num, Math.abs(h[i] - g[i]));
          assert.ok(num <= 1e-4 * scale, `${what}: ${k} off by ${num} (largest gradient ${scale})`);
        }
        if (bnMode === 'train') assert.ok(s.bnStats && s.bnStats.size > 0, 'train mode: the batch statistics come back');
      }
    }
  }
  await v.dispose();
});
