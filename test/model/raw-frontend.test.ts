/**
 * Raw-waveform models (front end featureType 'raw'): the front end's parsing and input rules, the
 * in-graph log-mel's DFT kernels against the FFT, and a kws-cnn on the waveform end to end with
 * the CLI: built, trained on clean tones, evaluated, adapted with --method jem (SGLD on the
 * waveform), evaluated on a noisy, quieter target domain, all above chance; sampled with jemda sample; a length that the
 * 'exact' policy cannot take is one error naming the utterance and the expected shape.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RealFft } from '../../src/audio/fft.ts';
import { frontEndInput } from '../../src/engine/frontend-apply.ts';
import { parseFrontEnd } from '../../src/model/frontend.ts';
import { dftKernels, logMelFrames } from '../../src/model/builders/logmel.ts';
import { globalStd, scaleSgldConfig, sgldScaleFor } from '../../src/adapt/sgld-scale.ts';
import { defaultAdaptConfig } from '../../src/adapt/config.ts';
import { MismatchError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';
import { makeDataDir } from '../adapt/tiny-setup.ts';

const JEMDA = path.resolve(import.meta.dirname, '../../scripts/jemda.mjs');
const jemda = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [JEMDA, ...args], { cwd, encoding: 'utf8', env: { ...process.env, JEMDA_NO_PROGRESS: '1' } });
const RAW = { featureType: 'raw', sampleRate: 16000, numSamples: 4000, padMode: 'center', layout: 'B1T' };

test('raw front end: numSamples is the input length, featDim 1; bad fields are errors naming the file', () => {
  const fe = parseFrontEnd(JSON.stringify(RAW), 'fe.json');
  assert.equal(fe.numFrames, 4000);
  assert.equal(fe.featDim, 1);
  assert.equal(fe.scale, 'unit');
  assert.equal(fe.cmvn, 'none');
  assert.equal(parseFrontEnd(JSON.stringify({ ...RAW, numSamples: null }), 'x').numFrames, null);
  for (const [bad, msg] of [
    [{ layout: 'B1TF' }, /layout must be BT or B1T/],
    [{ featDim: 40 }, /featDim must be 1/],
    [{ scale: 'int8' }, /scale must be 'unit' or 'int16'/],
    [{ numSamples: 0 }, /numSamples must be a positive integer or null/],
    [{ sampleRate: 0 }, /sampleRate must be a positive integer/],
    [{ cmvn: 'global' }, /cmvn must be 'none' or 'per-utt'/],
  ] as const) {
    assert.throws(() => parseFrontEnd(JSON.stringify({ ...RAW, ...bad }), 'fe.json'), (e: unknown) => e instanceof MismatchError && /^fe\.json: raw front end: /.test(e.message) && msg.test(e.message));
  }
  assert.throws(() => parseFrontEnd(JSON.stringify({ featureType: 'fbank', layout: 'B1T', featDim: 40, sampleRate: 16000 }), 'f'), /layout B1T is for raw waveforms/);
});

test('raw front end input: int16 scale, per-utterance standardisation, centre crop and pad, layouts BT and B1T; exact length or an error naming the utterance and the shape', () => {
  const x = Float32Array.from({ length: 10 }, (_, i) => (i - 4.5) / 10);
  const fe = parseFrontEnd(JSON.stringify({ ...RAW, numSamples: 6, scale: 'int16' }), 'x');
  const a = frontEndInput(fe, x);
  assert.deepEqual(a.shape, [1, 6]);
  assert.deepEqual([...a.data], [2, 3, 4, 5, 6, 7].map((i) => ((i - 4.5) / 10) * 32768).map((v) => Math.fround(v)));
  const b = frontEndInput(parseFrontEnd(JSON.stringify({ ...RAW, numSamples: 12, layout: 'BT', cmvn: 'per-utt' }), 'x'), x);
  assert.deepEqual(b.shape, [12]);
  assert.equal(b.data[0], 0);
  assert.equal(b.data[11], 0);
  const mid = b.data.subarray(1, 11);
  const m = mid.reduce((s, v) => s + v, 0) / 10;
  assert.ok(Math.abs(m) < 1e-6 && Math.abs(Math.sqrt(mid.reduce((s, v) => s + (v - m) ** 2, 0) / 10) - 1) < 1e-5);
  const exact = parseFrontEnd(JSON.stringify({ ...RAW, padMode: 'exact' }), 'x');
  assert.throws(() => frontEndInput(exact, x, 'spk1_utt7'), (e: unknown) => e instanceof MismatchError && e.message === "utterance spk1_utt7: 10 samples at 16000 Hz, but the model takes exactly 4000 (padMode 'exact'; input shape [B, 1, 4000])");
});

test('the in-graph DFT kernels (windowed cosines and sines) give the FFT power spectrum of the windowed frame', () => {
  const o = { sampleRate: 16000, frameLength: 400, frameShift: 160, fftSize: 512, melBins: 40 };
  const { cos, sin, bins } = dftKernels(o);
  assert.equal(bins, 256);
  const rng = new Rng(5);
  const x = Float64Array.from({ length: 400 }, () => rng.normal());
  const w = Float64Array.from({ length: 400 }, (_, n) => 0.54 - 0.46 * Math.cos((2 * Math.PI * n) / 399));
  const fft = new RealFft(512);
  const power = new Float64Array(257);
  fft.powerSpectrum(x.map((v, n) => v * w[n]), 0, 400, power, 0);
  let worst = 0;
  for (let k = 0; k < bins; k++) {
    let re = 0, im = 0;
    for (let n = 0; n < 400; n++) {
      re += cos[k * 400 + n] * x[n];
      im += sin[k * 400 + n] * x[n];
    }
    worst = Math.max(worst, Math.abs(re * re + im * im - power[k]) / (power[k] + 1));
  }
  assert.ok(worst < 1e-4, `relative power error ${worst}`);
  assert.equal(logMelFrames(16000, o), 98);
  assert.equal(logMelFrames(4000, o), 23);
  assert.equal(logMelFrames(399, o), 0);
});

test('SGLD scale: a raw model carries step size and noise over to the waveform std (α·s², σ·s); features and --sgld-scale none keep them', () => {
  const x = Float32Array.from([0.1, -0.1, 0.1, -0.1]);
  assert.ok(Math.abs(globalStd(x) - 0.1) < 1e-7);
  const cfg = { ...defaultAdaptConfig, sgldStepSize: 2, sgldNoise: 0.01 };
  const s = sgldScaleFor(cfg, { featureType: 'raw' }, x);
  const c = scaleSgldConfig(cfg, s);
  assert.ok(Math.abs(c.sgldStepSize - 0.02) < 1e-9 && Math.abs((c.sgldNoise as number) - 0.001) < 1e-9);
  assert.equal(sgldScaleFor(cfg, { featureType: 'fbank' }, x), 1);
  assert.equal(sgldScaleFor({ sgldScale: 'none' }, { featureType: 'raw' }, x), 1);
  assert.equal(scaleSgldConfig({ ...cfg, sgldNoise: 'langevin' }, 0.5).sgldNoise, 'langevin');
  assert.throws(() => sgldScaleFor(cfg, { featureType: 'raw' }, new Float32Array(8)), /silent/);
});

test('a raw-waveform kws-cnn (its own log-mel in the graph): built, trained, evaluated, adapted with jem on a shifted domain, all above chance', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-raw-'));
  try {
    makeDataDir(path.join(dir, 'train'), 60, { noise: 0.05, gain: 1, seed: 1, labels: true });
    makeDataDir(path.join(dir, 'dev'), 30, { noise: 0.05, gain: 1, seed: 2, labels: true });
    makeDataDir(path.join(dir, 'target'), 60, { noise: 0.3, gain: 0.5, seed: 3, labels: true });
    makeDataDir(path.join(dir, 'target_test'), 30, { noise: 0.3, gain: 0.5, seed: 4, labels: true });
    fs.writeFileSync(path.join(dir, 'fe.json'), JSON.stringify(RAW));
    const ok = (r: ReturnType<typeof jemda>) => {
      assert.equal(r.status, 0, r.stderr);
      return r;
    };
    ok(jemda(dir, 'build-model', '--arch', 'kws-cnn', '--channels', '8,16', '--frontend-config', 'fe.json', '--labels', 'low,mid,high', 'init.onnx'));
    ok(jemda(dir, 'train', '--model', 'init.onnx', '--epochs', '20', '--batch-size', '16', '--lr', '1e-2', 'train', 'dev', 'src'));
    const acc = (model: string, set: string) => {
      ok(jemda(dir, 'eval', '--model', model, '--out', `res-${path.basename(path.dirname(model))}`, set));
      return (JSON.parse(fs.readFileSync(path.join(dir, `res-${path.basename(path.dirname(model))}`, `${set}.json`), 'utf8')) as { accuracy: number }).accuracy;
    };
    const dev = acc('src/model.onnx', 'dev');
    assert.ok(dev >= 0.8, `source model on clean dev: ${dev}`);
    const r = ok(jemda(dir, 'adapt', '--method', 'jem', '--steps', '12', '--batch-size', '16', '--sgld-batch-size', '16', '--sgld-steps', '5', '--buffer-size', '64',
      '--model', 'src/model.onnx', '--source', 'train', '--target', 'target', 'ad'));
    assert.match(r.stderr, /SGLD on raw waveforms \(scale s = 0\.\d+/);
    const adapted = acc('ad/adapted.onnx', 'target_test');
    assert.ok(adapted > 0.5, `jem-adapted raw model on the target test set: ${adapted} (chance 0.33)`);
    // jemda sample draws waveforms in the target's scale; without data it cannot know that scale
    const smp = ok(jemda(dir, 'sample', '--model', 'src/model.onnx', '--data', 'target', '--num', '3', '--sgld-steps', '3', '--out', 'smp'));
    assert.match(smp.stderr, /SGLD on raw waveforms \(scale s = 0\.\d+\): step size 1·s² = /);
    assert.equal(fs.readFileSync(path.join(dir, 'smp', 'samples.scp'), 'utf8').trim().split('\n').length, 3);
    const noData = jemda(dir, 'sample', '--model', 'src/model.onnx', '--num', '3', '--out', 'smp2');
    assert.equal(noData.status, 1);
    assert.match(noData.stderr, /sampling a raw-waveform model needs --data/);
    // compute-feats has nothing to compute for a raw front end
    const cf = jemda(dir, 'compute-feats', '--frontend-config', 'fe.json', 'dev');
    assert.equal(cf.status, 1);
    assert.match(cf.stderr, /a raw front end has no features to compute/);
    // an exact-length model and utterances of another length: one error naming the utterance and the shape
    fs.writeFileSync(path.join(dir, 'fe-exact.json'), JSON.stringify({ ...RAW, numSamples: 3000, padMode: 'exact' }));
    ok(jemda(dir, 'build-model', '--arch', 'kws-cnn', '--channels', '8,16', '--frontend-config', 'fe-exact.json', '--labels', 'low,mid,high', 'exact.onnx'));
    const e = jemda(dir, 'eval', '--model', 'exact.onnx', '--out', 'res-exact', 'dev');
    assert.equal(e.status, 1);
    assert.match(e.stderr, /^jemda: error: utterance utt000: 4000 samples at 16000 Hz, but the model takes exactly 3000 \(padMode 'exact'; input shape \[B, 1, 3000\]\)$/m);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
