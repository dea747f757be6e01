import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logSumExp } from '../../src/util/logsumexp.ts';

test('logSumExp: analytic values, shift invariance, no overflow, and the edge segments', () => {
  assert.ok(Math.abs(logSumExp([0, 0, 0, 0]) - Math.log(4)) < 1e-15);
  assert.ok(Math.abs(logSumExp([Math.log(1), Math.log(2), Math.log(3)]) - Math.log(6)) < 1e-15);
  // a row of a row-major matrix: offset and length
  const m = [9, 9, 1, 2, 9];
  assert.ok(Math.abs(logSumExp(m, 2, 2) - Math.log(Math.exp(1) + Math.exp(2))) < 1e-15);
  // logits far beyond exp's range: lse(v + c) = lse(v) + c
  assert.ok(Math.abs(logSumExp([1000, 1000]) - (1000 + Math.log(2))) < 1e-12);
  assert.ok(Math.abs(logSumExp([-1000, -1001]) - (-1000 + Math.log1p(Math.exp(-1)))) < 1e-12);
  assert.equal(logSumExp([-Infinity, -Infinity]), -Infinity);
  assert.equal(logSumExp([-Infinity, 3]), 3);
  assert.equal(logSumExp([Infinity, 3]), Infinity);
  assert.ok(Number.isNaN(logSumExp([1, NaN, 2])));
  assert.equal(logSumExp([]), -Infinity);
});
