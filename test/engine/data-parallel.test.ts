/**
 * Data parallelism over worker threads (src/engine/ort-workers.ts, data-parallel.ts): eval-mode
 * calls split into row blocks give what one in-process run gives (logits, energies and ∂E/∂x per
 * row; parameter gradients summed to float32 rounding), weights set on the main thread reach the
 * workers before their next call, train-mode calls run whole in-process (batch statistics), and a
 * worker's error reaches the caller as an error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, defaultFrontEnd } from '../../src/model/builders/index.ts';
import { VjpOrt } from '../../src/model/vjp-ort.ts';
import { EnergyGradOrt } from '../../src/model/energy-grad-ort.ts';
import { OrtWorkerPool, buffersOf, rowBlocks } from '../../src/engine/ort-workers.ts';
import { DataParallelEnergyGrad, DataParallelEngine } from '../../src/engine/data-parallel.ts';
import { Rng } from '../../src/util/rng.ts';

const fe = defaultFrontEnd('B1TF', { featDim: 12, numFrames: 16 });
const proto = buildModel('kws-cnn', { channels: [4, 8] }, fe, ['a', 'b', 'c', 'd', 'e'], 3);
const EX = [1, 16, 12];
const PER = 16 * 12;
const K = 5;

function close(a: Float32Array, b: Float32Array, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  let scale = 0;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i] - b[i]) <= tol * Math.max(scale, 1e-6), `${what}[${i}]: ${a[i]} vs ${b[i]} (scale ${scale})`);
  }
}

/** Weights moved away from the initial ones, BatchNorm running statistics included. */
function moved(w: Map<string, Float32Array>, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  return new Map(
    [...w].map(([k, a]) => {
      const b = Float32Array.from(a);
      for (let i = 0; i < b.length; i++) b[i] = /var/.test(k) ? 0.5 + rng.uniform() : b[i] + 0.2 * rng.normal();
      return [k, b];
    }),
  );
}

test('rowBlocks splits a batch into near-equal, non-empty blocks', () => {
  assert.deepEqual(rowBlocks(32, 2), [16, 16]);
  assert.deepEqual(rowBlocks(33, 4), [9, 8, 8, 8]);
  assert.deepEqual(rowBlocks(3, 4), [1, 1, 1]);
  assert.equal(rowBlocks(97, 3).reduce((a, b) => a + b, 0), 97);
});

test('eval-mode VJPs, forwards and ∂E/∂x over 3 workers equal one in-process run; new weights reach the workers', async () => {
  const local = await VjpOrt.create(proto, { logitsName: 'logits', trainable: 'all', bnMode: 'eval', threads: 1, exampleShape: EX });
  const ref = await VjpOrt.create(proto, { logitsName: 'logits', trainable: 'all', bnMode: 'eval', threads: 1, exampleShape: EX });
  const egRef = await EnergyGradOrt.create(proto, { logitsName: 'logits', exampleShape: EX, threads: 1 });
  const pool = await OrtWorkerPool.create(proto, 3, { vjp: { logitsName: 'logits', trainable: 'all', exampleShape: EX }, energy: { logitsName: 'logits', exampleShape: EX } });
  try {
    const dp = new DataParallelEngine(local, pool, 'eval');
    const eg = new DataParallelEnergyGrad(pool, EX);
    const rng = new Rng(5);
    const B = 11;
    const x = rng.fillNormal(new Float32Array(B * PER));
    const g = rng.fillNormal(new Float32Array(B * K));
    for (const seed of [1, 2]) {
      // the weights change between calls: the workers must score with the new ones
      const w = moved(ref.getWeights(), seed);
      ref.setWeights(w);
      egRef.setWeights(w);
      dp.setWeights(w);
      eg.setWeights(w);
      close(await dp.forward(x, B), await ref.forward(x, B), 1e-5, 'logits');
      const a = await dp.vjp(x, B, g);
      const b = await ref.vjp(x, B, g);
      close(a.logits, b.logits, 1e-5, 'vjp logits');
      assert.deepEqual([...a.grads.keys()].sort(), [...b.grads.keys()].sort());
      for (const [k, v] of b.grads) close(a.grads.get(k)!, v, 1e-4, `grad ${k}`);
      const coef = Float32Array.from({ length: B }, (_, i) => (i % 3) / B);
      const target = new Float32Array(B * K).map((_, i) => (i % 7 === 0 ? 1 / B : 0));
      const c = await dp.vjpSoftmax(x, B, coef, target, { gradFor: new Set([...b.grads.keys()].filter((n) => /bn/.test(n))) });
      const d = await ref.vjpSoftmax(x, B, coef, target, { gradFor: new Set([...b.grads.keys()].filter((n) => /bn/.test(n))) });
      assert.ok(c.grads.size > 0 && c.grads.size < b.grads.size, 'gradFor reaches the workers');
      for (const [k, v] of d.grads) close(c.grads.get(k)!, v, 1e-4, `softmax-head grad ${k}`);
      const e = await eg.energyAndGrad(x, B);
      const f = await egRef.energyAndGrad(x, B);
      close(e.energy, f.energy, 1e-5, 'energy');
      close(e.grad, f.grad, 1e-5, '∂E/∂x');
    }
  } finally {
    await pool.dispose();
    await ref.dispose();
    await local.dispose();
    await egRef.dispose();
  }
});

test('train-mode calls run whole in-process (batch statistics of the whole batch); a worker error reaches the caller', async () => {
  const local = await VjpOrt.create(proto, { logitsName: 'logits', trainable: 'all', bnMode: 'train', threads: 1, exampleShape: EX });
  const ref = await VjpOrt.create(proto, { logitsName: 'logits', trainable: 'all', bnMode: 'train', threads: 1, exampleShape: EX });
  const pool = await OrtWorkerPool.create(proto, 2, { vjp: { logitsName: 'logits', trainable: 'all', exampleShape: EX } });
  try {
    const dp = new DataParallelEngine(local, pool, 'train');
    const rng = new Rng(9);
    const B = 8;
    const x = rng.fillNormal(new Float32Array(B * PER));
    const g = rng.fillNormal(new Float32Array(B * K));
    const a = await dp.vjp(x, B, g);
    const b = await ref.vjp(x, B, g);
    assert.ok(a.bnStats && a.bnStats.size > 0, 'batch statistics of the in-process train-mode pass');
    for (const [k, v] of b.grads) close(a.grads.get(k)!, v, 1e-6, `train-mode grad ${k}`);
    // an eval-mode call with a wrongly sized input fails in the worker and rejects here
    await assert.rejects(dp.vjp(x.subarray(0, B * PER - 1), B, g, { bnMode: 'eval' }), /values|batch|shape/);
  } finally {
    await pool.dispose();
    await ref.dispose();
    await local.dispose();
  }
});

test('calls move their row-block copies to the workers: the caller keeps its arrays, and views into larger buffers are copied, never moved', async () => {
  const whole = new Float32Array(8);
  const view = new Float32Array(new ArrayBuffer(64), 16, 4);
  assert.deepEqual(buffersOf(whole, view, whole, 3, 'a', undefined, new Float64Array(2)), [whole.buffer]);
  const pool = await OrtWorkerPool.create(proto, 2, { energy: { logitsName: 'logits', exampleShape: EX } });
  try {
    const eg = new DataParallelEnergyGrad(pool, EX);
    const x = new Rng(2).fillNormal(new Float32Array(5 * PER));
    const copy = Float32Array.from(x);
    const a = await eg.energyAndGrad(x, 5);
    const b = await eg.energyAndGrad(x, 5);
    assert.equal(x.length, 5 * PER, "the caller's array is not detached");
    assert.deepEqual(x, copy);
    assert.deepEqual(a, b);
    assert.equal(a.grad.length, 5 * PER);
  } finally {
    await pool.dispose();
  }
});
