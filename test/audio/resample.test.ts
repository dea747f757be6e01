import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resample, besselI0 } from '../../src/audio/resample.ts';
import { speedPerturb } from '../../src/audio/effects/speed.ts';

function sine(n: number, rate: number, f: number, amp = 0.5): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = amp * Math.sin((2 * Math.PI * f * i) / rate);
  return x;
}

/** Amplitude and frequency of the dominant sinusoid by least squares on a frequency grid. */
function fitSine(x: Float32Array, rate: number, lo: number, hi: number, from: number, to: number): { f: number; amp: number } {
  let best = { f: 0, amp: 0 };
  for (let f = lo; f <= hi; f += 0.5) {
    let c = 0, s = 0;
    for (let i = from; i < to; i++) {
      c += x[i] * Math.cos((2 * Math.PI * f * i) / rate);
      s += x[i] * Math.sin((2 * Math.PI * f * i) / rate);
    }
    const amp = (2 * Math.hypot(c, s)) / (to - from);
    if (amp > best.amp) best = { f, amp };
  }
  return best;
}

function rmsOf(x: Float32Array, from: number, to: number): number {
  let e = 0;
  for (let i = from; i < to; i++) e += x[i] * x[i];
  return Math.sqrt(e / (to - from));
}

test('besselI0 matches known values', () => {
  assert.ok(Math.abs(besselI0(0) - 1) < 1e-12);
  assert.ok(Math.abs(besselI0(1) - 1.2660658777520082) < 1e-12);
  assert.ok(Math.abs(besselI0(8.6) - 750.4611595631659) / 750.46 < 1e-12);
});

test('a sine keeps its frequency and amplitude across 44100→16000, 22050→16000, 16000↔8000', () => {
  for (const [from, to, f] of [[44100, 16000, 1000], [22050, 16000, 440], [16000, 8000, 1500], [8000, 16000, 700], [16000, 22050, 3000]]) {
    const x = sine(from, from, f);
    const y = resample(x, from, to);
    assert.equal(y.length, to);
    const fit = fitSine(y, to, f - 5, f + 5, 400, to - 400);
    assert.ok(Math.abs(fit.f - f) <= 0.5, `${from}→${to}: f=${fit.f}`);
    assert.ok(Math.abs(fit.amp - 0.5) < 0.005, `${from}→${to}: amp=${fit.amp}`);
    // sample-exact comparison with the analytic sine away from the edges
    let err = 0;
    for (let i = 400; i < to - 400; i++) err = Math.max(err, Math.abs(y[i] - 0.5 * Math.sin((2 * Math.PI * f * i) / to)));
    assert.ok(err < 0.01, `${from}→${to}: max err ${err}`);
  }
});

test('energy above the new Nyquist is suppressed when downsampling', () => {
  // 6 kHz at 16 kHz is above 8 kHz's Nyquist (4 kHz): must nearly vanish (> 60 dB down).
  const y = resample(sine(16000, 16000, 6000), 16000, 8000);
  assert.ok(rmsOf(y, 200, 7800) < 0.5 * Math.SQRT1_2 * 1e-3, `rms ${rmsOf(y, 200, 7800)}`);
  const z = resample(sine(44100, 44100, 12000), 44100, 16000);
  assert.ok(rmsOf(z, 400, 15600) < 0.5 * Math.SQRT1_2 * 1e-3);
});

test('speedPerturb changes length by 1/factor and scales frequency by factor', () => {
  const x = sine(16000, 16000, 500);
  const y = speedPerturb(x, 1.1);
  assert.equal(y.length, Math.ceil(16000 / 1.1));
  assert.ok(Math.abs(fitSine(y, 16000, 540, 560, 500, y.length - 500).f - 550) <= 0.5);
  assert.equal(speedPerturb(x, 0.9).length, Math.ceil(16000 / 0.9));
  assert.deepEqual(speedPerturb(x, 1), x);
});
