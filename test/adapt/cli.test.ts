import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fast, makeDataDir, makeTinyModel } from './tiny-setup.ts';
import { loadModel, getMetadata } from '../../src/model/onnx-io.ts';
import { readArrays } from '../../src/adapt/checkpoint.ts';

const JEMDA = path.resolve('scripts/jemda.mjs');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-adapt-cli-'));
const model = path.join(root, 'model.onnx');
const src = path.join(root, 'src');
const tgt = path.join(root, 'tgt');
makeTinyModel(model);
makeDataDir(src, 24, { noise: 0.01, gain: 1, seed: 1, labels: true });
makeDataDir(tgt, 24, { noise: 0.08, gain: 0.5, seed: 2, labels: true });
process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));

function jemda(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [JEMDA, ...args], { encoding: 'utf8', env: { ...process.env, JEMDA_NO_PROGRESS: '1' } });
  return { status: r.status, stderr: r.stderr };
}

function finalWeights(exp: string): Map<string, Float32Array> {
  return readArrays(path.join(exp, 'final'), 'weights');
}

test('adapt --method jem through the CLI writes adapted.onnx with adaptation metadata', () => {
  const exp = path.join(root, 'exp-jem');
  const r = jemda(['adapt', '--method', 'jem', '--model', model, '--source', src, '--target', tgt, '--seed', '3', ...fast(), exp]);
  assert.equal(r.status, 0, r.stderr);
  const m = loadModel(path.join(exp, 'adapted.onnx'));
  const meta = JSON.parse(getMetadata(m)['jemda.adaptation']);
  assert.equal(meta.method, 'jem');
  assert.equal(meta.steps, 12);
  assert.ok(getMetadata(m)['jemda.frontend']);
  const lines = fs.readFileSync(path.join(exp, 'metrics.jsonl'), 'utf8').trim().split('\n');
  assert.equal(lines.length, 12);
});

test('unsupervised methods never read target labels: garbage or unreadable utt2label changes nothing', () => {
  const bad = path.join(root, 'tgt-bad');
  fs.cpSync(tgt, bad, { recursive: true });
  fs.writeFileSync(path.join(bad, 'utt2label'), '\u0000garbage with no utterance ids\nutt000\n');
  fs.chmodSync(path.join(bad, 'utt2label'), 0o000);
  fs.writeFileSync(path.join(bad, 'text'), 'not a table\n');
  for (const method of ['jem', 'tent', 'adabn', 'pseudo-label', 'source-only']) {
    const a = path.join(root, `iso-${method}-good`);
    const b = path.join(root, `iso-${method}-bad`);
    const args = ['--method', method, '--model', model, '--source', src, '--seed', '1', ...fast({ steps: '3' })];
    const ra = jemda(['adapt', ...args, '--target', tgt, a]);
    assert.equal(ra.status, 0, `${method}: ${ra.stderr}`);
    const rb = jemda(['adapt', ...args, '--target', bad, b]);
    assert.equal(rb.status, 0, `${method}: ${rb.stderr}`);
    assert.deepEqual(finalWeights(b), finalWeights(a), `${method}: same weights with garbage target labels`);
  }
  // The oracle does read them, and says which file is wrong.
  const rs = jemda(['adapt', '--method', 'supervised', '--model', model, '--target', bad, ...fast(), path.join(root, 'iso-sup')]);
  assert.notEqual(rs.status, 0);
  assert.match(rs.stderr, /utt2label/);
});

test('kill -9 at a random step, then --resume, gives the same final weights as an uninterrupted run', async () => {
  const args = ['adapt', '--method', 'jem', '--model', model, '--source', src, '--target', tgt, '--seed', '7', ...fast({ steps: '15', 'checkpoint-every': '2' })];
  const full = path.join(root, 'full');
  assert.equal(jemda([...args, full]).status, 0);
  const killed = path.join(root, 'killed');
  // Kill after a random number (seeded by the clock, logged) of metric lines, 3..12.
  const killAt = 3 + Math.floor(Math.random() * 10);
  await new Promise<void>((resolve) => {
    const child = spawn(process.execPath, [JEMDA, ...args, killed], { stdio: 'ignore', env: { ...process.env, JEMDA_NO_PROGRESS: '1' } });
    const timer = setInterval(() => {
      const f = path.join(killed, 'metrics.jsonl');
      const n = fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter((l) => l.includes('"step"')).length : 0;
      if (n >= killAt) {
        child.kill('SIGKILL');
        clearInterval(timer);
      }
    }, 5);
    child.on('exit', () => {
      clearInterval(timer);
      resolve();
    });
  });
  const resumed = jemda([...args, '--resume', killed]);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.deepEqual(finalWeights(killed), finalWeights(full), `kill at ${killAt}: resumed weights equal`);
  const a = loadModel(path.join(full, 'adapted.onnx'));
  const b = loadModel(path.join(killed, 'adapted.onnx'));
  assert.deepEqual(
    b.graph!.initializer!.map((t) => Buffer.from(t.rawData ?? new Uint8Array()).toString('hex') + (t.floatData ?? []).join(',')),
    a.graph!.initializer!.map((t) => Buffer.from(t.rawData ?? new Uint8Array()).toString('hex') + (t.floatData ?? []).join(',')),
  );
});

test('SIGINT writes a checkpoint and exits; --resume finishes', async () => {
  const exp = path.join(root, 'sigint');
  const args = ['adapt', '--method', 'tent', '--model', model, '--target', tgt, ...fast({ steps: '400', 'checkpoint-every': '1000' }), exp];
  const status = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [JEMDA, ...args], { stdio: 'ignore', env: { ...process.env, JEMDA_NO_PROGRESS: '1' } });
    const timer = setInterval(() => {
      const f = path.join(exp, 'metrics.jsonl');
      if (fs.existsSync(f) && fs.readFileSync(f, 'utf8').includes('"step":5,')) {
        child.kill('SIGINT');
        clearInterval(timer);
      }
    }, 5);
    child.on('exit', (code) => resolve(code));
  });
  assert.equal(status, 130);
  const cks = fs.readdirSync(path.join(exp, 'checkpoints')).filter((d) => d !== 'step-0');
  assert.equal(cks.length, 1, `one interrupt checkpoint: ${cks}`);
  assert.ok(!fs.existsSync(path.join(exp, 'adapted.onnx')));
  const r = jemda([...args, '--resume']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(fs.existsSync(path.join(exp, 'adapted.onnx')));
});

test('bring your own model: the reference KWS CNN (no metadata, Softmax output) with --frontend-config and --labels', (t) => {
  const ref = '/work/shared/reference/onnx/cnn2d_kws_op13_nofold/model.onnx';
  if (!fs.existsSync(ref)) {
    t.skip('reference model not present');
    return;
  }
  const dir = path.join(root, 'byo');
  fs.mkdirSync(dir, { recursive: true });
  const labels = ['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go', '_unknown_', '_silence_'];
  fs.writeFileSync(path.join(dir, 'labels'), labels.join('\n') + '\n');
  const fe = { featureType: 'fbank', options: { 'num-mel-bins': 40, 'frame-length': 25, 'frame-shift': 10, 'snip-edges': true, dither: 0 }, cmvn: 'per-utt', cmvnNormVars: true, layout: 'B1TF', numFrames: 98, padMode: 'center', featDim: 40, sampleRate: 16000 };
  fs.writeFileSync(path.join(dir, 'fe.json'), JSON.stringify(fe));
  // Source labels must be model labels: relabel the tiny data dir.
  const srcByo = path.join(dir, 'src');
  fs.cpSync(src, srcByo, { recursive: true });
  const relabel = fs.readFileSync(path.join(src, 'utt2label'), 'utf8').replace(/ low$/gm, ' yes').replace(/ mid$/gm, ' no').replace(/ high$/gm, ' up');
  fs.writeFileSync(path.join(srcByo, 'utt2label'), relabel);
  const exp = path.join(dir, 'exp');
  const args = ['adapt', '--method', 'jem', '--model', ref, '--source', srcByo, '--target', tgt, ...fast({ steps: '2', 'batch-size': '4', 'sgld-batch-size': '4', 'sgld-steps': '2' }), exp];
  const missing = jemda(args);
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /frontend-config/);
  const r = jemda([...args.slice(0, 1), '--frontend-config', path.join(dir, 'fe.json'), '--labels', path.join(dir, 'labels'), ...args.slice(1)]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /Softmax/);
  const meta = getMetadata(loadModel(path.join(exp, 'adapted.onnx')));
  assert.equal(JSON.parse(meta['jemda.frontend']).numFrames, 98);
  assert.equal(JSON.parse(meta['jemda.labels']).length, 12);
});
