import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.ts';
import {
  addNoiseAtSnr, energy, makeNoise, makeRir, estimateRt60, reverb, telephone, mulawEncode, mulawDecode,
  mulawRoundTrip, bandpass, gain, normalizePeak, peak, convolve, rms,
} from '../../src/audio/effects/index.ts';
import { RealFft } from '../../src/audio/fft.ts';

function sine(n: number, rate: number, f: number, amp = 0.5): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = amp * Math.sin((2 * Math.PI * f * i) / rate);
  return x;
}

/** Power spectrum by FFT, n a power of two; returns |X[k]|² for k = 0..n/2. */
function power(x: Float32Array, n = 16384): Float64Array {
  const xs = Float64Array.from(x.subarray(0, n));
  const p = new Float64Array(n / 2 + 1);
  new RealFft(n).powerSpectrum(xs, 0, xs.length, p, 0);
  return p;
}

test('addNoiseAtSnr: SNR measured back within 0.1 dB for every noise kind and a given noise array', () => {
  const rng = new Rng(7);
  const s = sine(16000, 16000, 440, 0.3);
  const longNoise = makeNoise('pink', 40000, new Rng(3));
  for (const snr of [0, 5, 10, -3, 20]) {
    for (const kind of ['white', 'pink', 'babble-like', longNoise] as const) {
      const y = addNoiseAtSnr(s, kind, snr, rng);
      const n = y.map((v, i) => v - s[i]);
      const measured = 10 * Math.log10(energy(s) / energy(n));
      assert.ok(Math.abs(measured - snr) < 0.1, `${typeof kind === 'string' ? kind : 'array'} @ ${snr} dB: ${measured}`);
    }
  }
  // seeded: same seed, same output
  assert.deepEqual(addNoiseAtSnr(s, 'white', 5, new Rng(1)), addNoiseAtSnr(s, 'white', 5, new Rng(1)));
});

test('pink noise has a −3 dB/octave slope, white noise is flat', () => {
  const band = (p: Float64Array, f0: number, f1: number) => {
    let e = 0;
    for (let k = Math.round((f0 / 16000) * 16384); k < Math.round((f1 / 16000) * 16384); k++) e += p[k];
    return e;
  };
  const pk = power(makeNoise('pink', 16384, new Rng(2)));
  const octave = 10 * Math.log10(band(pk, 1000, 2000) / band(pk, 2000, 4000));
  assert.ok(Math.abs(octave) < 1.5, `pink: equal energy per octave, got ${octave.toFixed(2)} dB`);
  const wh = power(makeNoise('white', 16384, new Rng(2)));
  const w = 10 * Math.log10(band(wh, 1000, 2000) / band(wh, 2000, 3000));
  assert.ok(Math.abs(w) < 0.5, `white: equal energy per equal bandwidth, got ${w.toFixed(2)} dB`);
});

test('reverb: the synthetic RIR has the requested RT60 and the output keeps length and RMS', () => {
  for (const rt60 of [0.2, 0.4, 0.8]) {
    const h = makeRir(16000, { rt60, rng: new Rng(11), wet: 1 });
    const est = estimateRt60(h, 16000);
    assert.ok(Math.abs(est - rt60) / rt60 < 0.1, `rt60 ${rt60}: estimated ${est.toFixed(3)}`);
  }
  const x = sine(16000, 16000, 300, 0.2);
  const y = reverb(x, 16000, { rt60: 0.5, rng: new Rng(5) });
  assert.equal(y.length, x.length);
  assert.ok(Math.abs(rms(y) - rms(x)) < 1e-6);
  assert.ok(y.every(Number.isFinite));
  assert.deepEqual(reverb(x, 16000, { rt60: 0.5, rng: new Rng(5) }), y);
});

test('FFT convolution equals direct convolution', () => {
  const rng = new Rng(9);
  for (const [la, lb] of [[300, 77], [1, 1], [5, 1], [1, 9], [16000, 8000]] as const) {
    const a = new Float32Array(la).map(() => rng.normal());
    const b = new Float32Array(lb).map(() => rng.normal());
    const c = convolve(a, b);
    assert.equal(c.length, la + lb - 1);
    const step = c.length > 1000 ? 97 : 1;
    for (let n = 0; n < c.length; n += step) {
      let d = 0;
      for (let k = 0; k < b.length; k++) if (n - k >= 0 && n - k < a.length) d += a[n - k] * b[k];
      // float64 arithmetic, one rounding to float32 at the end
      assert.ok(Math.abs(c[n] - d) <= 1e-7 * Math.abs(d) + 1e-9 * Math.sqrt(lb), `${la}×${lb}: c[${n}] = ${c[n]}, direct ${d}`);
    }
  }
  // a delayed unit impulse returns the signal delayed, exactly in float32
  const x = new Float32Array(1000).map(() => rng.normal());
  const d = new Float32Array(41);
  d[40] = 1;
  const y = convolve(x, d);
  for (let i = 0; i < y.length; i++) assert.ok(Math.abs(y[i] - (i >= 40 ? x[i - 40] : 0)) <= 1e-12, `delta: y[${i}]`);
  assert.equal(convolve(new Float32Array(0), d).length, 0);
});

test('G.711 µ-law matches the standard code words and error bounds', () => {
  // Known values (bit-inverted code words as transmitted), as given by the CCITT reference code
  // (Python's audioop.lin2ulaw agrees on all 65536 inputs).
  assert.equal(mulawEncode(0), 0xff);
  assert.equal(mulawEncode(-1), 0x7e);
  assert.equal(mulawEncode(-1000), 0x4e);
  assert.equal(mulawEncode(32767), 0x80);
  assert.equal(mulawEncode(-32768), 0x00);
  assert.equal(mulawDecode(0xff), 0);
  assert.equal(mulawDecode(0x80), 32124);
  assert.equal(mulawDecode(0x00), -32124);
  assert.equal(mulawDecode(0x7f), 0);
  assert.equal(mulawEncode(1000), 0xce);
  assert.equal(mulawDecode(0xce), 988);
  // Every code decodes then re-encodes to itself (except the duplicate zero 0x7f → 0xff).
  for (let c = 0; c < 256; c++) if (c !== 0x7f) assert.equal(mulawEncode(mulawDecode(c)), c);
  // Round-trip error: half a quantisation step, i.e. at most 1/32 of the magnitude (+ 8 near 0).
  for (let v = -32000; v <= 32000; v += 37) {
    const r = mulawDecode(mulawEncode(v));
    assert.ok(Math.abs(r - v) <= Math.abs(v) / 32 + 8, `${v} → ${r}`);
  }
  // Relative error of a loud sine is about 1-2 % (SNR around 38 dB).
  const x = sine(8000, 8000, 440, 0.5);
  const y = mulawRoundTrip(x);
  const snr = 10 * Math.log10(energy(x) / energy(y.map((v, i) => v - x[i])));
  assert.ok(snr > 33 && snr < 42, `µ-law SNR ${snr}`);
});

test('band-pass: 1 kHz passes, 100 Hz and 6 kHz are attenuated', () => {
  const lvl = (f: number) => rms(bandpass(sine(16000, 16000, f), 16000, 300, 3400).subarray(4000));
  assert.ok(Math.abs(20 * Math.log10(lvl(1000) / rms(sine(16000, 16000, 1000))) ) < 0.5);
  assert.ok(20 * Math.log10(lvl(100) / lvl(1000)) < -30);
  assert.ok(20 * Math.log10(lvl(6000) / lvl(1000)) < -20);
});

test('telephone: keeps length, passes the voice band, removes energy below 300 Hz and above 4 kHz', () => {
  const rate = 16000;
  const mix = new Float32Array(rate);
  for (let i = 0; i < rate; i++) {
    mix[i] = 0.2 * Math.sin((2 * Math.PI * 100 * i) / rate) + 0.2 * Math.sin((2 * Math.PI * 1000 * i) / rate) + 0.2 * Math.sin((2 * Math.PI * 6000 * i) / rate);
  }
  const y = telephone(mix, rate);
  assert.equal(y.length, mix.length);
  const p = power(y.subarray(0, 16384).length === 16384 ? y : (() => { const z = new Float32Array(16384); z.set(y); return z; })());
  const at = (f: number) => {
    const k = Math.round((f / rate) * 16384);
    let e = 0;
    for (let j = k - 3; j <= k + 3; j++) e += p[j];
    return e;
  };
  assert.ok(10 * Math.log10(at(100) / at(1000)) < -25, 'low cut');
  assert.ok(10 * Math.log10(at(6000) / at(1000)) < -50, 'above 4 kHz gone after 8 kHz');
  assert.deepEqual(telephone(mix, rate, new Rng(1), { edgeJitterHz: 40 }), telephone(mix, rate, new Rng(1), { edgeJitterHz: 40 }));
});

test('gain and peak normalisation', () => {
  const x = new Float32Array([0.1, -0.2, 0.05]);
  const y = gain(x, 6.0206);
  assert.ok(Math.abs(y[1] + 0.4) < 1e-5);
  assert.ok(Math.abs(peak(normalizePeak(x, 0.9)) - 0.9) < 1e-7);
  assert.deepEqual(normalizePeak(new Float32Array(3), 0.9), new Float32Array(3));
});
