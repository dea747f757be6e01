/**
 * Issue 7, inputs: each bad input goes through the CLI; the exit status is 1 (a typed error, not
 * 2 = internal error) and the message names the file or utterance. Most command lines run in one
 * process through runCli() (cli-batch.mjs, same error mapping as scripts/jemda.mjs); two run as
 * real `node scripts/jemda.mjs` processes to prove the exit status end to end.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openMatrixWriter } from '../../src/data/kaldi-write.ts';
import { getMetadata, loadModel, saveModel, setMetadata } from '../../src/model/onnx-io.ts';
import { computeExample } from '../../src/engine/example-job.ts';
import { parseFrontEnd } from '../../src/model/frontend.ts';
import { AudioError, FeatureError } from '../../src/util/errors.ts';
import {
  jemda, jemdaBatch, makeTinyModel, makeToneDir, re, setWavEntry, sine, tempDir, wavPath, writeBadWav, writeWavAny, type CliResult,
} from './fixtures.ts';

let tmp = '';
const P = (...p: string[]) => path.join(tmp, ...p);
let R: Record<string, CliResult> = {};

const BAD_KINDS = ['truncated', 'corrupt', 'empty', 'short'] as const;
const BAD_WHAT: Record<string, RegExp> = {
  truncated: /truncated WAV/,
  corrupt: /corrupt WAV/,
  empty: /empty WAV/,
  short: /shorter than one frame/,
};

/** Copy of `src` whose wav.scp points into the copy. */
function copyDir(src: string, dst: string): void {
  fs.cpSync(src, dst, { recursive: true });
  const f = path.join(dst, 'wav.scp');
  fs.writeFileSync(f, fs.readFileSync(f, 'utf8').split(src + '/').join(dst + '/'));
}

function setup(): Record<string, string[]> {
  makeTinyModel(P('m.onnx'));
  makeToneDir(P('good'), 6, 1);

  // bad WAVs u0001..u0004, failing pipes u0005 (exit 3 + stderr) and u0006 (no output)
  makeToneDir(P('badwav'), 8, 2);
  BAD_KINDS.forEach((k, i) => writeBadWav(wavPath(P('badwav'), `u000${i + 1}`), k));
  setWavEntry(P('badwav'), 'u0005', `sh -c "echo boom >&2; exit 3" |`);
  setWavEntry(P('badwav'), 'u0006', `true |`);
  copyDir(P('badwav'), P('badwav-skip'));
  copyDir(P('badwav'), P('badwav-eval'));
  // the pipe alone, for the error (not the skip list)
  copyDir(P('good'), P('pipe'));
  setWavEntry(P('pipe'), 'u0002', `sh -c "echo boom >&2; exit 3" |`);

  // accepted formats: PCM 8/24/32, float32, stereo, 8 kHz, 44.1 kHz
  makeToneDir(P('fmt'), 7, 3);
  const x = sine(8000, 16000);
  writeWavAny(wavPath(P('fmt'), 'u0000'), 16000, '8', [x]);
  writeWavAny(wavPath(P('fmt'), 'u0001'), 16000, '24', [x]);
  writeWavAny(wavPath(P('fmt'), 'u0002'), 16000, '32', [x]);
  writeWavAny(wavPath(P('fmt'), 'u0003'), 16000, '32f', [x]);
  writeWavAny(wavPath(P('fmt'), 'u0004'), 16000, '16', [x, sine(8000, 16000, 1000)]);
  writeWavAny(wavPath(P('fmt'), 'u0005'), 8000, '16', [sine(4000, 8000)]);
  writeWavAny(wavPath(P('fmt'), 'u0006'), 44100, '16', [sine(22050, 44100)]);
  copyDir(P('fmt'), P('fmt-eval'));

  // data dir with structural problems: unsorted, duplicate id, missing file, utt2spk not covering wav.scp
  makeToneDir(P('dd'), 6, 4);
  {
    const f = P('dd', 'wav.scp');
    const w = fs.readFileSync(f, 'utf8').trimEnd().split('\n');
    [w[0], w[1]] = [w[1], w[0]];
    w.splice(4, 0, w[3]);
    w[w.length - 2] = w[w.length - 2].replace('u0004.wav', 'missing.wav');
    fs.writeFileSync(f, w.join('\n') + '\n');
    const u2s = fs.readFileSync(P('dd', 'utt2spk'), 'utf8').split('\n').filter((l) => !l.startsWith('u0005')).join('\n');
    fs.writeFileSync(P('dd', 'utt2spk'), u2s);
    fs.writeFileSync(P('dd', 'spk2utt'), u2s);
  }
  // a valid dir with a label outside the model's set
  makeToneDir(P('lab'), 6, 5, ['low', 'high', 'other']);

  // features with NaN (u0001) and Inf (u0002)
  fs.mkdirSync(P('nan'));
  const w = openMatrixWriter(`ark,scp:${P('nan', 'feats.ark')},${P('nan', 'feats.scp')}`);
  for (let i = 0; i < 3; i++) {
    const d = Float32Array.from({ length: 48 * 40 }, (_, k) => Math.sin(k));
    if (i === 1) d[77] = NaN;
    if (i === 2) d[5] = Infinity;
    w.write(`u000${i}`, { rows: 48, cols: 40, data: d });
  }
  w.close();
  const ids = 'u0000 u0000\nu0001 u0001\nu0002 u0002\n';
  fs.writeFileSync(P('nan', 'utt2spk'), ids);
  fs.writeFileSync(P('nan', 'spk2utt'), ids);
  fs.writeFileSync(P('nan', 'utt2label'), 'u0000 low\nu0001 high\nu0002 buzz\n');

  // models that do not fit the data: feature dim, layout, frame count; an 8-kHz model (accepted: resampled)
  for (const [name, patch] of [['fd', { featDim: 20 }], ['lay', { layout: 'BFT' }], ['nf', { numFrames: 30 }], ['sr', { sampleRate: 8000 }], ['cmvn', { cmvn: 'global', cmvnNormVars: false, cmvnMean: [0, 0, 0] }]] as const) {
    const m = loadModel(P('m.onnx'));
    setMetadata(m, { 'jemda.frontend': JSON.stringify({ ...JSON.parse(getMetadata(m)['jemda.frontend']), ...patch }) });
    saveModel(P(`mm-${name}.onnx`), m);
  }
  // ONNX files: not ONNX, truncated, unsupported op
  fs.writeFileSync(P('notonnx.onnx'), 'this is not a protobuf at all\n');
  fs.writeFileSync(P('trunc.onnx'), fs.readFileSync(P('m.onnx')).subarray(0, 500));
  const u = loadModel(P('m.onnx'));
  u.graph!.node![1].opType = 'FancyOp';
  saveModel(P('unsup.onnx'), u);

  const m = P('m.onnx');
  const ev = (model: string, dir: string, out = 'res') => ['eval', '--model', model, '--out', P(out), '--threads', '1', '--no-pxgrad', dir];
  const ad = (model: string, target: string, exp: string, ...more: string[]) => ['adapt', '--method', 'adabn', '--prior-match', 'off', '--model', model, '--target', target, '--threads', '1', ...more, P(exp)];
  const tr = (model: string, trainDir: string, exp: string) => ['train', '--model', model, '--backend', 'cpu', '--epochs', '1', '--speed-perturb', '', '--noise-copies', '0', trainDir, P('good'), P(exp)];
  return {
    fbankBad: ['compute-fbank', P('badwav')],
    fbankSkip: ['compute-fbank', '--skip-bad', P('badwav-skip')],
    fbankPipe: ['compute-fbank', P('pipe')],
    evalBad: ev(m, P('badwav-eval')),
    fbankFmt: ['compute-fbank', P('fmt')],
    evalFmt: ev(m, P('fmt-eval')),
    validate: ['validate-data-dir', '--model', m, P('dd')],
    validateLab: ['validate-data-dir', '--model', m, P('lab')],
    evalDd: ev(m, P('dd')),
    trainDd: tr(m, P('dd'), 'exp-train-dd'),
    adaptDd: ad(m, P('dd'), 'exp-adapt-dd'),
    evalLab: ev(m, P('lab')),
    trainLab: tr(m, P('lab'), 'exp-train-lab'),
    adaptLab: ['adapt', '--method', 'jem', '--model', m, '--source', P('lab'), '--target', P('good'), '--threads', '1', P('exp-adapt-lab')],
    evalNan: ev(m, P('nan')),
    adaptNan: ad(m, P('nan'), 'exp-adapt-nan'),
    evalFd: ev(P('mm-fd.onnx'), P('good')),
    trainFd: tr(P('mm-fd.onnx'), P('good'), 'exp-train-fd'),
    evalLay: ev(P('mm-lay.onnx'), P('good')),
    adaptLay: ad(P('mm-lay.onnx'), P('good'), 'exp-adapt-lay'),
    adaptNf: ad(P('mm-nf.onnx'), P('good'), 'exp-adapt-nf'),
    evalSr: ev(P('mm-sr.onnx'), P('good'), 'res-sr'),
    adaptCmvn: ad(P('mm-cmvn.onnx'), P('good'), 'exp-adapt-cmvn'),
    infoNot: ['model-info', P('notonnx.onnx')],
    infoTrunc: ['model-info', P('trunc.onnx')],
    infoUnsup: ['model-info', P('unsup.onnx')],
    evalNot: ev(P('notonnx.onnx'), P('good')),
    evalTrunc: ev(P('trunc.onnx'), P('good')),
    evalUnsup: ev(P('unsup.onnx'), P('good')),
    adaptNot: ad(P('notonnx.onnx'), P('good'), 'exp-adapt-not'),
    adaptTrunc: ad(P('trunc.onnx'), P('good'), 'exp-adapt-trunc'),
    adaptUnsup: ad(P('unsup.onnx'), P('good'), 'exp-adapt-unsup'),
  };
}

before(() => {
  tmp = tempDir();
  const cmds = setup();
  const names = Object.keys(cmds);
  const res = jemdaBatch(tmp, names.map((n) => cmds[n]));
  R = Object.fromEntries(names.map((n, i) => [n, res[i]]));
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Exit status 1 (typed error) and stderr matching every pattern. */
function fails(name: string, ...patterns: (RegExp | string)[]): void {
  const r = R[name];
  assert.equal(r.code, 1, `${name}: exit ${r.code}\n${r.err}`);
  assert.match(r.err, /jemda: error: /, name);
  for (const p of patterns) assert.match(r.err, typeof p === 'string' ? new RegExp(re(p)) : p, `${name}:\n${r.err}`);
}

test('bad WAVs: compute-fbank and eval name the utterance and file; --skip-bad lists every bad one', () => {
  fails('fbankBad', `utterance u0001 (${wavPath(P('badwav'), 'u0001')}): truncated WAV`);
  assert.ok(!fs.existsSync(P('badwav', 'feats.scp')), 'a failed compute-fbank leaves no feats.scp');
  fails('evalBad', `utterance u0001 (${wavPath(P('badwav-eval'), 'u0001')}): truncated WAV`);
  fails('fbankPipe', /utterance u0002 \(command 'sh -c "echo boom >&2; exit 3"'\): exit status 3; stderr: boom/);

  const s = R.fbankSkip;
  assert.equal(s.code, 0, s.err);
  assert.match(s.err, /6 of 8 utterances skipped; listed in .*skipped_utts\.txt/);
  const skipped = fs.readFileSync(P('badwav-skip', 'skipped_utts.txt'), 'utf8').trimEnd().split('\n');
  assert.deepEqual(skipped.map((l) => l.split(' ')[0]), ['u0001', 'u0002', 'u0003', 'u0004', 'u0005', 'u0006']);
  BAD_KINDS.forEach((k, i) => {
    assert.match(skipped[i], new RegExp(re(wavPath(P('badwav-skip'), `u000${i + 1}`))), k);
    assert.match(skipped[i], BAD_WHAT[k], k);
  });
  assert.match(skipped[4], /command 'sh -c "echo boom >&2; exit 3"'.*exit status 3; stderr: boom/);
  assert.match(skipped[5], /command 'true'.*produced no output/);
  const kept = fs.readFileSync(P('badwav-skip', 'feats.scp'), 'utf8').trimEnd().split('\n').map((l) => l.split(' ')[0]);
  assert.deepEqual(kept, ['u0000', 'u0007']);
});

test("eval's example reader (shared with train) gives the same typed errors for every bad WAV kind and pipe", () => {
  const fe = parseFrontEnd(getMetadata(loadModel(P('m.onnx')))['jemda.frontend'], 'm.onnx');
  const cases: [string, string, RegExp][] = [
    ...BAD_KINDS.map((k, i): [string, string, RegExp] => [`u000${i + 1}`, wavPath(P('badwav'), `u000${i + 1}`), BAD_WHAT[k]]),
    ['u0005', `sh -c "echo boom >&2; exit 3" |`, /exit status 3; stderr: boom/],
    ['u0006', 'true |', /produced no output/],
  ];
  for (const [utt, entry, what] of cases) {
    assert.throws(
      () => computeExample({ utt, kind: 'wav', entry }, { fe }),
      (e: unknown) => e instanceof AudioError && e.message.includes(`utterance ${utt} (`) && what.test(e.message) && (entry.endsWith('|') ? e.message.includes('command') : e.message.includes(entry)),
      `${utt} ${entry}`,
    );
  }
  // Inf in features, as NaN is shown through the CLI below
  const scp = fs.readFileSync(P('nan', 'feats.scp'), 'utf8').trimEnd().split('\n');
  const inf = scp[2].split(' ')[1];
  assert.throws(() => computeExample({ utt: 'u0002', kind: 'feats', entry: inf }, { fe }), (e: unknown) => e instanceof FeatureError && /utterance u0002 .*Infinity/.test((e as Error).message));
});

test('PCM 8/24/32-bit, float32, stereo, 8 kHz and 44.1 kHz WAVs are accepted; downmix and resampling are logged', () => {
  for (const name of ['fbankFmt', 'evalFmt']) {
    const r = R[name];
    assert.equal(r.code, 0, `${name}: ${r.err}`);
    assert.match(r.err, /u0004: downmixed 2 channels to mono/, name);
    assert.match(r.err, /u0005: resampled 8000 Hz → 16000 Hz/, name);
    assert.match(r.err, /u0006: resampled 44100 Hz → 16000 Hz/, name);
  }
  const frames = fs.readFileSync(P('fmt', 'utt2num_frames'), 'utf8').trimEnd().split('\n').map((l) => Number(l.split(' ')[1]));
  assert.deepEqual(frames, [48, 48, 48, 48, 48, 48, 48]);
  assert.equal(JSON.parse(fs.readFileSync(P('res', 'fmt-eval.json'), 'utf8')).n, 7);
});

test('data dir problems: validate-data-dir reports all; eval, train and adapt refuse with the same messages', () => {
  const v = R.validate;
  assert.equal(v.code, 1, v.err);
  const lines = v.out.trimEnd().split('\n');
  const expect = [/wav\.scp:2: not sorted .*'u0000' comes after 'u0001'/, /wav\.scp:5: duplicate id 'u0003'/, /'u0004': wav file not found: .*missing\.wav/, /utt2spk: utterance 'u0005' .*has no speaker/];
  for (const e of expect) assert.ok(lines.some((l) => e.test(l)), `${e} in\n${v.out}`);
  assert.equal(lines.length, 4, v.out);
  for (const name of ['evalDd', 'trainDd', 'adaptDd']) fails(name, `invalid data dir ${P('dd')}: 4 problems`, ...lines);
  // labels outside the model's label set
  const vl = R.validateLab;
  assert.equal(vl.code, 1, vl.err);
  assert.match(vl.out, /utt2label:3: label 'other' of 'u0002' is not in the label set \{low,high,buzz\}/);
  // one example loader: eval, train and adapt give the same error for an unknown label
  for (const name of ['evalLab', 'trainLab', 'adaptLab']) fails(name, P('lab'), /not in the model's label set.*'other' \(e\.g\. utterance u0002\)/);
});

test('features with NaN/Inf: an error naming the utterance', () => {
  for (const name of ['evalNan', 'adaptNan']) fails(name, /utterance u0001 \(.*feats\.ark:\d+\): features contain NaN/);
});

test('model vs data mismatch (feature dim, layout, frame count, CMVN) is an error before any compute; another sample rate is resampled', () => {
  for (const name of ['evalFd', 'trainFd']) fails(name, `${P('mm-fd.onnx')}: front end says featDim 20, but its fbank options give 40-dim features`);
  for (const name of ['evalLay', 'adaptLay']) fails(name, `${P('mm-lay.onnx')}: model input 'input' has shape [?, 48, 40], but the front end (layout BFT`);
  fails('adaptNf', `${P('mm-nf.onnx')}: model input 'input' has shape [?, 48, 40]`, 'numFrames 30');
  fails('adaptCmvn', `${P('mm-cmvn.onnx')}: global CMVN needs cmvnMean of length 40 (got 3)`);
  // before compute: no feature progress, no results
  for (const name of ['evalFd', 'evalLay']) assert.doesNotMatch(R[name].err, /resampled|eval: .*: n=/, name);
  assert.ok(!fs.existsSync(P('exp-adapt-lay', 'adapted.onnx')));
  assert.equal(R.evalSr.code, 0, R.evalSr.err);
  assert.match(R.evalSr.err, /resampled 16000 Hz → 8000 Hz/);
});

test('ONNX files that are not ONNX, truncated, or use an unsupported op: typed error, exit 1', () => {
  for (const [name, file] of [['infoNot', 'notonnx'], ['evalNot', 'notonnx'], ['adaptNot', 'notonnx'], ['infoTrunc', 'trunc'], ['evalTrunc', 'trunc'], ['adaptTrunc', 'trunc']]) {
    fails(name, `${P(`${file}.onnx`)}: not a valid ONNX model`);
  }
  // model-info reports unsupported ops (it is the tool to find them) and succeeds
  assert.equal(R.infoUnsup.code, 0, R.infoUnsup.err);
  assert.match(R.infoUnsup.out, /unsupported ops: FancyOp \(node #1 'fc1'\)/);
  fails('evalUnsup', /FancyOp/, /fc1/);
  fails('adaptUnsup', /FancyOp/, /fc1/);
  for (const [n, r] of Object.entries(R)) assert.notEqual(r.code, 2, `${n}: internal error\n${r.err}`);
});

test('real processes: the exit status is 1 and the message is on stderr', () => {
  const a = jemda('model-info', P('trunc.onnx'));
  assert.equal(a.code, 1, a.err);
  assert.match(a.err, new RegExp(`jemda: error: ${re(P('trunc.onnx'))}: not a valid ONNX model`));
  const b = jemda('compute-fbank', P('pipe'));
  assert.equal(b.code, 1, b.err);
  assert.match(b.err, /utterance u0002 \(command .*stderr: boom/);
});
