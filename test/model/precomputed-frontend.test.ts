/**
 * Precomputed-feature models (front end featureType 'precomputed'): features written by another
 * tool, here Kaldi-format archives written by `jemda copy-feats`, in data dirs that have no audio.
 * A model trained on jemda's fbank evaluates to the same accuracy and logits from them, with
 * per-utterance CMVN or with the stats of a cmvn.scp; jem adapts it on such a dir; a wrong feature
 * dimension is one error naming the utterance and the expected shape.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseFrontEnd } from '../../src/model/frontend.ts';
import { MismatchError } from '../../src/util/errors.ts';
import { makeDataDir } from '../adapt/tiny-setup.ts';

const JEMDA = path.resolve(import.meta.dirname, '../../scripts/jemda.mjs');
const jemda = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [JEMDA, ...args], { cwd, encoding: 'utf8', env: { ...process.env, JEMDA_NO_PROGRESS: '1' } });
/** The model's own front end: no CMVN (the test's tones are stationary: per-bin CMVN would erase them). */
const FBANK = { featureType: 'fbank', options: { 'num-mel-bins': 40, 'frame-length': 25, 'frame-shift': 10, 'snip-edges': true, dither: 0 }, cmvn: 'none', cmvnNormVars: false, layout: 'B1TF', numFrames: 32, padMode: 'center', featDim: 40, sampleRate: 16000 };
const PRE = { featureType: 'precomputed', featDim: 40, numFrames: 32, padMode: 'center', layout: 'B1TF', cmvn: 'none' };

test('precomputed front end: featDim, layout, cmvn and padMode checked; sampleRate optional', () => {
  const fe = parseFrontEnd(JSON.stringify(PRE), 'pre.json');
  assert.equal(fe.featureType, 'precomputed');
  assert.equal(fe.sampleRate, 0);
  assert.equal(parseFrontEnd(JSON.stringify({ ...PRE, cmvn: 'scp' }), 'x').cmvn, 'scp');
  for (const [bad, msg] of [
    [{ featDim: 0 }, /featDim must be a positive integer/],
    [{ layout: 'B1T' }, /layout must be B1TF, BFT or BTF/],
    [{ cmvn: 'per-spk' }, /cmvn must be none, per-utt, global or scp/],
    [{ numFrames: undefined }, /give numFrames/],
  ] as const) {
    assert.throws(() => parseFrontEnd(JSON.stringify({ ...PRE, ...bad }), 'pre.json'), (e: unknown) => e instanceof MismatchError && /^pre\.json: precomputed front end: /.test(e.message) && msg.test(e.message));
  }
  assert.throws(() => parseFrontEnd(JSON.stringify({ ...FBANK, cmvn: 'scp' }), 'f.json'), /cmvn 'scp' is for precomputed features/);
  assert.throws(() => parseFrontEnd(JSON.stringify({ ...FBANK, featureType: 'plp' }), 'f.json'), /featureType must be fbank, mfcc, raw or precomputed/);
});

test('a model on precomputed Kaldi features (copy-feats, no audio in the dirs): the fbank front end\'s accuracy, per-utt or cmvn.scp CMVN; jem adapts on them; a wrong dimension is named', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-pre-'));
  try {
    const ok = (r: ReturnType<typeof jemda>) => {
      assert.equal(r.status, 0, r.stderr);
      return r;
    };
    for (const [name, n, noise, gain, seed] of [['train', 60, 0.05, 1, 1], ['test', 30, 0.3, 0.5, 4], ['target', 60, 0.3, 0.5, 3]] as const) makeDataDir(path.join(dir, name), n, { noise, gain, seed, labels: true });
    fs.writeFileSync(path.join(dir, 'fbank.json'), JSON.stringify(FBANK));
    fs.writeFileSync(path.join(dir, 'pre.json'), JSON.stringify(PRE));
    // per-utterance CMVN two ways: jemda's own on the audio, and the stats of a cmvn.scp on the features
    fs.writeFileSync(path.join(dir, 'fbank-cmvn.json'), JSON.stringify({ ...FBANK, cmvn: 'per-utt', cmvnNormVars: true }));
    fs.writeFileSync(path.join(dir, 'pre-scp.json'), JSON.stringify({ ...PRE, cmvn: 'scp', cmvnNormVars: true }));
    ok(jemda(dir, 'build-model', '--arch', 'kws-cnn', '--channels', '8,16', '--frontend-config', 'fbank.json', '--labels', 'low,mid,high', 'init.onnx'));
    ok(jemda(dir, 'train', '--model', 'init.onnx', '--epochs', '6', '--batch-size', '16', '--lr', '3e-3', 'train', 'test', 'src'));
    // "another tool's" features: fbank without CMVN, copied into Kaldi archives of feature-only dirs
    for (const set of ['test', 'target']) {
      const tmp = path.join(dir, `${set}_wav`);
      fs.cpSync(path.join(dir, set), tmp, { recursive: true });
      ok(jemda(dir, 'compute-feats', '--frontend-config', 'fbank.json', tmp));
      const pre = path.join(dir, `${set}_pre`);
      fs.mkdirSync(pre);
      for (const f of ['utt2spk', 'spk2utt', 'utt2label']) fs.copyFileSync(path.join(tmp, f), path.join(pre, f));
      ok(jemda(dir, 'copy-feats', `scp:${tmp}/feats.scp`, `ark,scp:${pre}/feats.ark,${pre}/feats.scp`));
    }
    ok(jemda(dir, 'compute-cmvn-stats', '--per-utt', 'test_pre'));
    const evalOf = (out: string, ...args: string[]) => {
      ok(jemda(dir, 'eval', '--out', out, ...args));
      const set = path.basename(args[args.length - 1]);
      return JSON.parse(fs.readFileSync(path.join(dir, out, `${set}.json`), 'utf8')) as { accuracy: number; nll: number };
    };
    const fromWav = evalOf('r-wav', '--model', 'src/model.onnx', 'test');
    const fromPre = evalOf('r-pre', '--model', 'src/model.onnx', '--frontend-config', 'pre.json', 'test_pre');
    assert.equal(fromPre.accuracy, fromWav.accuracy);
    assert.ok(Math.abs(fromPre.nll - fromWav.nll) < 1e-5, `nll ${fromPre.nll} vs ${fromWav.nll}`);
    const wavCmvn = evalOf('r-wav-cmvn', '--model', 'src/model.onnx', '--frontend-config', 'fbank-cmvn.json', 'test');
    const fromScp = evalOf('r-scp', '--model', 'src/model.onnx', '--frontend-config', 'pre-scp.json', 'test_pre');
    assert.equal(fromScp.accuracy, wavCmvn.accuracy);
    assert.ok(Math.abs(fromScp.nll - wavCmvn.nll) < 1e-4, `nll with cmvn.scp ${fromScp.nll} vs per-utt CMVN ${wavCmvn.nll}`);
    // jem on the feature-only target dir
    ok(jemda(dir, 'adapt', '--method', 'jem', '--frontend-config', 'pre.json', '--steps', '8', '--batch-size', '16', '--sgld-batch-size', '16', '--sgld-steps', '5', '--buffer-size', '64',
      '--model', 'src/model.onnx', '--target', 'target_pre', '--prior-match', 'uniform', '--xent-weight', '0', '--marginal-prior', 'uniform', 'ad'));
    const adapted = evalOf('r-ad', '--model', 'ad/adapted.onnx', '--frontend-config', 'pre.json', 'test_pre');
    assert.ok(adapted.accuracy > 0.5, `jem on precomputed features: ${adapted.accuracy} (chance 0.33; source model ${fromPre.accuracy})`);
    // errors: a dimension the model does not take; a dir without feats.scp; cmvn 'scp' without cmvn.scp
    fs.writeFileSync(path.join(dir, 'pre13.json'), JSON.stringify({ ...PRE, featDim: 13 }));
    let e = jemda(dir, 'eval', '--model', 'src/model.onnx', '--frontend-config', 'pre13.json', '--out', 'r13', 'test_pre');
    assert.equal(e.status, 1);
    assert.match(e.stderr, /model input 'input' has shape \[\?, 1, 32, 40\], but the front end \(layout B1TF, featDim 13, numFrames 32\) gives \[\?, 1, 32, 13\]/);
    // features of another dimension in feats.scp (13 MFCCs): one error naming the utterance and the shape
    const mfcc = path.join(dir, 'test_mfcc');
    fs.cpSync(path.join(dir, 'test'), mfcc, { recursive: true });
    fs.writeFileSync(path.join(dir, 'mfcc.json'), JSON.stringify({ ...FBANK, featureType: 'mfcc', options: { 'num-ceps': 13, 'snip-edges': true, dither: 0 }, featDim: 13 }));
    ok(jemda(dir, 'compute-feats', '--frontend-config', 'mfcc.json', mfcc));
    fs.rmSync(path.join(mfcc, 'wav.scp'));
    e = jemda(dir, 'eval', '--model', 'src/model.onnx', '--frontend-config', 'pre.json', '--out', 'r-mfcc', mfcc);
    assert.equal(e.status, 1);
    assert.match(e.stderr, /^jemda: error: utterance utt000: 13-dim features, but the model takes 40-dim precomputed features \(input shape \[B, 1, 32, 40\]\)$/m);
    e = jemda(dir, 'eval', '--model', 'src/model.onnx', '--frontend-config', 'pre.json', '--out', 'r-nofeats', 'test');
    assert.equal(e.status, 1);
    assert.match(e.stderr, /test: the model's front end is 'precomputed', but there is no feats\.scp/);
    fs.rmSync(path.join(dir, 'target_pre', 'cmvn.scp'), { force: true });
    e = jemda(dir, 'eval', '--model', 'src/model.onnx', '--frontend-config', 'pre-scp.json', '--out', 'r-nocmvn', 'target_pre');
    assert.equal(e.status, 1);
    assert.match(e.stderr, /target_pre: the front end's cmvn is 'scp', but there is no cmvn\.scp/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
