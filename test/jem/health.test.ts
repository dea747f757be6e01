import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GapMonitor, gradCosine, gradNorm, gradSum, nextStepSize, rmsDisplacement, termGradMetrics } from '../../src/jem/health.ts';

const g = (o: Record<string, number[]>) => new Map(Object.entries(o).map(([k, v]) => [k, Float32Array.from(v)]));

test('gradient norms, cosines and sums over named parameters', () => {
  const a = g({ w: [3, 0], b: [4] });
  const b = g({ w: [0, 2] });
  assert.equal(gradNorm(a), 5);
  assert.equal(gradNorm(a, new Set(['w'])), 3);
  assert.equal(gradCosine(a, b), 0); // orthogonal
  assert.ok(Math.abs(gradCosine(a, g({ w: [-6, 0], b: [-8] })) + 1) < 1e-12); // opposite
  assert.ok(Number.isNaN(gradCosine(a, g({ w: [0, 0] }))));
  assert.deepEqual([...gradSum(a, b).get('w')!], [3, 2]);
  const m = termGradMetrics({ xent: a, ebm: b }, { ebm: new Set(['b']) });
  assert.equal(m['gradNorm.xent'], 5);
  assert.equal(m['gradNormTrained.xent'], 5);
  assert.equal(m['gradNorm.ebm'], 2);
  assert.equal(m['gradNormTrained.ebm'], 0);
  assert.equal(m['cos.xent.ebm'], 0);
});

test('rmsDisplacement: RMS of the change per value', () => {
  assert.equal(rmsDisplacement(Float32Array.from([0, 0, 0, 0]), Float32Array.from([1, -1, 1, -1])), 1);
  assert.throws(() => rmsDisplacement(new Float32Array(2), new Float32Array(3)), RangeError);
});

test('GapMonitor warns once, after `patience` consecutive updates below −threshold', () => {
  const m = new GapMonitor({ threshold: 5, patience: 3 });
  assert.equal(m.add(1, -6), null);
  assert.equal(m.add(2, -6), null);
  assert.equal(m.add(3, -1), null); // the run is broken
  assert.equal(m.add(4, -7), null);
  assert.equal(m.add(5, -8), null);
  assert.match(m.add(6, -9) ?? '', /below the data for 3 updates.*-9\.0 at step 6/);
  assert.equal(m.add(7, -20), null); // only once
  assert.deepEqual(m.summary(), { first: -6, last: -20, min: -20, below: 6, n: 7 });
  assert.equal(new GapMonitor().summary(), null);
});

test('gap control: the step size shrinks while samples end below the target gap, grows above it, within bounds', () => {
  const o = { target: -2, rate: 2, min: 0.01, max: 4 };
  assert.equal(nextStepSize(1, -5, o), 0.5);
  assert.equal(nextStepSize(1, -1, o), 2);
  assert.equal(nextStepSize(0.015, -5, o), 0.01);
  assert.equal(nextStepSize(3, 0, o), 4);
  assert.equal(nextStepSize(1, -5, { ...o, rate: 0 }), 1); // off
});
