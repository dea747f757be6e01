import { ONNX_REF } from '../shared-ref.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fast, makeDataDir } from './tiny-setup.ts';
import { loadModel, getMetadata } from '../../src/model/onnx-io.ts';

const JEMDA = path.resolve('scripts/jemda.mjs');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-byo-'));
const src = path.join(root, 'src');
const tgt = path.join(root, 'tgt');
makeDataDir(src, 12, { noise: 0.01, gain: 1, seed: 1, labels: true });
makeDataDir(tgt, 12, { noise: 0.08, gain: 0.5, seed: 2, labels: false });
process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));

function jemda(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [JEMDA, ...args], { encoding: 'utf8', env: { ...process.env, JEMDA_NO_PROGRESS: '1' } });
  return { status: r.status, stderr: r.stderr };
}

test('bring your own model: the reference KWS CNN (no metadata, Softmax output) with --frontend-config and --labels', () => {
  const ref = path.join(ONNX_REF, 'cnn2d_kws_op13_nofold/model.onnx');
  // an independent reference beside the repository (as test/features/ref-data.ts): missing is a failure, not a skip
  assert.ok(fs.existsSync(ref), `${ref} missing (../shared/reference beside the repository)`);
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
  // the recommended --ebm-params bn does not apply to a model without BatchNorm: said, and all parameters train
  assert.match(r.stderr, /no BatchNorm scale\/bias: the energy terms train every parameter/);
  // asked for explicitly, it is an error
  const explicit = jemda([...args.slice(0, 1), '--frontend-config', path.join(dir, 'fe.json'), '--labels', path.join(dir, 'labels'), '--ebm-params', 'bn', ...args.slice(1, -1), path.join(dir, 'exp2')]);
  assert.notEqual(explicit.status, 0);
  assert.match(explicit.stderr, /--ebm-params bn: .* has no BatchNorm scale\/bias initializers/);
  const meta = getMetadata(loadModel(path.join(exp, 'adapted.onnx')));
  assert.equal(JSON.parse(meta['jemda.frontend']).numFrames, 98);
  assert.equal(JSON.parse(meta['jemda.labels']).length, 12);
});
