import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.ts';
import { placeInWindow, silenceClip, trimSilence, wordClip } from '../../src/corpus/clip.ts';
import { rms } from '../../src/audio/effects/noise.ts';

test('trimSilence keeps the loud part plus a margin', () => {
  const x = new Float32Array(16000);
  for (let i = 5000; i < 9000; i++) x[i] = 0.5 * Math.sin(i / 5);
  const y = trimSilence(x, 16000, -40, 20);
  // frames of 160 samples: 5000..9000 → frames 31..56, margin 320
  assert.equal(y.length, (57 - 31) * 160 + 2 * 320);
  assert.equal(trimSilence(new Float32Array(100), 16000).length, 0);
});

test('placeInWindow: short input lands whole at a seeded offset; long input is cropped', () => {
  const w = new Float32Array(500).fill(1);
  const a = placeInWindow(w, 1000, new Rng(3));
  assert.equal(a.length, 1000);
  assert.equal(a.reduce((s, v) => s + v, 0), 500);
  assert.deepEqual(placeInWindow(w, 1000, new Rng(3)), a);
  const long = new Float32Array(3000).map((_, i) => i);
  const b = placeInWindow(long, 1000, new Rng(4));
  assert.equal(b.length, 1000);
  assert.equal(b[999] - b[0], 999);
});

test('wordClip gives a 16000-sample clip with peak ~0.5 and a faint floor; silenceClip has the asked level', () => {
  const x = new Float32Array(22050 * 0.5);
  for (let i = 0; i < x.length; i++) x[i] = 0.3 * Math.sin(i / 3) * Math.sin((Math.PI * i) / x.length);
  const c = wordClip(x, 22050, new Rng(1));
  assert.equal(c.length, 16000);
  let p = 0;
  for (const v of c) p = Math.max(p, Math.abs(v));
  assert.ok(Math.abs(p - 0.5) < 0.01);
  const s = silenceClip(new Rng(2), 16000, -40);
  assert.ok(Math.abs(20 * Math.log10(rms(s)) + 40) < 1e-3);
});
