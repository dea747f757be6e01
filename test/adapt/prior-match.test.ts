import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { matchPriorBias, meanPrediction } from '../../src/adapt/prior-match.ts';
import { adapt } from '../../src/adapt/adapt.ts';
import { loadExamples } from '../../src/engine/examples.ts';
import { ortLogits } from '../../src/model/ort-logits.ts';
import { labelMarginal } from '../../src/jem/marginal-prior.ts';
import { buildModel, defaultFrontEnd } from '../../src/model/builders/index.ts';
import { modelFrontEnd } from '../../src/model/frontend.ts';
import { classifierHeadBias } from '../../src/model/head.ts';
import { getMetadata, loadModel, tensorToArray } from '../../src/model/onnx-io.ts';
import { MismatchError } from '../../src/util/errors.ts';
import { setQuiet } from '../../src/util/log.ts';
import { Rng } from '../../src/util/rng.ts';
import { makeDataDir, makeTinyModel, LABELS } from './tiny-setup.ts';

setQuiet(true);

function randomLogits(n: number, C: number, seed: number, scale = 3): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n * C }, (_, i) => scale * r.normal() + (i % C === 0 ? 2 : 0));
}

test('matchPriorBias: two classes with identical rows, the analytic shift log(π1/π0) − (l1 − l0)', () => {
  const logits = Float32Array.from([0.3, 1.7, 0.3, 1.7, 0.3, 1.7]);
  const m = matchPriorBias(logits, 2, [0.8, 0.2]);
  assert.ok(Math.abs(m.bias[1] - m.bias[0] - (Math.log(0.2 / 0.8) - 1.4)) < 1e-5, `${m.bias}`);
  assert.ok(Math.abs(m.bias[0] + m.bias[1]) < 1e-12, 'centred');
  assert.ok(Math.abs(m.largestShareBefore - 1 / (1 + Math.exp(-1.4))) < 1e-6);
});

test('matchPriorBias: the mean prediction equals the prior, the shift has mean 0, on random logits and priors', () => {
  for (const seed of [1, 2, 3]) {
    const C = 7;
    const logits = randomLogits(200, C, seed);
    const r = new Rng(seed + 10);
    const raw = Array.from({ length: C }, () => 0.2 + r.uniform());
    const prior = raw.map((v) => v / raw.reduce((a, b) => a + b, 0));
    const m = matchPriorBias(logits, C, prior);
    const p = meanPrediction(logits, C, m.bias);
    for (let k = 0; k < C; k++) assert.ok(Math.abs(p[k] - prior[k]) < 1e-6, `seed ${seed} class ${k}: ${p[k]} vs ${prior[k]}`);
    assert.ok(m.deviation <= 1e-6);
    assert.ok(Math.abs(m.bias.reduce((a, b) => a + b, 0)) < 1e-9);
    assert.ok(m.largestShareBefore > Math.max(...prior), 'class 0 is over-predicted before');
  }
});

test('matchPriorBias: nothing to do when the prior already holds; a per-class offset of the logits moves the shift by minus that offset', () => {
  const C = 4;
  const zero = matchPriorBias(new Float32Array(10 * C), C, [0.25, 0.25, 0.25, 0.25]);
  assert.equal(zero.iterations, 0);
  assert.deepEqual(Array.from(zero.bias), [0, 0, 0, 0]);
  const logits = randomLogits(50, C, 5);
  const d = [0.5, -1, 2, 0.25];
  const shifted = logits.map((v, i) => v + d[i % C]);
  const prior = [0.1, 0.2, 0.3, 0.4];
  const a = matchPriorBias(logits, C, prior);
  const b = matchPriorBias(shifted, C, prior);
  const dm = d.reduce((x, y) => x + y, 0) / C;
  for (let k = 0; k < C; k++) assert.ok(Math.abs(b.bias[k] - (a.bias[k] - (d[k] - dm))) < 1e-4, `class ${k}`);
});

test('matchPriorBias: a clear error for a prior with a zero class, of the wrong length, or not summing to 1', () => {
  const l = randomLogits(5, 3, 1);
  assert.throws(() => matchPriorBias(l, 3, [0.5, 0.5, 0]), /class 2 has prior 0/);
  assert.throws(() => matchPriorBias(l, 3, [0.5, 0.5]), MismatchError);
  assert.throws(() => matchPriorBias(l, 3, [0.5, 0.5, 0.5]), /sums to 1.5/);
});

test('classifierHeadBias: the Gemm bias of the MLP and CNN builders; an error naming the logits when the head has no bias', () => {
  const mlp = buildModel('mlp', { hidden: [16] }, defaultFrontEnd('BTF', { featDim: 10, numFrames: 20 }), ['a', 'b', 'c'], 3);
  const gemms = (mlp.graph!.node ?? []).filter((n) => n.opType === 'Gemm');
  const last = gemms[gemms.length - 1];
  const h = classifierHeadBias(mlp, 'logits');
  assert.equal(h.name, last.input![2]);
  assert.equal(h.size, 3);
  const cnn = buildModel('kws-cnn', { channels: [4, 8] }, defaultFrontEnd('B1TF', { featDim: 10, numFrames: 16 }), ['a', 'b'], 5);
  assert.equal(classifierHeadBias(cnn, 'logits').size, 2);
  last.input = last.input!.slice(0, 2);
  assert.throws(() => classifierHeadBias(mlp, 'logits'), /no bias initializer is added to the logits 'logits'/);
});

test('adapt --prior-match: only the head bias changes, and the adapted model predicts the prior on average over the target data', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-prior-match-'));
  try {
    const model = path.join(root, 'model.onnx');
    const src = path.join(root, 'src');
    const tgt = path.join(root, 'tgt');
    makeTinyModel(model);
    makeDataDir(src, 24, { noise: 0.01, gain: 1, seed: 1, labels: true });
    makeDataDir(tgt, 24, { noise: 0.08, gain: 0.5, seed: 2, labels: false });
    const exp = path.join(root, 'exp');
    const out = await adapt({ method: 'source-only', modelPath: model, sourceDir: src, targetDir: tgt, expDir: exp, seed: 1, threads: 1, config: { priorMatch: 'source' } });
    const adapted = loadModel(out.adaptedPath!);
    const before = loadModel(model);
    const bias = classifierHeadBias(before, 'logits').name;
    const inits = new Map((adapted.graph!.initializer ?? []).map((t) => [t.name, t]));
    let changed = 0;
    for (const t of before.graph!.initializer ?? []) {
      const same = Buffer.from(tensorToArray(t).data.buffer).equals(Buffer.from(tensorToArray(inits.get(t.name)!).data.buffer));
      if (t.name === bias) assert.ok(!same, 'the bias moved');
      else if (!same) changed++;
    }
    assert.equal(changed, 0, 'no other initializer changed');
    const fe = modelFrontEnd(adapted, out.adaptedPath!);
    const set = await loadExamples(tgt, fe, LABELS, { unlabeled: true, title: 'tgt' });
    const logits = await ortLogits(adapted, set, { threads: 1 });
    const s = await loadExamples(src, fe, LABELS, { title: 'src' });
    const prior = labelMarginal(s.labels, 3);
    const p = meanPrediction(logits, 3, [0, 0, 0]);
    for (let k = 0; k < 3; k++) assert.ok(Math.abs(p[k] - prior[k]) < 1e-4, `class ${k}: ${p[k]} vs ${prior[k]}`);
    const meta = JSON.parse(getMetadata(adapted)['jemda.adaptation']);
    assert.equal(meta.priorMatch.prior, 'source');
    assert.equal(meta.priorMatch.bias.length, 3);
    await assert.rejects(adapt({ method: 'source-only', modelPath: model, targetDir: tgt, expDir: path.join(root, 'x'), config: { priorMatch: 'source' } }), /needs labeled source data/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
