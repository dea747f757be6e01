import { test } from 'node:test';
import assert from 'node:assert/strict';
import { balancedLabels, classQuotas } from '../../src/adapt/methods/pseudo-label.ts';

test('classQuotas: round(fraction · n · π_c), at least one per class with mass when there is room', () => {
  assert.deepEqual(classQuotas(100, 0.5, [0.5, 0.3, 0.2]), [25, 15, 10]);
  assert.deepEqual(classQuotas(10, 0.5, [0.98, 0.01, 0.01]), [5, 1, 1]);
  assert.deepEqual(classQuotas(2, 0.5, [0.5, 0.5, 0]), [1, 1, 0]);
});

test('balancedLabels: one confident class cannot take every example; quotas hold, each row at most once', () => {
  // 6 rows, 2 classes; class 0 is the most probable for every row
  const p = [0.9, 0.1, 0.8, 0.2, 0.7, 0.3, 0.6, 0.4, 0.55, 0.45, 0.51, 0.49];
  const r = balancedLabels(p, 6, 2, [2, 2]);
  assert.deepEqual(r.idx, [0, 1, 4, 5]);
  // rows 0, 1 are class 0's most confident; class 1 gets its most probable rows among the rest
  assert.deepEqual(r.y, [0, 0, 1, 1]);
  // quotas larger than the set: every row labeled once, argmax where quotas allow
  const all = balancedLabels(p, 6, 2, [6, 6]);
  assert.deepEqual(all.idx, [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(all.y, [0, 0, 0, 0, 0, 0]);
});
