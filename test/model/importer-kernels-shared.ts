/**
 * Kernel checks run on every backend (importer.test.ts on cpu, importer-grad-wasm.test.ts on wasm):
 * conv2dDiff gradients against a float64 JS reference (strides, dilations, both, asymmetric pads),
 * a dilated conv gradient against central differences, and the max-pool gradient under ties and
 * negative maxima against the first-index rule computed in JS.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { conv2dDiff, type Conv2DOpts } from '../../src/model/kernels/conv.ts';
import { maxPoolDiff, type PoolOpts } from '../../src/model/kernels/pool.ts';
import { matMulDiff } from '../../src/model/kernels/matmul.ts';
import { Rng } from '../../src/util/rng.ts';

function rnd(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

/** y = conv(x, w) and the gradients of Σ R·y, all in float64 (NHWC, HWIO). */
export function jsConv(x: Float32Array, xs: number[], w: Float32Array, ws: number[], o: Conv2DOpts, R?: Float32Array) {
  const [B, H, W, C] = xs as [number, number, number, number];
  const [KH, KW, , O] = ws as [number, number, number, number];
  const [sh, sw] = o.strides;
  const [dh, dw] = o.dilations;
  const [pt, pl, pb, pr] = o.pads;
  const OH = Math.floor((H + pt + pb - ((KH - 1) * dh + 1)) / sh) + 1;
  const OW = Math.floor((W + pl + pr - ((KW - 1) * dw + 1)) / sw) + 1;
  const y = new Float64Array(B * OH * OW * O);
  const dx = new Float64Array(x.length);
  const dW = new Float64Array(w.length);
  for (let b = 0; b < B; b++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let oc = 0; oc < O; oc++) {
          const yi = ((b * OH + oh) * OW + ow) * O + oc;
          let s = 0;
          for (let kh = 0; kh < KH; kh++) {
            const ih = oh * sh + kh * dh - pt;
            if (ih < 0 || ih >= H) continue;
            for (let kw = 0; kw < KW; kw++) {
              const iw = ow * sw + kw * dw - pl;
              if (iw < 0 || iw >= W) continue;
              for (let c = 0; c < C; c++) {
                const xi = ((b * H + ih) * W + iw) * C + c;
                const wi = ((kh * KW + kw) * C + c) * O + oc;
                s += x[xi]! * w[wi]!;
                if (R) {
                  dx[xi]! += R[yi]! * w[wi]!;
                  dW[wi]! += R[yi]! * x[xi]!;
                }
              }
            }
          }
          y[yi] = s;
        }
  return { y, dx, dW, shape: [B, OH, OW, O] };
}

function maxRelErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    num = Math.max(num, Math.abs(got[i]! - want[i]!));
    den = Math.max(den, Math.abs(want[i]!));
  }
  return num / Math.max(den, 1e-12);
}

const CONV_CASES: { name: string; xs: number[]; ws: number[]; o: Conv2DOpts }[] = [
  { name: 'plain 3x3 pad 1', xs: [2, 7, 6, 3], ws: [3, 3, 3, 4], o: { strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1] } },
  { name: 'stride 2, asymmetric pads', xs: [2, 9, 8, 2], ws: [3, 2, 2, 3], o: { strides: [2, 2], dilations: [1, 1], pads: [1, 0, 2, 1] } },
  { name: 'dilation (1, 3) (TDNN-like)', xs: [2, 1, 20, 4], ws: [1, 3, 4, 5], o: { strides: [1, 1], dilations: [1, 3], pads: [0, 2, 0, 1] } },
  { name: 'dilation 2 x 2', xs: [1, 9, 9, 2], ws: [3, 3, 2, 2], o: { strides: [1, 1], dilations: [2, 2], pads: [0, 0, 0, 0] } },
  { name: 'stride 2 and dilation 2', xs: [2, 11, 10, 2], ws: [3, 2, 2, 3], o: { strides: [2, 2], dilations: [2, 2], pads: [1, 1, 1, 0] } },
  { name: 'stride 3 leaves a remainder', xs: [1, 10, 11, 1], ws: [2, 2, 1, 2], o: { strides: [3, 3], dilations: [1, 1], pads: [0, 0, 0, 0] } },
];

/** [B,H,W,C] maxpool gradient by the first-index rule, float64. */
export function jsMaxPoolGrad(x: Float32Array, xs: number[], o: PoolOpts, dy: Float32Array): Float64Array {
  const [B, H, W, C] = xs as [number, number, number, number];
  const [KH, KW] = o.kernel;
  const [sh, sw] = o.strides;
  const [pt, pl, pb, pr] = o.pads;
  const OH = Math.floor((H + pt + pb - KH) / sh) + 1;
  const OW = Math.floor((W + pl + pr - KW) / sw) + 1;
  const g = new Float64Array(x.length);
  for (let b = 0; b < B; b++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let c = 0; c < C; c++) {
          let best = -1;
          for (let kh = 0; kh < KH; kh++)
            for (let kw = 0; kw < KW; kw++) {
              const ih = oh * sh + kh - pt;
              const iw = ow * sw + kw - pl;
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
              const i = ((b * H + ih) * W + iw) * C + c;
              if (best < 0 || x[i]! > x[best]!) best = i;
            }
          g[best] += dy[((b * OH + oh) * OW + ow) * C + c]!;
        }
  return g;
}

export function registerKernelTests(backend: string): void {
  test(`[${backend}] matMulDiff: value and gradients equal a float64 reference for every transA/transB`, () => {
    const rng = new Rng(13);
    const m = 5;
    const k = 7;
    const n = 4;
    const A = rnd(rng, m * k); // logical [m, k]
    const Bm = rnd(rng, k * n); // logical [k, n]
    const R = rnd(rng, m * n);
    const at = (x: Float32Array, r: number, c: number, cols: number) => x[r * cols + c]!;
    const dA = new Float64Array(m * k);
    const dB = new Float64Array(k * n);
    const y = new Float64Array(m * n);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++)
        for (let q = 0; q < k; q++) {
          y[i * n + j] += at(A, i, q, k) * at(Bm, q, j, n);
          dA[i * k + q] += R[i * n + j]! * at(Bm, q, j, n);
          dB[q * n + j] += R[i * n + j]! * at(A, i, q, k);
        }
    const tr = (x: ArrayLike<number>, r: number, c: number) => Float64Array.from({ length: r * c }, (_, i) => x[(i % r) * c + Math.floor(i / r)]!);
    for (const ta of [false, true])
      for (const tb of [false, true]) {
        tf.tidy(() => {
          const a = ta ? tf.tensor2d(Float32Array.from(tr(A, m, k)), [k, m]) : tf.tensor2d(A, [m, k]);
          const b = tb ? tf.tensor2d(Float32Array.from(tr(Bm, k, n)), [n, k]) : tf.tensor2d(Bm, [k, n]);
          const Rt = tf.tensor2d(R, [m, n]);
          assert.ok(maxRelErr(matMulDiff(a, b, ta, tb).dataSync(), y) < 1e-5);
          const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(matMulDiff(p as tf.Tensor2D, q as tf.Tensor2D, ta, tb), Rt)))([a, b]);
          assert.ok(maxRelErr(ga!.dataSync(), ta ? tr(dA, m, k) : dA) < 1e-5, `dA transA=${ta} transB=${tb}`);
          assert.ok(maxRelErr(gb!.dataSync(), tb ? tr(dB, k, n) : dB) < 1e-5, `dB transA=${ta} transB=${tb}`);
        });
      }
  });

  for (const c of CONV_CASES) {
    test(`[${backend}] conv2dDiff ${c.name}: value and both gradients equal the float64 reference`, () => {
      const rng = new Rng(7);
      const n = (s: number[]) => s.reduce((a, b) => a * b, 1);
      const x = rnd(rng, n(c.xs));
      const w = rnd(rng, n(c.ws));
      const ref0 = jsConv(x, c.xs, w, c.ws, c.o);
      const R = rnd(rng, ref0.y.length);
      const ref = jsConv(x, c.xs, w, c.ws, c.o, R);
      tf.tidy(() => {
        const xt = tf.tensor4d(x, c.xs as [number, number, number, number]);
        const wt = tf.tensor4d(w, c.ws as [number, number, number, number]);
        const Rt = tf.tensor(R, ref.shape);
        const y = conv2dDiff(xt, wt, c.o);
        assert.deepEqual(y.shape, ref.shape);
        assert.ok(maxRelErr(y.dataSync(), ref.y) < 1e-5, 'forward');
        const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv2dDiff(a as tf.Tensor4D, b as tf.Tensor4D, c.o), Rt)))([xt, wt]);
        const ex = maxRelErr(gx!.dataSync(), ref.dx);
        const ew = maxRelErr(gw!.dataSync(), ref.dW);
        assert.ok(ex < 1e-5, `input gradient rel err ${ex}`);
        assert.ok(ew < 1e-5, `filter gradient rel err ${ew}`);
        // input-gradient-only variant (filter closed over)
        const gx2 = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(conv2dDiff(a as tf.Tensor4D, wt, c.o, false), Rt)))(xt);
        assert.ok(maxRelErr(gx2.dataSync(), ref.dx) < 1e-5);
      });
    });
  }

  test(`[${backend}] dilated conv gradient matches central finite differences`, () => {
    const rng = new Rng(11);
    const xs = [2, 1, 24, 3];
    const ws = [1, 3, 3, 4];
    const o: Conv2DOpts = { strides: [1, 1], dilations: [1, 4], pads: [0, 0, 0, 0] };
    const x = rnd(rng, 144);
    const w = rnd(rng, 36);
    tf.tidy(() => {
      const xt = tf.tensor4d(x, xs as [number, number, number, number]);
      const wt = tf.tensor4d(w, ws as [number, number, number, number]);
      const R = tf.tensor(rnd(rng, 2 * 16 * 4), [2, 1, 16, 4]);
      // a smooth nonlinearity after the conv so the check is not only of a linear map
      const L = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.tanh(conv2dDiff(a as tf.Tensor4D, b as tf.Tensor4D, o)), R)) as tf.Scalar;
      const [gx, gw] = tf.grads(L)([xt, wt]);
      const eps = 1e-2;
      const vx = tf.tensor(rnd(rng, xt.size), xt.shape);
      const vw = tf.tensor(rnd(rng, wt.size), wt.shape);
      const checks: [string, number, number][] = [
        ['input', tf.sum(tf.mul(gx!, vx)).dataSync()[0]!, (L(tf.add(xt, tf.mul(vx, eps)), wt).dataSync()[0]! - L(tf.sub(xt, tf.mul(vx, eps)), wt).dataSync()[0]!) / (2 * eps)],
        ['filter', tf.sum(tf.mul(gw!, vw)).dataSync()[0]!, (L(xt, tf.add(wt, tf.mul(vw, eps))).dataSync()[0]! - L(xt, tf.sub(wt, tf.mul(vw, eps))).dataSync()[0]!) / (2 * eps)],
      ];
      for (const [which, an, fd] of checks) {
        const rel = Math.abs(an - fd) / Math.abs(an);
        assert.ok(rel < 1e-2, `${which}: analytic ${an} vs FD ${fd} (rel ${rel})`);
      }
    });
  });

  const POOLS: { name: string; o: PoolOpts }[] = [
    { name: '2x2 stride 2 (tiling path)', o: { kernel: [2, 2], strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0], ceilMode: false } },
    { name: '3x3 stride 1 pad 1 (window path)', o: { kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], ceilMode: false } },
    { name: '3x2 stride 2 overlapping', o: { kernel: [3, 2], strides: [2, 1], dilations: [1, 1], pads: [0, 0, 0, 0], ceilMode: false } },
  ];
  for (const p of POOLS) {
    test(`[${backend}] MaxPool ${p.name}: gradient follows the first-index rule under ties and negative maxima`, () => {
      const xs = [2, 6, 5, 2];
      const n = 120;
      // values from a tiny set → many ties; mostly negative
      const rng = new Rng(3);
      const x = new Float32Array(n);
      for (let i = 0; i < n; i++) x[i] = [-3, -2, -2, -1, -1, -1, 0.5][rng.int(7)]!;
      x.fill(-4, 0, 20); // whole windows of equal negative values
      const o = p.o;
      const OH = Math.floor((6 + o.pads[0] + o.pads[2] - o.kernel[0]) / o.strides[0]) + 1;
      const OW = Math.floor((5 + o.pads[1] + o.pads[3] - o.kernel[1]) / o.strides[1]) + 1;
      const dy = new Float32Array(2 * OH * OW * 2);
      for (let i = 0; i < dy.length; i++) dy[i] = 1 + (i % 5);
      const want = jsMaxPoolGrad(x, xs, o, dy);
      tf.tidy(() => {
        const xt = tf.tensor4d(x, xs as [number, number, number, number]);
        const dyt = tf.tensor(dy, [2, OH, OW, 2]);
        const y = maxPoolDiff(xt, o);
        assert.deepEqual(y.shape, [2, OH, OW, 2]);
        const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(maxPoolDiff(a as tf.Tensor4D, o), dyt)))(xt).dataSync();
        assert.deepEqual(Array.from(g), Array.from(want));
      });
    });
  }
}
