import assert from 'node:assert/strict';
import { test } from 'node:test';
import { naiveDft, nextPow2, RealFft } from '../../src/audio/fft.ts';
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

/** x[j] = (1/n) Σ_{k<n} X[k] e^{+2πijk/n} of the Hermitian extension of the half spectrum (O(n²)). */
function naiveInverse(re: Float64Array, im: Float64Array, n: number): Float64Array {
  const x = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) {
      const h = k <= n >> 1 ? k : n - k;
      const xr = re[h], xi = k <= n >> 1 ? im[h] : -im[h];
      const a = (2 * Math.PI * ((j * k) % n)) / n;
      s += xr * Math.cos(a) - xi * Math.sin(a);
    }
    x[j] = s / n;
  }
  return x;
}

const maxAbs = (a: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
};

test('inverse real FFT equals a naive inverse DFT, and ignores Im X[0] and Im X[n/2]', () => {
  const rng = new Rng(11);
  for (const n of [2, 4, 8, 16, 32, 64, 256, 512, 1024, 4096, 400, 6, 7, 9]) {
    const f = new RealFft(n), h = n >> 1;
    const re = new Float64Array(h + 1), im = new Float64Array(h + 1);
    for (let k = 0; k <= h; k++) (re[k] = rng.normal() * 100), (im[k] = rng.normal() * 100);
    im[0] = 0;
    if (n % 2 === 0) im[h] = 0;
    const ref = naiveInverse(re, im, n);
    const out = new Float64Array(n + 3);
    f.inverseTransform(re, im, out, 3);
    const tol = 1e-9 * maxAbs(ref);
    for (let j = 0; j < n; j++) assert.ok(Math.abs(out[3 + j] - ref[j]) <= tol, `n=${n} x[${j}]: ${out[3 + j]} vs ${ref[j]}`);
    // the imaginary parts of the DC and Nyquist bins do not reach the output
    im[0] = 123;
    if (n % 2 === 0) im[h] = -45;
    const out2 = new Float64Array(n);
    f.inverseTransform(re, im, out2);
    for (let j = 0; j < n; j++) assert.ok(Math.abs(out2[j] - ref[j]) <= tol, `n=${n} (Im DC/Nyquist set) x[${j}]`);
    assert.equal(im[0], 123, 'input spectrum left unchanged');
  }
});

test('inverse real FFT undoes the forward transform (zero padding, repeated calls)', () => {
  const rng = new Rng(12);
  for (const n of [4, 8, 32, 128, 512, 2048, 65536, 400, 6]) {
    const f = new RealFft(n), h = n >> 1;
    for (const len of new Set([n, n - 1, Math.max(1, Math.floor(n * 0.6))])) {
      const x = new Float64Array(len).map(() => rng.normal());
      const re = new Float64Array(h + 1), im = new Float64Array(h + 1), y = new Float64Array(n);
      f.transform(x, 0, len, re, im);
      f.inverseTransform(re, im, y);
      let err = 0;
      for (let j = 0; j < n; j++) err = Math.max(err, Math.abs(y[j] - (j < len ? x[j] : 0)));
      assert.ok(err <= 1e-9 * maxAbs(x), `n=${n} len=${len}: max error ${err}`);
    }
  }
});

/** Linear convolution in float64 through RealFft: forward, multiply half spectra, inverse. */
function fftConvolve64(a: Float64Array, b: Float64Array): Float64Array {
  const outLen = a.length + b.length - 1, n = Math.max(2, nextPow2(outLen)), h = n >> 1;
  const f = new RealFft(n);
  const ar = new Float64Array(h + 1), ai = new Float64Array(h + 1), br = new Float64Array(h + 1), bi = new Float64Array(h + 1);
  f.transform(a, 0, a.length, ar, ai);
  f.transform(b, 0, b.length, br, bi);
  for (let k = 0; k <= h; k++) {
    const r = ar[k] * br[k] - ai[k] * bi[k];
    ai[k] = ar[k] * bi[k] + ai[k] * br[k];
    ar[k] = r;
  }
  const y = new Float64Array(n);
  f.inverseTransform(ar, ai, y);
  return y.subarray(0, outLen);
}

function directConvolve(a: Float64Array, b: Float64Array): Float64Array {
  const y = new Float64Array(a.length + b.length - 1);
  for (let i = 0; i < a.length; i++) for (let k = 0; k < b.length; k++) y[i + k] += a[i] * b[k];
  return y;
}

test('FFT convolution through the real FFT: a delta shifts the signal; random signals match direct convolution (float64)', () => {
  const rng = new Rng(13);
  // analytic: x * δ[· − s] = x delayed by s
  const x = new Float64Array(1000).map(() => rng.normal());
  for (const s of [0, 1, 17, 499]) {
    const d = new Float64Array(s + 1);
    d[s] = 1;
    const y = fftConvolve64(x, d);
    assert.equal(y.length, x.length + s);
    for (let i = 0; i < y.length; i++) {
      const want = i >= s ? x[i - s] : 0;
      assert.ok(Math.abs(y[i] - want) <= 1e-12 * maxAbs(x), `delta at ${s}: y[${i}]`);
    }
  }
  for (const [la, lb] of [[1, 1], [2, 3], [300, 77], [1000, 513], [4000, 2000], [3, 5000]]) {
    const a = new Float64Array(la).map(() => rng.normal()), b = new Float64Array(lb).map(() => rng.normal());
    const y = fftConvolve64(a, b), ref = directConvolve(a, b);
    assert.equal(y.length, ref.length);
    let err = 0;
    for (let i = 0; i < y.length; i++) err = Math.max(err, Math.abs(y[i] - ref[i]));
    assert.ok(err <= 1e-9 * maxAbs(ref), `${la}×${lb}: max error ${err} (max |y| ${maxAbs(ref)})`);
  }
});

test('nextPow2', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 400, 1024, 1025].map(nextPow2), [1, 1, 2, 4, 4, 8, 512, 1024, 2048]);
});
