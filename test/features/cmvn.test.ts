import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accumulate, applyCmvn, cmvnStats, emptyCmvnStats, perUttCmvn, statsFromMatrix, statsToMatrix } from '../../src/features/cmvn.ts';
import { fitToFrames } from '../../src/features/fit-frames.ts';
import { makeMatrix } from '../../src/data/matrix.ts';
import { spliceFrames } from '../../src/features/splice.ts';
import { FeatureError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';

const m = makeMatrix(3, 2, Float32Array.from([1, 10, 2, 20, 3, 60]));

test('cmvn stats use Kaldi 2×(D+1) layout', () => {
  const s = cmvnStats(m);
  assert.deepEqual([...s], [6, 90, 3, 1 + 4 + 9, 100 + 400 + 3600, 0]);
  const acc = accumulate(accumulate(emptyCmvnStats(2), m), m);
  assert.deepEqual([...acc], [12, 180, 6, 28, 8200, 0]);
  assert.deepEqual([...statsFromMatrix(statsToMatrix(s))], [...s]);
  assert.throws(() => accumulate(emptyCmvnStats(3), m), FeatureError);
});

test('applied CMVN gives mean 0 and variance 1 per dimension', () => {
  const rng = new Rng(2);
  const x = makeMatrix(500, 4, new Float32Array(2000).map((_, i) => 5 + (1 + (i % 4)) * 3 * rng.normal() + (i % 4)));
  for (const [y, normVars] of [[applyCmvn(x, cmvnStats(x), { normVars: true }), true], [perUttCmvn(x, false), false]] as const) {
    for (let j = 0; j < 4; j++) {
      let s = 0, s2 = 0, o2 = 0, om = 0;
      for (let t = 0; t < 500; t++) {
        s += y.data[t * 4 + j];
        s2 += y.data[t * 4 + j] ** 2;
        om += x.data[t * 4 + j];
        o2 += x.data[t * 4 + j] ** 2;
      }
      assert.ok(Math.abs(s / 500) < 1e-4, `mean dim ${j}`);
      const origVar = o2 / 500 - (om / 500) ** 2;
      assert.ok(Math.abs(s2 / 500 - (normVars ? 1 : origVar)) < 1e-3 * (normVars ? 1 : origVar), `var dim ${j}`);
    }
  }
  assert.equal(perUttCmvn(makeMatrix(0, 4), true).rows, 0);
});

test('spliceFrames concatenates context with repeated edges', () => {
  const s = spliceFrames(m, 1, 1);
  assert.deepEqual([s.rows, s.cols], [3, 6]);
  assert.deepEqual([...s.data.subarray(0, 6)], [1, 10, 1, 10, 2, 20]);
  assert.deepEqual([...s.data.subarray(12, 18)], [2, 20, 3, 60, 3, 60]);
});

test('fitToFrames: zero / edge / center', () => {
  assert.deepEqual([...fitToFrames(m, 5, 'zero').data], [1, 10, 2, 20, 3, 60, 0, 0, 0, 0]);
  assert.deepEqual([...fitToFrames(m, 5, 'edge').data], [1, 10, 2, 20, 3, 60, 3, 60, 3, 60]);
  assert.deepEqual([...fitToFrames(m, 6, 'center').data], [0, 0, 1, 10, 2, 20, 3, 60, 0, 0, 0, 0]);
  assert.deepEqual([...fitToFrames(m, 2, 'zero').data], [1, 10, 2, 20]);
  assert.deepEqual([...fitToFrames(m, 1, 'center').data], [2, 20]);
  assert.deepEqual([...fitToFrames(m, 2, 'center').data], [1, 10, 2, 20]);
  assert.equal(fitToFrames(m, 3, 'edge'), m);
});
