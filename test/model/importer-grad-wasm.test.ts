/**
 * Input and parameter gradients of the three reference models against central finite
 * differences on the wasm backend, in a process of its own (switching backends inside one process is unreliable), plus the kernel checks (see importer-grad-shared.ts for the method).
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { selectBackend } from '../../src/model/backend.ts';
import { checkModelGrads, MODELS } from './importer-grad-shared.ts';
import { jsConv, registerKernelTests } from './importer-kernels-shared.ts';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/util/rng.ts';

before(async () => {
  await selectBackend('wasm');
});

for (const m of MODELS) {
  test(`[wasm] ${m}: input and parameter gradients match central differences (rel <= 1e-2)`, (t) => {
    const checks = checkModelGrads(m, { batch: m.startsWith('mlp') ? undefined : 1, frames: m.startsWith('tdnn') ? 40 : undefined });
    const worst = Math.max(...checks.map((c) => c.relErr));
    t.diagnostic(`${m}: worst rel err ${worst.toExponential(2)}; ${checks.map((c) => `${c.what} ${c.relErr.toExponential(1)}`).join(', ')}`);
    for (const c of checks) assert.ok(c.relErr <= 1e-2, `${c.what}: analytic ${c.analytic} vs FD ${c.fd} (eps ${c.eps}, rel ${c.relErr})`);
  });
}

registerKernelTests('wasm');

test('[wasm] registered Conv2DBackpropFilter: tf.conv2d and fused conv filter/input gradients equal the float64 reference', () => {
  const cases: { xs: [number, number, number, number]; ws: [number, number, number, number]; s: [number, number]; pad: 'same' | 'valid'; pads: [number, number, number, number] }[] = [
    { xs: [2, 7, 6, 3], ws: [3, 3, 3, 4], s: [1, 1], pad: 'valid', pads: [0, 0, 0, 0] },
    { xs: [2, 9, 8, 2], ws: [3, 2, 2, 3], s: [2, 2], pad: 'valid', pads: [0, 0, 0, 0] },
    // 'same' with stride 1 and a 3x3 filter pads 1 on every side
    { xs: [1, 6, 5, 2], ws: [3, 3, 2, 2], s: [1, 1], pad: 'same', pads: [1, 1, 1, 1] },
  ];
  const rng = new Rng(21);
  const rnd = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  for (const c of cases) {
    const x = rnd(c.xs.reduce((a, b) => a * b, 1));
    const w = rnd(c.ws.reduce((a, b) => a * b, 1));
    const o = { strides: c.s, dilations: [1, 1] as [number, number], pads: c.pads };
    const ref0 = jsConv(x, c.xs, w, c.ws, o);
    const R = rnd(ref0.y.length);
    const ref = jsConv(x, c.xs, w, c.ws, o, R);
    tf.tidy(() => {
      const xt = tf.tensor4d(x, c.xs);
      const wt = tf.tensor4d(w, c.ws);
      const Rt = tf.tensor(R, ref.shape);
      const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad), Rt)))([xt, wt]);
      const rel = (g: tf.Tensor, want: Float64Array) => {
        const d = g.dataSync();
        let num = 0;
        let den = 0;
        for (let i = 0; i < want.length; i++) {
          num = Math.max(num, Math.abs(d[i]! - want[i]!));
          den = Math.max(den, Math.abs(want[i]!));
        }
        return num / den;
      };
      assert.ok(rel(gx!, ref.dx) < 1e-5, 'input gradient');
      assert.ok(rel(gw!, ref.dW) < 1e-5, 'filter gradient');
      // fused conv (bias, linear activation): its input gradient also needs the filter kernel
      const bias = tf.zeros([c.ws[3]]);
      const [fx, fw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: c.s, pad: c.pad, bias }), Rt)),
      )([xt, wt]);
      assert.ok(rel(fx!, ref.dx) < 1e-5, 'fused input gradient');
      assert.ok(rel(fw!, ref.dW) < 1e-5, 'fused filter gradient');
    });
  }
});
