import assert from 'node:assert/strict';
import { test } from 'node:test';
import { naiveDft, RealFft } from '../../src/features/fft.ts';
import { Rng } from '../../src/util/rng.ts';

test('real FFT equals a naive DFT (powers of two, zero padding, odd lengths, non-power-of-two)', () => {
  const rng = new Rng(3);
  for (const n of [2, 4, 8, 16, 32, 64, 256, 512, 1024, 400, 6]) {
    const f = new RealFft(n);
    for (const len of new Set([n, n - 1, Math.max(1, Math.floor(n * 0.78))])) {
      const x = new Float64Array(n + 5);
      for (let i = 0; i < x.length; i++) x[i] = rng.normal() * 1000;
      const re = new Float64Array(n / 2 + 1), im = new Float64Array(n / 2 + 1), p = new Float64Array(n / 2 + 1);
      f.transform(x, 3, len, re, im);
      f.powerSpectrum(x, 3, len, p, 0);
      const ref = naiveDft(x.subarray(3, 3 + len), n);
      for (let k = 0; k <= n >> 1; k++) {
        const scale = 1000 * Math.sqrt(len);
        assert.ok(Math.abs(re[k] - ref.re[k]) < 1e-9 * scale, `n=${n} len=${len} re[${k}]`);
        assert.ok(Math.abs(im[k] - ref.im[k]) < 1e-9 * scale, `n=${n} len=${len} im[${k}]`);
        const pw = ref.re[k] ** 2 + ref.im[k] ** 2;
        assert.ok(Math.abs(p[k] - pw) <= 1e-9 * (pw + scale * scale), `n=${n} len=${len} power[${k}]`);
      }
    }
  }
});

test('FFT of a cosine puts its energy in one bin (analytic case)', () => {
  const n = 512, f = new RealFft(n);
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.cos((2 * Math.PI * 37 * i) / n);
  const p = new Float64Array(n / 2 + 1);
  f.powerSpectrum(x, 0, n, p, 0);
  assert.ok(Math.abs(p[37] - (n / 2) ** 2) < 1e-6);
  for (let k = 0; k <= n / 2; k++) if (k !== 37) assert.ok(p[k] < 1e-12, `bin ${k}`);
});

test('FFT rejects input longer than its size', () => {
  assert.throws(() => new RealFft(8).powerSpectrum(new Float64Array(16), 0, 9, new Float64Array(5), 0), RangeError);
});
