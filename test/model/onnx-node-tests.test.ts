/**
 * ONNX's own backend node tests (Debian package `libonnx-testdata`, installed under
 * /usr/share/libonnx-testdata/data/node) on the tfjs executor: every single-node test of an op the
 * importer supports must pass, except the cases listed in EXCLUDED with their reasons.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { before, test } from 'node:test';
import { selectBackend } from '../../src/model/backend.ts';
import { expandTestDirs, runTestCase, singleNodeOp } from '../../src/model/onnx-test-runner.ts';
import { supportedOps } from '../../src/model/ops/index.ts';

const NODE_DIR = '/usr/share/libonnx-testdata/data/node';

/** Node tests of supported ops that are expected to fail, with the reason. */
export const EXCLUDED: Record<string, string> = {
  test_averagepool_3d_default: '3-D pooling (only 1-D and 2-D are supported)',
  test_maxpool_3d_default: '3-D pooling (only 1-D and 2-D are supported)',
  test_maxunpool_export_with_output_shape: 'the expected output does not match its own indices (onnxruntime fails it the same way)',
  test_batchnorm_epsilon_training_mode: 'running variance uses the unbiased batch variance (PyTorch), ONNX\'s reference the biased one',
  test_batchnorm_example_training_mode: 'running variance uses the unbiased batch variance (PyTorch), ONNX\'s reference the biased one',
  test_training_dropout: 'random training-mode Dropout (mask differs from numpy\'s RNG)',
  test_training_dropout_default: 'random training-mode Dropout',
  test_training_dropout_default_mask: 'random training-mode Dropout',
  test_training_dropout_mask: 'random training-mode Dropout',
  test_cast_BFLOAT16_to_FLOAT: 'bfloat16 tensors are not supported',
  test_cast_FLOAT_to_BFLOAT16: 'bfloat16 tensors are not supported',
  test_castlike_BFLOAT16_to_FLOAT_expanded: 'bfloat16 tensors are not supported',
  test_castlike_FLOAT_to_BFLOAT16_expanded: 'bfloat16 tensors are not supported',
  test_cast_DOUBLE_to_FLOAT16: 'float16 tensors are not supported',
  test_cast_FLOAT16_to_DOUBLE: 'float16 tensors are not supported',
  test_cast_FLOAT16_to_FLOAT: 'float16 tensors are not supported',
  test_cast_FLOAT_to_FLOAT16: 'float16 tensors are not supported',
  test_castlike_DOUBLE_to_FLOAT16_expanded: 'float16 tensors are not supported',
  test_castlike_FLOAT16_to_DOUBLE_expanded: 'float16 tensors are not supported',
  test_castlike_FLOAT16_to_FLOAT_expanded: 'float16 tensors are not supported',
  test_castlike_FLOAT_to_FLOAT16_expanded: 'float16 tensors are not supported',
  test_cast_FLOAT_to_STRING: 'string tensors are not supported',
  test_if_opt: 'optional values in the test data are not read',
  test_if_seq: 'sequences in the test data are not read',
  test_cast_STRING_to_FLOAT: 'string tensors are not supported',
  test_castlike_BFLOAT16_to_FLOAT: 'bfloat16 tensors are not supported',
  test_castlike_FLOAT_to_BFLOAT16: 'bfloat16 tensors are not supported',
  test_castlike_DOUBLE_to_FLOAT16: 'float16 tensors are not supported',
  test_castlike_FLOAT16_to_DOUBLE: 'float16 tensors are not supported',
  test_castlike_FLOAT16_to_FLOAT: 'float16 tensors are not supported',
  test_castlike_FLOAT_to_FLOAT16: 'float16 tensors are not supported',
  test_castlike_FLOAT_to_STRING: 'string tensors are not supported',
  test_castlike_STRING_to_FLOAT: 'string tensors are not supported',
  test_castlike_FLOAT_to_STRING_expanded: 'string tensors are not supported',
  test_castlike_STRING_to_FLOAT_expanded: 'string tensors are not supported',
  test_identity_opt: 'optional-typed values are not supported',
  test_identity_sequence: 'sequence-typed values are not supported',
  test_pow_types_float32_uint32: 'uint32 tensors are not supported',
  test_pow_types_float32_uint64: 'uint64 tensors are not supported',
  test_max_float16: 'float16 tensors are not supported',
  test_max_uint32: 'uint32 tensors are not supported',
  test_max_uint64: 'uint64 tensors are not supported',
  test_min_float16: 'float16 tensors are not supported',
  test_min_uint32: 'uint32 tensors are not supported',
  test_min_uint64: 'uint64 tensors are not supported',
  test_mod_mixed_sign_float16: 'float16 tensors are not supported',
  test_mod_uint32: 'uint32 tensors are not supported',
  test_mod_uint64: 'uint64 tensors are not supported',
  test_resize_downsample_scales_cubic_align_corners:
    "align_corners divides by the integer output length (ONNX spec, onnxruntime), the test data by scale × input length",
  test_resize_downsample_scales_linear_align_corners:
    "align_corners divides by the integer output length (ONNX spec, onnxruntime), the test data by scale × input length",
};

const have = fs.existsSync(NODE_DIR);

before(async () => {
  await selectBackend('cpu');
});

test('ONNX node tests of the supported ops pass on the tfjs executor', { skip: have ? false : `${NODE_DIR} missing: apt-get install libonnx-testdata` }, async (t) => {
  const sup = new Set(supportedOps());
  const counts: Record<string, { pass: number; total: number }> = {};
  const unexpected: string[] = [];
  const fixed: string[] = [];
  for (const d of expandTestDirs([NODE_DIR])) {
    const op = singleNodeOp(d);
    if (!op || !sup.has(op)) continue;
    const name = d.split('/').pop()!;
    const res = await runTestCase(d, ['tfjs'], 1e-3, 1e-5);
    const ok = res.every((r) => r.pass);
    const c = (counts[op] ??= { pass: 0, total: 0 });
    c.total++;
    if (ok) c.pass++;
    if (!ok && !EXCLUDED[name]) {
      unexpected.push(`${name}: ${res.map((r) => r.error ?? r.outputs.filter((o) => !o.pass).map((o) => `${o.output} max_abs ${o.maxAbs}`).join(', ')).join(' | ')}`);
    }
    if (ok && EXCLUDED[name]) fixed.push(name);
  }
  const total = Object.values(counts).reduce((a, c) => a + c.total, 0);
  const passed = Object.values(counts).reduce((a, c) => a + c.pass, 0);
  t.diagnostic(`node tests: ${passed}/${total} passed; per op: ${Object.entries(counts).sort().map(([k, c]) => `${k} ${c.pass}/${c.total}`).join(', ')}`);
  assert.deepEqual(unexpected, [], 'unexpected failures');
  assert.deepEqual(fixed, [], 'excluded tests that now pass: remove them from EXCLUDED');
  assert.ok(total > 300, `only ${total} node tests found`);
});
