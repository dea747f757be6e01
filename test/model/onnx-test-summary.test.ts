import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestOutcome } from '../../src/model/onnx-expected-failures.ts';
import { familyTableMarkdown, graphOpTypes, summarizeByFamily, testFamily } from '../../src/model/onnx-test-summary.ts';
import { onnx } from '../../src/model/onnx-io.ts';

test('testFamily: the ops/ file of the ops, expanded tests apart, missing and left-out ops named', () => {
  assert.deepEqual(testFamily('test_argmax_default', ['ArgMax']), { family: 'indexing', ops: ['ArgMax'] });
  assert.deepEqual(testFamily('test_softmax_axis_0_expanded', ['Exp', 'ReduceSum', 'Div']), { family: 'function-expanded', ops: [] });
  assert.deepEqual(testFamily('test_x', ['Relu', 'ArgMax']), { family: 'mixed', ops: [] });
  assert.deepEqual(testFamily('test_loop11', ['Loop', 'Add']), { family: 'not in the importer', ops: ['Loop'] });
  assert.equal(testFamily('test_nms', ['NonMaxSuppression']).family.startsWith('left out'), true);
  assert.equal(testFamily('test_adam', ['ai.onnx.preview.training.Adam']).family.startsWith('left out'), true);
});

test('summarizeByFamily: tfjs counted among the tests onnxruntime passes; the total leaves the left-out row out', () => {
  const o = (test: string, executor: 'ort' | 'tfjs', pass: boolean): TestOutcome => ({ test, executor, pass });
  const outcomes = [
    o('test_argmax_a', 'ort', true), o('test_argmax_a', 'tfjs', true),
    o('test_argmax_b', 'ort', true), o('test_argmax_b', 'tfjs', false),
    o('test_argmax_c', 'ort', false), o('test_argmax_c', 'tfjs', true),
    o('test_nms', 'ort', true), o('test_nms', 'tfjs', false),
  ];
  const ops: Record<string, string[]> = { test_argmax_a: ['ArgMax'], test_argmax_b: ['ArgMax'], test_argmax_c: ['ArgMin'], test_nms: ['NonMaxSuppression'] };
  const rows = summarizeByFamily(outcomes, (t) => ops[t]!);
  assert.deepEqual(rows[0], { family: 'indexing', ops: ['ArgMax', 'ArgMin'], tests: 3, ortPass: 2, tfjsPassOfOrt: 1 });
  assert.equal(rows[1]!.family.startsWith('left out'), true);
  const md = familyTableMarkdown(rows, 'title');
  assert.match(md, /\| indexing \| 3 \| 2 \| 1 \| 50\.0 % \|/);
  assert.match(md, /\| \*\*all but the left-out row\*\* \| 3 \| 2 \| 1 \| 50\.0 % \|/);
});

test('graphOpTypes: nodes of subgraphs and other domains included', () => {
  const m = onnx.ModelProto.create({
    graph: {
      node: [
        { opType: 'If', attribute: [{ name: 'then_branch', g: { node: [{ opType: 'Relu' }] } }, { name: 'else_branch', g: { node: [{ opType: 'Neg' }] } }] },
        { opType: 'Adam', domain: 'ai.onnx.preview.training' },
      ],
    },
  });
  assert.deepEqual(graphOpTypes(m), ['If', 'Neg', 'Relu', 'ai.onnx.preview.training.Adam']);
});
