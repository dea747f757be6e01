import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, defaultFrontEnd } from '../../src/model/builders/index.ts';
import { classifierHead } from '../../src/model/head.ts';
import { MismatchError } from '../../src/util/errors.ts';

test('classifierHead: the Gemm producing the logits (weight and bias), for the MLP and the CNN builders', () => {
  const fe = defaultFrontEnd('BTF', { featDim: 10, numFrames: 20 });
  const mlp = buildModel('mlp', { hidden: [16] }, fe, ['a', 'b', 'c'], 3);
  const gemms = (mlp.graph!.node ?? []).filter((n) => n.opType === 'Gemm');
  const last = gemms[gemms.length - 1];
  assert.deepEqual([...classifierHead(mlp, 'logits')].sort(), [last.input![1], last.input![2]].sort());
  const cnn = buildModel('kws-cnn', { channels: [4, 8] }, defaultFrontEnd('B1TF', { featDim: 10, numFrames: 16 }), ['a', 'b'], 5);
  const head = classifierHead(cnn, 'logits');
  assert.equal(head.size, 2);
  const inits = new Map((cnn.graph!.initializer ?? []).map((t) => [t.name, t.dims!.length]));
  assert.deepEqual([...head].map((n) => inits.get(n)).sort(), [1, 2]);
});

test('classifierHead: a clear error when no affine layer produces the logits', () => {
  const fe = defaultFrontEnd('BTF', { featDim: 10, numFrames: 20 });
  const mlp = buildModel('mlp', { hidden: [16] }, fe, ['a', 'b', 'c'], 3);
  // the output of the first BatchNormalization is not produced by an affine layer
  const bn = (mlp.graph!.node ?? []).find((n) => n.opType === 'BatchNormalization')!;
  assert.throws(() => classifierHead(mlp, bn.output![0]), MismatchError);
});
