/** Every op of the gradient-rule table has a finite-difference test of its own here, and the table holds every family's rules. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RULES } from '../../../src/model/gradgraph/rules/index.ts';
import { SHAPE_RULES } from '../../../src/model/gradgraph/rules/shape.ts';
import { NONDIFF_RULES } from '../../../src/model/gradgraph/rules/nondiff.ts';
import { ACTIVATION_RULES } from '../../../src/model/gradgraph/rules/activation.ts';
import { ELEMENTWISE_RULES } from '../../../src/model/gradgraph/rules/elementwise.ts';
import { LINALG_RULES } from '../../../src/model/gradgraph/rules/linalg.ts';
import { CONV_RULES } from '../../../src/model/gradgraph/rules/conv.ts';
import { POOL_RULES } from '../../../src/model/gradgraph/rules/pool.ts';
import { NORM_RULES } from '../../../src/model/gradgraph/rules/norm.ts';
import { REDUCE_RULES } from '../../../src/model/gradgraph/rules/reduce.ts';
import { SOFTMAX_RULES } from '../../../src/model/gradgraph/rules/softmax.ts';

const FAMILIES = {
  shape: SHAPE_RULES,
  nondiff: NONDIFF_RULES,
  activation: ACTIVATION_RULES,
  elementwise: ELEMENTWISE_RULES,
  linalg: LINALG_RULES,
  conv: CONV_RULES,
  pool: POOL_RULES,
  norm: NORM_RULES,
  reduce: REDUCE_RULES,
  softmax: SOFTMAX_RULES,
};

test('RULES is exactly the union of the family tables (no op lost or duplicated)', () => {
  const seen = new Map<string, string>();
  for (const [fam, rules] of Object.entries(FAMILIES)) {
    for (const [op, r] of Object.entries(rules)) {
      assert.ok(!seen.has(op), `${op} in both ${seen.get(op)} and ${fam}`);
      seen.set(op, fam);
      assert.equal(RULES[op], r, `RULES.${op} is not the ${fam} rule`);
    }
  }
  assert.deepEqual(Object.keys(RULES).sort(), [...seen.keys()].sort());
});

test('every op of RULES has a test in the test file of its family', () => {
  const dir = path.dirname(fileURLToPath(import.meta.url));
  for (const [fam, rules] of Object.entries(FAMILIES)) {
    const src = fs.readFileSync(path.join(dir, `${fam}.test.ts`), 'utf8');
    const tested = new Set<string>();
    // opTest('Op', ...) calls, and loops `for (const op of ['A', 'B'] as const) { opTest(op, ...`.
    for (const m of src.matchAll(/opTest\(\s*'(\w+)'/g)) tested.add(m[1]);
    for (const m of src.matchAll(/for \(const op of \[([^\]]*)\] as const\)/g)) for (const q of m[1].matchAll(/'(\w+)'/g)) tested.add(q[1]);
    const missing = Object.keys(rules).filter((op) => !tested.has(op));
    assert.deepEqual(missing, [], `${fam}.test.ts has no test for ${missing.join(', ')}`);
  }
});
