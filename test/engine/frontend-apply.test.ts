import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeFbank } from '../../src/features/extract.ts';
import { frontEndInput, frontEndInputFromFeats } from '../../src/engine/frontend-apply.ts';
import { makeMatrix } from '../../src/data/matrix.ts';
import type { FrontEnd } from '../../src/model/frontend.ts';
import { MismatchError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';

const fe: FrontEnd = {
  featureType: 'fbank',
  options: { 'num-mel-bins': 40 },
  cmvn: 'per-utt',
  cmvnNormVars: true,
  layout: 'B1TF',
  numFrames: 98,
  padMode: 'zero',
  featDim: 40,
  sampleRate: 16000,
};

test('frontEndInput: KWS CNN layout [1, 98, 40] with per-utterance CMVN, shorter clips padded', () => {
  const rng = new Rng(4);
  const x = new Float32Array(16000).map(() => 0.1 * rng.normal());
  const a = frontEndInput(fe, x);
  assert.deepEqual(a.shape, [1, 98, 40]);
  assert.equal(a.data.length, 98 * 40);
  let s = 0;
  for (let t = 0; t < 98; t++) s += a.data[t * 40 + 7];
  assert.ok(Math.abs(s / 98) < 1e-4);
  const short = frontEndInput(fe, x.subarray(0, 8000));
  assert.deepEqual(short.shape, [1, 98, 40]);
  assert.equal(short.data[97 * 40 + 3], 0);
});

test('frontEndInputFromFeats: BFT transposes, BTF keeps, global CMVN, mismatches are typed errors', () => {
  const m = makeMatrix(3, 2, Float32Array.from([1, 10, 2, 20, 3, 30]));
  const base = { ...fe, featDim: 2, numFrames: null, cmvn: 'none' as const };
  const bft = frontEndInputFromFeats({ ...base, layout: 'BFT' }, m);
  assert.deepEqual(bft.shape, [2, 3]);
  assert.deepEqual([...bft.data], [1, 2, 3, 10, 20, 30]);
  const btf = frontEndInputFromFeats({ ...base, layout: 'BTF', numFrames: 4, padMode: 'edge' }, m);
  assert.deepEqual(btf.shape, [4, 2]);
  assert.deepEqual([...btf.data], [1, 10, 2, 20, 3, 30, 3, 30]);
  const g = frontEndInputFromFeats({ ...base, layout: 'BTF', cmvn: 'global', cmvnNormVars: true, cmvnMean: [2, 20], cmvnStd: [1, 10] }, m);
  assert.deepEqual([...g.data], [-1, -1, 0, 0, 1, 1]);
  assert.throws(() => frontEndInputFromFeats(fe, m), MismatchError);
  assert.throws(() => frontEndInput({ ...fe, options: { 'sample-frequency': 16000 }, sampleRate: 8000 }, new Float32Array(16000)), MismatchError);
  assert.throws(() => frontEndInputFromFeats({ ...base, cmvn: 'global', cmvnNormVars: false }, m), MismatchError);
  // features equal computeFbank on the same options
  const x = new Float32Array(4000).map((_, i) => Math.sin(i / 5) * 0.2);
  const raw = frontEndInput({ ...fe, cmvn: 'none', numFrames: null, layout: 'BTF' }, x);
  assert.deepEqual(raw.data, computeFbank(x, { 'num-mel-bins': 40 }).data);
});
