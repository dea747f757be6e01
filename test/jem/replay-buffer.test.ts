import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ReplayBuffer } from '../../src/jem/replay-buffer.ts';
import { drawInit, fitClassGaussians, fitUniformInit } from '../../src/jem/buffer-init.ts';
import { Rng } from '../../src/util/rng.ts';

function gaussRows(n: number, dim: number, mean: number[], std: number[], rng: Rng): Float32Array {
  const a = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) a[i * dim + d] = mean[d] + std[d] * rng.normal();
  return a;
}

test('uniform init spans ±k·σ per dimension', () => {
  const rows = gaussRows(2000, 2, [0, 5], [1, 3], new Rng(1));
  const init = fitUniformInit(rows, 2, 3);
  assert.ok(Math.abs(init.std[1] - 3) < 0.15);
  const out = new Float32Array(2);
  const rng = new Rng(2);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < 5000; i++) {
    drawInit(init, out, rng);
    lo = Math.min(lo, out[1]);
    hi = Math.max(hi, out[1]);
  }
  assert.ok(hi <= init.mean[1] + 3 * init.std[1] + 1e-5 && hi > init.mean[1] + 2.9 * init.std[1], `hi ${hi}`);
  assert.ok(lo >= init.mean[1] - 3 * init.std[1] - 1e-5 && lo < init.mean[1] - 2.9 * init.std[1], `lo ${lo}`);
});

test('class-conditional Gaussians (diag and low rank) reproduce class means and variances', () => {
  const rng = new Rng(3);
  const a = gaussRows(1500, 3, [2, 0, -1], [1, 0.5, 2], rng);
  const b = gaussRows(1500, 3, [-2, 1, 0], [0.3, 1, 1], rng);
  const rows = new Float32Array(3000 * 3);
  rows.set(a);
  rows.set(b, a.length);
  const labels = new Int32Array(3000);
  labels.fill(1, 1500);
  for (const rank of [0, 1]) {
    const init = fitClassGaussians(rows, labels, 3, 2, rank, new Rng(4));
    assert.ok(Math.abs(init.prior[0] - 0.5) < 1e-6);
    const out = new Float32Array(3);
    const m = [0, 0, 0];
    const q = [0, 0, 0];
    const n = 4000;
    for (let i = 0; i < n; i++) {
      drawInit(init, out, rng, 1);
      for (let d = 0; d < 3; d++) {
        m[d] += out[d] / n;
        q[d] += (out[d] * out[d]) / n;
      }
    }
    const want = [-2, 1, 0];
    const wantStd = [0.3, 1, 1];
    for (let d = 0; d < 3; d++) {
      assert.ok(Math.abs(m[d] - want[d]) < 0.1, `rank ${rank} mean[${d}] ${m[d]}`);
      const sd = Math.sqrt(q[d] - m[d] * m[d]);
      assert.ok(Math.abs(sd - wantStd[d]) < 0.1 * wantStd[d] + 0.02, `rank ${rank} std[${d}] ${sd}`);
    }
  }
});

test('reinit fraction matches the probability; chains restart at 0; interpolation with real data', () => {
  const init = { kind: 'uniform' as const, k: 1, mean: new Float32Array(4), std: new Float32Array(4).fill(1) };
  const buf = new ReplayBuffer({ size: 100, dim: 4, reinitProb: 0.2, init }, 11);
  buf.chainSteps.fill(7);
  let reinit = 0;
  let zeros = 0;
  const n = 20000;
  for (let i = 0; i < n / 50; i++) {
    const d = buf.draw(50);
    for (let b = 0; b < 50; b++) {
      reinit += d.reinit[b];
      if (d.chainSteps[b] === 0) zeros++;
    }
  }
  assert.ok(Math.abs(reinit / n - 0.2) < 0.015, `reinit fraction ${reinit / n}`);
  assert.equal(zeros, reinit);
  assert.ok(Math.abs(buf.stats().reinitFraction - reinit / n) < 1e-12);
  // Interpolation: with mix → 1 and a point-mass real row, fresh samples lie on the segment.
  const real = Float32Array.from([10, 10, 10, 10]);
  const all = new ReplayBuffer({ size: 10, dim: 4, reinitProb: 1, init }, 12);
  const d = all.draw(200, { real, mix: 1 });
  let meanv = 0;
  for (const v of d.x) meanv += v / d.x.length;
  assert.ok(Math.abs(meanv - 5) < 0.5, `mean of interpolated fresh samples ${meanv} (expected ~5)`);
});

test('class-partitioned buffer draws from the class segment', () => {
  const init = { kind: 'uniform' as const, k: 1, mean: new Float32Array(2), std: new Float32Array(2).fill(1) };
  const buf = new ReplayBuffer({ size: 30, dim: 2, reinitProb: 0, init, classPartitioned: true, numClasses: 3 }, 5);
  const d = buf.draw(100, { classes: new Int32Array(100).fill(2) });
  for (const s of d.slots) assert.ok(s >= 20 && s < 30);
  assert.equal(buf.slotClass(25), 2);
});

test('save/restore round trip keeps samples, chain counts and the rng stream', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-buf-'));
  try {
    const rows = gaussRows(50, 3, [0, 0, 0], [1, 1, 1], new Rng(1));
    const init = fitClassGaussians(rows, new Int32Array(50).map((_, i) => i % 2), 3, 2, 1, new Rng(2));
    const buf = new ReplayBuffer({ size: 20, dim: 3, reinitProb: 0.3, init }, 9);
    const d = buf.draw(5);
    buf.update(d.slots, d.x.map((v) => v + 1), d.chainSteps.map((c) => c + 5));
    buf.save(dir);
    const back = ReplayBuffer.load(dir);
    assert.deepEqual(back.data, buf.data);
    assert.deepEqual(back.chainSteps, buf.chainSteps);
    const a = buf.draw(8, { real: rows, mix: 0.5 });
    const b = back.draw(8, { real: rows, mix: 0.5 });
    assert.deepEqual(b.x, a.x);
    assert.deepEqual(b.slots, a.slots);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('fresh chains mix with real data: first draws of never-sampled slots and re-initialised ones; continued chains are returned as stored', () => {
  const dim = 3;
  const init = fitUniformInit(gaussRows(500, dim, [0, 0, 0], [1, 1, 1], new Rng(4)), dim, 3);
  const buf = new ReplayBuffer({ size: 8, dim, reinitProb: 0, init }, 5);
  const stored = Float32Array.from(buf.data);
  const real = new Float32Array(4 * dim).fill(10);
  const d1 = buf.draw(6, { real, mix: 1 });
  for (let b = 0; b < 6; b++) {
    const s = d1.slots[b];
    // x = (1 − m)·init + m·10 with one m per sample: every coordinate on that segment, same m.
    const ms = [0, 1, 2].map((k) => (d1.x[b * dim + k] - stored[s * dim + k]) / (10 - stored[s * dim + k]));
    assert.ok(ms.every((m) => m >= -1e-5 && m <= 1 + 1e-5 && Math.abs(m - ms[0]) < 1e-4), `slot ${s}: m ${ms}`);
    assert.equal(d1.reinit[b], 0);
  }
  // Chains that ran (chain count > 0) come back exactly as written, mixing or not.
  const ran = Float32Array.from({ length: 6 * dim }, (_, i) => -i);
  buf.update(d1.slots, ran, new Float32Array(6).fill(3));
  const d2 = buf.draw(8, { real, mix: 1 });
  for (let b = 0; b < 8; b++) {
    const s = d2.slots[b];
    if (buf.chainSteps[s] > 0) assert.deepEqual(Array.from(d2.x.subarray(b * dim, (b + 1) * dim)), Array.from(buf.data.subarray(s * dim, (s + 1) * dim)));
  }
  // Without mixing a never-sampled slot is its stored initial draw.
  const plain = new ReplayBuffer({ size: 8, dim, reinitProb: 0, init }, 5);
  const d3 = plain.draw(4);
  for (let b = 0; b < 4; b++) assert.deepEqual(Array.from(d3.x.subarray(b * dim, (b + 1) * dim)), Array.from(plain.data.subarray(d3.slots[b] * dim, (d3.slots[b] + 1) * dim)));
});
