/**
 * Input and parameter gradients of the three reference models against central finite
 * differences on the wasm backend, in a process of its own (switching backends inside one process is unreliable), plus the kernel checks (see importer-grad-shared.ts for the method).
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { selectBackend } from '../../src/model/backend.ts';
import { registerModelGradTests } from './importer-grad-shared.ts';
import { jsConv, registerKernelTests } from './importer-kernels-shared.ts';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/util/rng.ts';
import { importModel } from '../../src/model/importer.ts';
import { tinyModel } from './importer-tiny-model.ts';

before(async () => {
  await selectBackend('wasm');
});

registerModelGradTests('wasm');

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

test('[wasm] Slice with steps, Gather, reflect Pad and AveragePool are differentiable (gradients vs central differences)', () => {
  const m = tinyModel(
    [
      { op: 'Slice', name: 's', inputs: ['x', 'st', 'en', 'ax', 'sp'], outputs: ['a'] },
      { op: 'Gather', name: 'g', inputs: ['a', 'idx'], outputs: ['b'], attrs: { axis: 1 } },
      { op: 'Pad', name: 'p', inputs: ['b', 'pads'], outputs: ['c'], attrs: { mode: 'reflect' } },
      { op: 'AveragePool', name: 'ap', inputs: ['c'], outputs: ['d'], attrs: { kernel_shape: [2, 2], strides: [1, 2], pads: [1, 0, 0, 1], count_include_pad: 0 } },
      { op: 'Tanh', name: 't', inputs: ['d'], outputs: ['y'] },
    ],
    {
      st: { dims: [2], data: [1, 8], int64: true },
      en: { dims: [2], data: [9, 0], int64: true },
      ax: { dims: [2], data: [2, 3], int64: true },
      sp: { dims: [2], data: [2, -3], int64: true },
      idx: { dims: [3], data: [2, 0, 2], int64: true },
      pads: { dims: [8], data: [0, 0, 1, 2, 0, 0, 1, 0], int64: true },
    },
    { name: 'x', dims: [2, 3, 10, 9] },
    ['y'],
  );
  const model = importModel(m);
  const rng = new Rng(4);
  const x = tf.tensor(Float32Array.from({ length: 540 }, () => rng.normal()), [2, 3, 10, 9]);
  tf.tidy(() => {
    const y0 = model.run(x, ['y'])[0]!;
    const R = tf.tensor(Float32Array.from({ length: y0.size }, () => rng.normal()), y0.shape);
    const L = (xx: tf.Tensor) => tf.sum(tf.mul(model.run(xx, ['y'])[0]!, R)) as tf.Scalar;
    const g = tf.grad(L)(x);
    const v = tf.tensor(Float32Array.from({ length: 540 }, () => rng.normal()), x.shape);
    const eps = 1e-2;
    const fd = (L(tf.add(x, tf.mul(v, eps))).dataSync()[0]! - L(tf.sub(x, tf.mul(v, eps))).dataSync()[0]!) / (2 * eps);
    const an = tf.sum(tf.mul(g, v)).dataSync()[0]!;
    assert.ok(Math.abs(an - fd) / Math.abs(an) < 1e-2, `analytic ${an} vs FD ${fd}`);
  });
  x.dispose();
  model.dispose();
});
