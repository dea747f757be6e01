import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { makeToneDir, TONE_LABELS } from '../eval/tone-data.ts';

const LABELS = TONE_LABELS;
const makeDir = makeToneDir;

function jemda(...args: string[]) {
  const r = spawnSync(process.execPath, ['scripts/jemda.mjs', ...args], { encoding: 'utf8', env: { ...process.env, JEMDA_NO_PROGRESS: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('build-model → train → eval (--ood) → compare-results on a tiny tone corpus', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-cli-'));
  try {
    makeDir(path.join(tmp, 'train'), 48, 1);
    makeDir(path.join(tmp, 'dev'), 12, 2);
    makeDir(path.join(tmp, 'test'), 12, 3);
    makeDir(path.join(tmp, 'ood'), 6, 4, ['other']);
    const init = path.join(tmp, 'init.onnx');
    let r = jemda('build-model', '--arch', 'mlp', '--hidden', '16', '--feat-dim', '16', '--num-frames', '48', '--labels', LABELS.join(','), '--seed', '1', init);
    assert.equal(r.code, 0, r.err);
    const exp = path.join(tmp, 'exp', 'source');
    r = jemda('train', '--model', init, '--backend', 'cpu', '--epochs', '6', '--batch-size', '12', '--lr', '0.01', '--warmup-steps', '3',
      '--speed-perturb', '1.1', '--noise-copies', '1', '--nj', '2', '--patience', '0', '--average-last', '2', '--threads', '1',
      path.join(tmp, 'train'), path.join(tmp, 'dev'), exp);
    assert.equal(r.code, 0, r.err);
    assert.ok(fs.existsSync(path.join(exp, 'model.onnx')));
    assert.match(r.err, /48 utterances × 3 version/);
    const trainLog = r.err;
    r = jemda('eval', '--model', path.join(exp, 'model.onnx'), '--out', path.join(exp, 'results'), '--ood', path.join(tmp, 'ood'), '--threads', '1', path.join(tmp, 'test'));
    assert.equal(r.code, 0, r.err);
    const res = JSON.parse(fs.readFileSync(path.join(exp, 'results', 'test.json'), 'utf8'));
    assert.equal(res.n, 12);
    assert.ok(res.accuracy >= 0.9, `test accuracy ${res.accuracy}\n${r.err}\n${trainLog}`);
    for (const k of ['px', 'py', 'pxgrad']) assert.ok(res.ood.auroc[k] >= 0 && res.ood.auroc[k] <= 1, k);
    assert.ok(fs.existsSync(path.join(exp, 'results', 'test-reliability.svg')));
    r = jemda('compare-results', exp);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /\| source \| \d+\.\d\d \|/);
    // a label outside the model's set is a MismatchError before any compute
    r = jemda('eval', '--model', path.join(exp, 'model.onnx'), '--out', path.join(tmp, 'x'), path.join(tmp, 'ood'));
    assert.equal(r.code, 1);
    assert.match(r.err, /not in the model's label set.*'other'/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
