import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { PNG } from 'pngjs';
import { fast, makeDataDir, makeTinyModel } from '../adapt/tiny-setup.ts';
import { readMatrixMap } from '../../src/data/kaldi-read.ts';

const JEMDA = path.resolve('scripts/jemda.mjs');

function jemda(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [JEMDA, ...args], { encoding: 'utf8', env: { ...process.env, JEMDA_NO_PROGRESS: '1' } });
  return { status: r.status, stderr: r.stderr };
}

test('jemda sample: unconditional (ort and tfjs), per-class, and from a replay buffer', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-sample-'));
  try {
    const model = path.join(root, 'model.onnx');
    makeTinyModel(model);
    makeDataDir(path.join(root, 'tgt'), 12, { noise: 0.05, gain: 1, seed: 1, labels: true });
    for (const backend of ['ort', 'tfjs']) {
      const out = path.join(root, `u-${backend}`);
      const r = jemda(['sample', '--model', model, '--num', '6', '--sgld-steps', '20', '--sgld-step-size', '0.1', '--sampler-backend', backend, '--data', path.join(root, 'tgt'), '--out', out]);
      assert.equal(r.status, 0, r.stderr);
      const mats = readMatrixMap(`scp:${path.join(out, 'samples.scp')}`);
      assert.equal(mats.size, 6);
      for (const m of mats.values()) assert.deepEqual([m.rows, m.cols], [20, 10]);
      const png = PNG.sync.read(fs.readFileSync(path.join(out, 'samples.png')));
      assert.ok(png.width > 40 && png.height > 20);
    }
    const pc = path.join(root, 'pc');
    const r = jemda(['sample', '--model', model, '--per-class', '2', '--sgld-steps', '10', '--sgld-step-size', '0.1', '--out', pc]);
    assert.equal(r.status, 0, r.stderr);
    const lab = fs.readFileSync(path.join(pc, 'utt2label'), 'utf8').trim().split('\n');
    assert.equal(lab.length, 6);
    assert.ok(lab[0].endsWith(' low') && lab[5].endsWith(' high'));
    // Replay buffer of an adaptation checkpoint.
    const exp = path.join(root, 'exp');
    const ra = jemda(['adapt', '--method', 'jem', '--model', model, '--source', path.join(root, 'tgt'), '--target', path.join(root, 'tgt'), ...fast({ steps: '3' }), exp]);
    assert.equal(ra.status, 0, ra.stderr);
    const fb = path.join(root, 'fb');
    const rb = jemda(['sample', '--model', model, '--from-buffer', path.join(exp, 'checkpoints', 'step-3'), '--num', '5', '--out', fb]);
    assert.equal(rb.status, 0, rb.stderr);
    assert.equal(readMatrixMap(`scp:${path.join(fb, 'samples.scp')}`).size, 5);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
