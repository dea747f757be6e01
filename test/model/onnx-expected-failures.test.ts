/**
 * The expected-failure check of `jemda onnx-test --expected FILE` on four real ONNX node tests
 * (libonnx-testdata) and a fake list: test_abs and test_add pass on both executors,
 * test_nonmaxsuppression_suppress_by_IOU fails on tfjs (NonMaxSuppression stays out of the importer), test_cast_FLOAT_to_STRING fails on
 * both (string tensors in its test data are not read).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { selectBackend } from '../../src/model/backend.ts';
import { checkExpected, checkMessages, formatExpectedFailures, parseExpectedFailures, passCounts, testOutcomes } from '../../src/model/onnx-expected-failures.ts';
import { runTestCase, type SetResult } from '../../src/model/onnx-test-runner.ts';
import { DataError } from '../../src/util/errors.ts';

const NODE_DIR = '/usr/share/libonnx-testdata/data/node';
const TESTS = ['test_abs', 'test_add', 'test_nonmaxsuppression_suppress_by_IOU', 'test_cast_FLOAT_to_STRING'];
const JEMDA = path.resolve(import.meta.dirname, '../../scripts/jemda.mjs');
const skip = fs.existsSync(NODE_DIR) ? false : `${NODE_DIR} missing: apt-get install libonnx-testdata`;

/** (a) NonMaxSuppression on tfjs and the cast on ort are listed and still fail; (c) abs on tfjs is listed but passes; test_gone is not run. */
const LIST = `# a fake list
tfjs test_nonmaxsuppression_suppress_by_IOU unsupported op: NonMaxSuppression
ort  test_cast_FLOAT_to_STRING   test data: string tensors not read
tfjs test_abs mismatch: y beyond tolerance
ort test_gone unsupported op: Gone
`;

let results: SetResult[] = [];

before(async () => {
  if (skip) return;
  await selectBackend('cpu');
  for (const t of TESTS) results.push(...(await runTestCase(path.join(NODE_DIR, t), ['ort', 'tfjs'], 1e-3, 1e-5)));
});

test('check: listed failures that still fail are fine, an unlisted failure and a listed pass are reported', { skip }, () => {
  const outcomes = testOutcomes(results);
  assert.equal(outcomes.length, 8);
  const reason = (ex: string, t: string) => outcomes.find((o) => o.executor === ex && o.test === t)?.reason;
  assert.equal(reason('tfjs', 'test_nonmaxsuppression_suppress_by_IOU'), 'unsupported op: NonMaxSuppression');
  assert.equal(reason('ort', 'test_cast_FLOAT_to_STRING'), 'test data: string tensors not read');
  assert.equal(reason('ort', 'test_abs'), undefined);

  const list = parseExpectedFailures(LIST, 'list.txt');
  const c = checkExpected(outcomes, list);
  assert.equal(c.stillFailing, 2); // (a)
  assert.deepEqual(c.unexpected.map((o) => `${o.executor} ${o.test}`), ['tfjs test_cast_FLOAT_to_STRING']); // (b)
  assert.deepEqual(c.nowPassing.map((e) => `${e.executor} ${e.test} line ${e.line}`), ['tfjs test_abs line 4']); // (c)
  const msgs = checkMessages(c, 'list.txt');
  assert.equal(msgs.length, 2);
  assert.match(msgs[0]!, /^new failure: tfjs test_cast_FLOAT_to_STRING \(test data: string tensors not read\): .*data type 8/);
  assert.match(msgs[1]!, /^now passes: tfjs test_abs is listed in list\.txt:4 .*remove its line$/);

  assert.deepEqual(passCounts(outcomes), { tests: 4, ortRun: 4, ortPass: 3, tfjsRun: 4, tfjsPass: 2, tfjsPassOfOrtPass: 2 });
});

test('write: the run\'s failures, the lines of tests not run kept, and the check of the result is clean', { skip }, () => {
  const outcomes = testOutcomes(results);
  const text = formatExpectedFailures(outcomes, parseExpectedFailures(LIST, 'list.txt'));
  const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  assert.deepEqual(lines, [
    'ort test_cast_FLOAT_to_STRING test data: string tensors not read',
    'ort test_gone unsupported op: Gone',
    'tfjs test_cast_FLOAT_to_STRING test data: string tensors not read',
    'tfjs test_nonmaxsuppression_suppress_by_IOU unsupported op: NonMaxSuppression',
  ]);
  const c = checkExpected(outcomes, parseExpectedFailures(text, 'written.txt'));
  assert.deepEqual(checkMessages(c, 'written.txt'), []);
  assert.equal(c.stillFailing, 3);
});

test('parse: a malformed line, an unknown executor and a repeated entry are errors naming the line', () => {
  assert.throws(() => parseExpectedFailures('tfjs test_abs\n', 'l.txt'), (e: unknown) => e instanceof DataError && /^l\.txt:1: /.test(e.message));
  assert.throws(() => parseExpectedFailures('# c\nwebgl test_abs why\n', 'l.txt'), (e: unknown) => e instanceof DataError && /^l\.txt:2: executor must be ort or tfjs/.test(e.message));
  assert.throws(() => parseExpectedFailures('ort t a\nort t b\n', 'l.txt'), (e: unknown) => e instanceof DataError && /l\.txt:2: ort t is listed twice \(also on line 1\)/.test(e.message));
});

test('jemda onnx-test --expected exits 1 naming the new failure and the line to remove', { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-expected-'));
  try {
    const bad = path.join(dir, 'bad.txt');
    fs.writeFileSync(bad, 'tfjs test_abs mismatch: y beyond tolerance\n');
    const dirs = ['test_abs', 'test_nonmaxsuppression_suppress_by_IOU'].map((t) => path.join(NODE_DIR, t));
    const r = spawnSync(process.execPath, [JEMDA, 'onnx-test', ...dirs, '--backend', 'cpu', '--expected', bad], { encoding: 'utf8', env: { ...process.env, JEMDA_NO_PROGRESS: '1' } });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^new failure: tfjs test_nonmaxsuppression_suppress_by_IOU \(unsupported op: NonMaxSuppression\)/m);
    assert.match(r.stdout, /^now passes: tfjs test_abs is listed in .*bad\.txt:1 .*remove its line$/m);
    assert.match(r.stderr, /ort 2\/2 tests passed; tfjs 1\/2, 1\/2 of those ort passes/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
