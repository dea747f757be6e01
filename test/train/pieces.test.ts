import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lrAt } from '../../src/train/schedule.ts';
import { averageWeights } from '../../src/engine/averaging.ts';
import { augmentFeatures, maskFreq, maskTime, timeShift } from '../../src/train/augment.ts';
import { checkpointDir, listCheckpoints, loadCheckpoint, pruneCheckpoints, saveCheckpoint } from '../../src/train/checkpoint.ts';
import { Rng } from '../../src/util/rng.ts';

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('LR schedule: linear warmup, cosine and exponential decay', () => {
  const s = { lr: 1, warmupSteps: 4, totalSteps: 14, decay: 'cosine' as const, minRatio: 0.1 };
  assert.deepEqual([0, 1, 2, 3].map((k) => lrAt(k, s)), [0.25, 0.5, 0.75, 1]);
  close(lrAt(4, s), 1);
  close(lrAt(9, s), 0.1 + 0.9 * 0.5); // halfway: cos(π/2) = 0
  close(lrAt(14, s), 0.1);
  close(lrAt(100, s), 0.1);
  const e = { ...s, decay: 'exponential' as const };
  close(lrAt(9, e), Math.sqrt(0.1));
  close(lrAt(14, e), 0.1);
  close(lrAt(9, { ...s, decay: 'constant' as const }), 1);
});

test('checkpoint averaging is the element-wise mean (BN stats included)', () => {
  const a = new Map([['w', Float32Array.of(1, 2)], ['bn.running_var', Float32Array.of(1)]]);
  const b = new Map([['w', Float32Array.of(3, 6)], ['bn.running_var', Float32Array.of(2)]]);
  const c = new Map([['w', Float32Array.of(2, 1)], ['bn.running_var', Float32Array.of(6)]]);
  const avg = averageWeights([a, b, c]);
  assert.deepEqual(Array.from(avg.get('w')!), [2, 3]);
  assert.deepEqual(Array.from(avg.get('bn.running_var')!), [3]);
  assert.throws(() => averageWeights([a, new Map([['w', Float32Array.of(1)]])]));
});

test('feature augmentation: shift, masks, layouts', () => {
  // T=3, F=2, [T, F] layout
  const x = Float32Array.of(1, 2, 3, 4, 5, 6);
  assert.deepEqual(Array.from(timeShift(x, 'B1TF', 3, 2, 1)), [0, 0, 1, 2, 3, 4]);
  assert.deepEqual(Array.from(timeShift(x, 'BTF', 3, 2, -1)), [3, 4, 5, 6, 0, 0]);
  // [F, T] layout: rows are bins
  const y = Float32Array.of(1, 2, 3, 4, 5, 6);
  assert.deepEqual(Array.from(timeShift(y, 'BFT', 3, 2, 1)), [0, 1, 2, 0, 4, 5]);
  const z = x.slice();
  maskTime(z, 'B1TF', 3, 2, 1, 1);
  assert.deepEqual(Array.from(z), [1, 2, 0, 0, 5, 6]);
  const w = y.slice();
  maskFreq(w, 'BFT', 3, 2, 1, 5);
  assert.deepEqual(Array.from(w), [1, 2, 3, 0, 0, 0]);
  // masks never exceed their maximum width; the input is not modified
  const big = new Float32Array(98 * 40).fill(1);
  const rng = new Rng(5);
  for (let k = 0; k < 20; k++) {
    const a = augmentFeatures(big, 'B1TF', 98, 40, { timeMasks: 1, timeMaskMax: 10, freqMasks: 1, freqMaskMax: 8, maxShift: 0 }, rng);
    const zeros = a.reduce((s, v) => s + (v === 0 ? 1 : 0), 0);
    assert.ok(zeros <= 10 * 40 + 8 * 98);
  }
  assert.ok(big.every((v) => v === 1));
});

test('checkpoint save/load round trip and pruning', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-ckpt-'));
  try {
    const rng = new Rng(9);
    rng.normal();
    const c = {
      step: 20,
      epoch: 2,
      weights: new Map([['w', Float32Array.of(1.5, -2)], ['bn.running_mean', Float32Array.of(0.25)]]),
      adam: { t: 20, m: new Map([['w', Float32Array.of(0.1, 0.2)]]), v: new Map([['w', Float32Array.of(0.01, 0.02)]]) },
      rng: rng.getState(),
      info: { bestDevAcc: 0.5 },
    };
    saveCheckpoint(checkpointDir(tmp, 20), c);
    saveCheckpoint(checkpointDir(tmp, 10), { ...c, step: 10 });
    saveCheckpoint(checkpointDir(tmp, 30), { ...c, step: 30 });
    assert.deepEqual(listCheckpoints(tmp), [10, 20, 30]);
    const d = loadCheckpoint(checkpointDir(tmp, 20));
    assert.deepEqual(d, c);
    const r2 = new Rng(0);
    r2.setState(d.rng);
    assert.equal(r2.normal(), rng.normal());
    pruneCheckpoints(tmp, 2);
    assert.deepEqual(listCheckpoints(tmp), [20, 30]);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
