/**
 * Issue 7, work is never lost: a stage killed midway (SIGKILL) leaves no file a later stage would
 * trust, and re-running it finishes the job; SIGTERM during `train` writes a checkpoint and exits
 * cleanly, and `--resume` continues from it. (Adaptation kill -9/resume is in test/adapt/cli.test.ts.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { readMatrixAt } from '../../src/data/kaldi-scp.ts';
import { jemda, jemdaAsync, makeTinyModel, makeToneDir, tempDir } from './fixtures.ts';

let tmp = '';
const P = (...p: string[]) => path.join(tmp, ...p);

before(() => {
  tmp = tempDir();
  makeTinyModel(P('m.onnx'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Start `jemda args`, send `signal` once stderr matches `when`; resolve with exit code, signal and stderr. */
function runAndSignal(args: string[], when: RegExp, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; err: string; sent: boolean }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = jemdaAsync(args);
    let err = '';
    let sent = false;
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (!sent && when.test(err)) {
        sent = true;
        child.kill(signal);
      }
    });
    child.stdout!.resume();
    child.on('error', reject);
    child.on('close', (code, sig) => resolve({ code, signal: sig, err, sent }));
  });
}

const scpKeys = (f: string) => fs.readFileSync(f, 'utf8').trimEnd().split('\n').map((l) => l.split(' ')[0]);

test('compute-fbank killed midway: no new feats.scp (the old one stays intact and readable); a re-run completes', async () => {
  const dir = P('fb');
  makeToneDir(dir, 120, 7);
  // 1) no earlier features: a killed run leaves no feats.scp and no finished archive
  let r = await runAndSignal(['compute-fbank', dir], /compute-fbank fb: \d+\/120/, 'SIGKILL');
  assert.ok(r.sent && r.signal === 'SIGKILL', `not killed midway: ${r.code} ${r.err}`);
  assert.ok(!fs.existsSync(path.join(dir, 'feats.scp')), 'feats.scp after SIGKILL');
  assert.ok(!fs.existsSync(path.join(dir, 'utt2num_frames')));
  assert.deepEqual(fs.readdirSync(path.join(dir, 'data')).filter((f) => !f.startsWith('.')), [], 'no finished ark/scp');
  // 2) the re-run finishes the job
  let c = jemda('compute-fbank', dir);
  assert.equal(c.code, 0, c.err);
  assert.equal(scpKeys(path.join(dir, 'feats.scp')).length, 120);
  const before = fs.readFileSync(path.join(dir, 'feats.scp'), 'utf8');
  const first = before.split('\n')[0].split(' ')[1];
  const m0 = readMatrixAt(first);
  // 3) killed again (other options): the old feats.scp and the archive it points into are intact
  r = await runAndSignal(['compute-fbank', '--num-mel-bins', '23', dir], /compute-fbank fb: \d+\/120/, 'SIGKILL');
  assert.ok(r.sent && r.signal === 'SIGKILL', `not killed midway: ${r.code} ${r.err}`);
  assert.equal(fs.readFileSync(path.join(dir, 'feats.scp'), 'utf8'), before);
  const m1 = readMatrixAt(first);
  assert.equal(m1.cols, 40);
  assert.deepEqual(m1.data, m0.data);
  c = jemda('compute-fbank', '--num-mel-bins', '23', dir);
  assert.equal(c.code, 0, c.err);
  assert.equal(readMatrixAt(fs.readFileSync(path.join(dir, 'feats.scp'), 'utf8').split('\n')[0].split(' ')[1]).cols, 23);
});

test('eval killed midway writes no result files; a re-run writes them', async () => {
  const dir = P('ev');
  makeToneDir(dir, 120, 8);
  const out = P('ev-res');
  const args = ['eval', '--model', P('m.onnx'), '--out', out, '--threads', '1', '--no-pxgrad', dir];
  const r = await runAndSignal(args, /ev: \d+\/120/, 'SIGKILL');
  assert.ok(r.sent && r.signal === 'SIGKILL', `not killed midway: ${r.code} ${r.err}`);
  const left = fs.existsSync(out) ? fs.readdirSync(out).filter((f) => !f.startsWith('.')) : [];
  assert.deepEqual(left, [], 'result files after SIGKILL');
  const c = jemda(...args);
  assert.equal(c.code, 0, c.err);
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'ev.json'), 'utf8')).n, 120);
});

test('SIGTERM during train: a checkpoint, a clean exit; --resume continues (also after kill -9) and finishes', async () => {
  makeToneDir(P('tr'), 24, 9);
  makeToneDir(P('dv'), 6, 10);
  const exp = P('exp');
  const args = ['train', '--model', P('m.onnx'), '--backend', 'cpu', '--epochs', '150', '--batch-size', '8', '--eval-every', '30', '--checkpoint-every', '30',
    '--speed-perturb', '', '--noise-copies', '0', '--patience', '0', '--average-last', '1', '--threads', '1', P('tr'), P('dv'), exp];
  const r = await runAndSignal(args, /train: step 30\//, 'SIGTERM');
  assert.ok(r.sent, r.err);
  assert.equal(r.signal, null, `killed by ${r.signal} instead of exiting:\n${r.err}`);
  assert.equal(r.code, 130, r.err);
  assert.match(r.err, /SIGTERM received; saving a checkpoint/);
  const m = /interrupted at step (\d+); continue with --resume/.exec(r.err);
  assert.ok(m, r.err);
  const stoppedAt = Number(m[1]);
  assert.ok(stoppedAt >= 30 && stoppedAt < 450, `stopped at ${stoppedAt}`);
  assert.ok(!fs.existsSync(path.join(exp, 'model.onnx')), 'an interrupted run writes no final model');
  assert.ok(fs.readdirSync(path.join(exp, 'checkpoints')).includes(`step-${stoppedAt}`), fs.readdirSync(path.join(exp, 'checkpoints')).join(' '));
  // the resumed run is killed -9 after its next dev evaluation; a second --resume continues from the newest checkpoint
  const k = await runAndSignal([...args, '--resume'], new RegExp(`train: step (?!${stoppedAt}/)\\d+/450`), 'SIGKILL');
  assert.ok(k.sent && k.signal === 'SIGKILL', `not killed: ${k.code}\n${k.err}`);
  assert.match(k.err, new RegExp(`train: resumed from step ${stoppedAt} `));
  const c = jemda(...args, '--resume');
  assert.equal(c.code, 0, c.err);
  const resumed = Number(/train: resumed from step (\d+) /.exec(c.err)?.[1]);
  assert.ok(resumed === stoppedAt || (resumed > stoppedAt && resumed % 30 === 0), `resumed from ${resumed} (first stop at ${stoppedAt})\n${c.err}`);
  assert.match(c.err, /train: step 450\/450/);
  assert.ok(fs.existsSync(path.join(exp, 'model.onnx')));
});
