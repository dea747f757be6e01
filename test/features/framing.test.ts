import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeMfcc } from '../../src/features/extract.ts';
import {
  applyWindow, dither, extractFrame, firstSampleOfFrame, FLT_EPSILON, logEnergy, numFrames, preemphasize, processFrame, removeDcOffset,
} from '../../src/features/framing.ts';
import { frameGeometry, MFCC_DEFAULTS, resolveOptions } from '../../src/features/options.ts';
import { makeWindow } from '../../src/features/window.ts';
import { ConfigError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';

test('frame counts follow Kaldi NumFrames for snip-edges true/false', () => {
  // 1 s at 16 kHz, 25/10 ms: 1 + (16000-400)/160 = 98 (snip) and (16000+80)/160 = 100 (no snip)
  assert.equal(numFrames(16000, 400, 160, true), 98);
  assert.equal(numFrames(16000, 400, 160, false), 100);
  assert.equal(numFrames(399, 400, 160, true), 0);
  assert.equal(numFrames(399, 400, 160, false), 2);
  assert.equal(numFrames(55015, 400, 160, true), 342); // utt01 reference
  assert.equal(numFrames(79, 400, 160, false), 0);
  assert.equal(numFrames(80, 400, 160, false), 1);
  const x = new Float32Array(16000);
  assert.equal(computeMfcc(x, { 'snip-edges': false }).rows, 100);
  assert.equal(computeMfcc(x, {}).rows, 98);
  assert.equal(computeMfcc(new Float32Array(100), {}).rows, 0);
});

test('without snip-edges frames are centred and reflect at the edges like Kaldi ExtractWindow', () => {
  assert.equal(firstSampleOfFrame(0, 400, 160, false), 80 - 200);
  assert.equal(firstSampleOfFrame(2, 400, 160, true), 320);
  const s = new Float32Array(10).map((_, i) => i + 1); // 1..10
  const out = new Float64Array(6);
  // window 6, shift 4, frame 0: mid = 2, start = -1 → indices -1..4 → reflect -1 → 0
  extractFrame(s, 0, 6, 4, false, 1, out, 0);
  assert.deepEqual([...out], [1, 1, 2, 3, 4, 5]);
  // frame 2: start = 8 + 2 - 3 = 7 → 7,8,9,10→9,11→8,12→7
  extractFrame(s, 2, 6, 4, false, 2, out, 0);
  assert.deepEqual([...out], [16, 18, 20, 20, 18, 16]);
});

test('pre-emphasis is Kaldi in-place backwards form; DC removal; energy floor', () => {
  const x = Float64Array.from([1, 2, 4]);
  preemphasize(x, 0, 3, 0.5);
  assert.deepEqual([...x], [0.5, 1.5, 3]);
  const y = Float64Array.from([1, 2, 3]);
  removeDcOffset(y, 0, 3);
  assert.deepEqual([...y], [-1, 0, 1]);
  assert.equal(logEnergy(new Float64Array(4), 0, 4), Math.log(FLT_EPSILON));
  assert.ok(Math.abs(logEnergy(Float64Array.from([3, 4]), 0, 2) - Math.log(25)) < 1e-15);
});

test('processFrame equals DC removal → raw energy → pre-emphasis → window', () => {
  const rng = new Rng(9);
  const w = makeWindow('povey', 400);
  const a = new Float64Array(400).map(() => 1000 * rng.normal() + 300);
  const b = Float64Array.from(a);
  const e1 = processFrame(a, 0, w, true, 0.97);
  removeDcOffset(b, 0, 400);
  const e2 = logEnergy(b, 0, 400);
  preemphasize(b, 0, 400, 0.97);
  applyWindow(b, 0, w);
  assert.ok(Math.abs(e1 - e2) < 1e-12);
  for (let i = 0; i < 400; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-9, `sample ${i}`);
});

test('windows match Kaldi formulas', () => {
  const n = 400, a = (2 * Math.PI) / (n - 1);
  const checks: [Parameters<typeof makeWindow>[0], (i: number) => number][] = [
    ['hanning', (i) => 0.5 - 0.5 * Math.cos(a * i)],
    ['hamming', (i) => 0.54 - 0.46 * Math.cos(a * i)],
    ['povey', (i) => (0.5 - 0.5 * Math.cos(a * i)) ** 0.85],
    ['rectangular', () => 1],
    ['blackman', (i) => 0.42 - 0.5 * Math.cos(a * i) + 0.08 * Math.cos(2 * a * i)],
  ];
  for (const [t, f] of checks) {
    const w = makeWindow(t, n);
    for (const i of [0, 1, 57, 199, 200, 399]) assert.ok(Math.abs(w[i] - f(i)) < 1e-12, `${t}[${i}]`);
  }
  assert.ok(Math.abs(makeWindow('hamming', n)[0] - 0.08) < 1e-12);
});

test('dither is seeded: same seed same features, other seed different, dither 0 deterministic', () => {
  const rng = new Rng(1);
  const x = new Float32Array(8000).map(() => 0.01 * rng.normal());
  const a = computeMfcc(x, { dither: 1, seed: 5 });
  const b = computeMfcc(x, { dither: 1, seed: 5 });
  const c = computeMfcc(x, { dither: 1, seed: 6 });
  const d = computeMfcc(x, { dither: 0 });
  assert.deepEqual(a.data, b.data);
  assert.notDeepEqual(a.data, c.data);
  assert.notDeepEqual(a.data, d.data);
  const f1 = new Float64Array(1000);
  dither(f1, 0, 1000, 2, new Rng(4));
  let s = 0, s2 = 0;
  for (const v of f1) { s += v; s2 += v * v; }
  assert.ok(Math.abs(s / 1000) < 0.3 && Math.abs(Math.sqrt(s2 / 1000) - 2) < 0.3, 'dither is N(0, dither²)');
});

test('options: Kaldi names and defaults, camelCase and string values accepted, bad values rejected', () => {
  const o = resolveOptions(MFCC_DEFAULTS, { numCeps: '20', 'snip-edges': 'false', 'num-mel-bins': 40, 'window-type': 'hamming' });
  assert.equal(o['num-ceps'], 20);
  assert.equal(o['snip-edges'], false);
  assert.equal(o['frame-length'], 25);
  assert.equal(o.dither, 0);
  assert.deepEqual(frameGeometry(o), { windowSize: 400, windowShift: 160, paddedSize: 512 });
  assert.deepEqual(frameGeometry({ ...o, 'round-to-power-of-two': false }).paddedSize, 400);
  assert.throws(() => resolveOptions(MFCC_DEFAULTS, { 'no-such': 1 }), ConfigError);
  assert.throws(() => resolveOptions(MFCC_DEFAULTS, { 'window-type': 'kaiser' }), ConfigError);
  assert.throws(() => resolveOptions(MFCC_DEFAULTS, { 'num-ceps': 30 }), ConfigError);
  assert.throws(() => resolveOptions(MFCC_DEFAULTS, { 'frame-length': 'abc' }), ConfigError);
});

test('the single-pass fast path equals the step-by-step Kaldi path', () => {
  const rng = new Rng(21);
  // a DC offset and a quiet stretch exercise the folded DC removal and the energy formula
  const x = new Float32Array(12000).map((_, i) => (i < 3000 ? 0.001 : 0.3 * Math.sin(i / 7) + 0.05 * rng.normal()) + 0.1);
  const fast = computeMfcc(x, {}); // raw-energy → fast path
  const slow = computeMfcc(x, { 'raw-energy': false }); // raw-energy false → step-by-step path
  const fastE = computeMfcc(x, { 'use-energy': true });
  for (let i = 0; i < fast.data.length; i++) assert.ok(Math.abs(fast.data[i] - slow.data[i]) < 1e-3, `coef ${i}: ${fast.data[i]} vs ${slow.data[i]}`);
  // raw log-energy of frame 0 (constant 0.001+0.1 after DC removal = 0 → FLT_EPSILON floor)
  assert.ok(Math.abs(fastE.data[0] - Math.log(FLT_EPSILON)) < 1e-6);
  const frame = new Float64Array(400);
  extractFrame(x, 50, 400, 160, true, 32768, frame, 0);
  removeDcOffset(frame, 0, 400);
  assert.ok(Math.abs(fastE.data[50 * 13] - logEnergy(frame, 0, 400)) < 1e-4);
});
