import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { applyEffect, parseRange, perturbDataDir, uttSeed } from '../../src/data/perturb-dir.ts';
import { encodeWav16, readWav } from '../../src/audio/wav.ts';
import { readEntry } from '../../src/audio/load.ts';
import { energy } from '../../src/audio/effects/index.ts';
import { readDataDir } from '../../src/data/datadir.ts';
import { validateDataDir } from '../../src/data/validate.ts';
import { Rng } from '../../src/util/rng.ts';
import { setQuiet } from '../../src/util/log.ts';

setQuiet(true);
process.env.JEMDA_NO_PROGRESS = '1';

const RATE = 16000;

/** A word-like test clip: a decaying chirp plus a little seeded noise, peak below 0.5. */
function clip(seed: number, n = RATE): Float32Array {
  const rng = new Rng(seed);
  const x = new Float32Array(n);
  const f0 = 200 + 300 * rng.uniform();
  for (let i = 0; i < n; i++) {
    const t = i / RATE;
    const env = Math.exp(-3 * Math.abs(t - 0.5)) * (t > 0.2 && t < 0.8 ? 1 : 0.05);
    x[i] = 0.35 * env * Math.sin(2 * Math.PI * (f0 + 400 * t) * t) + 0.002 * rng.normal();
  }
  return x;
}

/** A source data dir with 6 utterances (3 speakers, labels, domains, one utterance from segments). */
function makeSrc(root: string): string {
  const dir = path.join(root, 'src');
  fs.mkdirSync(path.join(dir, 'wav'), { recursive: true });
  const utts = ['spkA-yes-1', 'spkA-no-2', 'spkB-up-1', 'spkB-down-2', 'spkC-go-1'];
  const wav: string[] = [], u2s: string[] = [], u2l: string[] = [], u2d: string[] = [], u2dur: string[] = [];
  utts.forEach((u, i) => {
    const f = path.join(dir, 'wav', `${u}.wav`);
    fs.writeFileSync(f, encodeWav16(clip(i + 1), RATE));
    wav.push(`${u} ${f}\n`);
    u2s.push(`${u} ${u.split('-')[0]}\n`);
    u2l.push(`${u} ${u.split('-')[1]}\n`);
    u2d.push(`${u} flite\n`);
    u2dur.push(`${u} 1\n`);
  });
  // a pipe entry too (cat of a WAV), as Kaldi wav.scp allows
  const extra = 'spkC-off-2';
  const f = path.join(dir, 'wav', `${extra}.wav`);
  fs.writeFileSync(f, encodeWav16(clip(9), RATE));
  wav.push(`${extra} cat ${f} |\n`);
  u2s.push(`${extra} spkC\n`);
  u2l.push(`${extra} off\n`);
  u2d.push(`${extra} flite\n`);
  u2dur.push(`${extra} 1\n`);
  const sorted = (a: string[]) => a.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)).join('');
  fs.writeFileSync(path.join(dir, 'wav.scp'), sorted(wav));
  fs.writeFileSync(path.join(dir, 'utt2spk'), sorted(u2s));
  fs.writeFileSync(path.join(dir, 'utt2label'), sorted(u2l));
  fs.writeFileSync(path.join(dir, 'utt2domain'), sorted(u2d));
  fs.writeFileSync(path.join(dir, 'utt2dur'), sorted(u2dur));
  return dir;
}

function samplesOf(dir: string): Map<string, Float32Array> {
  const d = readDataDir(dir);
  const out = new Map<string, Float32Array>();
  for (const [u, e] of d.wavScp) out.set(u, readEntry(e, u).samples);
  return out;
}

function withTmp(fn: (root: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-perturb-'));
    try {
      await fn(root);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  };
}

test('reverse: reversed samples exactly, twice = identity (bit-exact 16-bit), labels/spk copied, domain tagged', withTmp(async (root) => {
  const src = makeSrc(root);
  const r1 = path.join(root, 'rev1'), r2 = path.join(root, 'rev2');
  const res = await perturbDataDir({ src, out: r1, effect: 'reverse', showProgress: false });
  assert.equal(res.numUtts, 6);
  await perturbDataDir({ src: r1, out: r2, effect: 'reverse', showProgress: false });
  const a = samplesOf(src), b = samplesOf(r1), c = samplesOf(r2);
  assert.deepEqual([...b.keys()], [...a.keys()]);
  for (const [u, x] of a) {
    const y = b.get(u)!;
    assert.equal(y.length, x.length);
    for (const i of [0, 1, 1234, x.length - 1]) assert.equal(y[i], x[x.length - 1 - i]);
    assert.deepEqual(c.get(u), x, `${u}: reverse twice is not the identity`);
  }
  const ds = readDataDir(src), d1 = readDataDir(r1), d2 = readDataDir(r2);
  assert.deepEqual(d1.utt2label, ds.utt2label);
  assert.deepEqual(d1.utt2spk, ds.utt2spk);
  assert.deepEqual(d1.spk2utt, ds.spk2utt);
  assert.deepEqual(d1.utt2dur, ds.utt2dur);
  for (const [, dom] of d1.utt2domain!) assert.equal(dom, 'flite+reverse');
  for (const [, dom] of d2.utt2domain!) assert.equal(dom, 'flite+reverse+reverse');
  // every wav.scp entry is OUT/wav/<utt>.wav, 16-bit, and the dir validates
  for (const [u, e] of d1.wavScp) assert.equal(e, path.join(path.resolve(r1), 'wav', `${u}.wav`));
  assert.equal(readWav(d1.wavScp.get('spkA-yes-1')!).bitDepth, 16);
  assert.deepEqual(validateDataDir(r1), []);
  // no staging or temp dirs left next to OUT
  assert.deepEqual(fs.readdirSync(root).sort(), ['rev1', 'rev2', 'src']);
}));

test('noise: SNR measured back (against the 16-bit source) within 0.1 dB, range respected', withTmp(async (root) => {
  const src = makeSrc(root);
  const out = path.join(root, 'noisy');
  await perturbDataDir({ src, out, effect: 'noise', snrDb: [5, 5], noiseKinds: ['white'], seed: 3, showProgress: false });
  const a = samplesOf(src), b = samplesOf(out);
  for (const [u, x] of a) {
    const y = b.get(u)!;
    const n = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) n[i] = y[i] - x[i];
    const snr = 10 * Math.log10(energy(x) / energy(n));
    assert.ok(Math.abs(snr - 5) < 0.1, `${u}: SNR ${snr.toFixed(3)} dB, wanted 5`);
  }
  // a range: each utterance's SNR lies inside it and they differ
  const out2 = path.join(root, 'noisy2');
  await perturbDataDir({ src, out: out2, effect: 'noise', snrDb: [0, 20], seed: 3, showProgress: false });
  const c = samplesOf(out2);
  const snrs: number[] = [];
  for (const [u, x] of a) {
    const y = c.get(u)!;
    let en = 0;
    for (let i = 0; i < x.length; i++) en += (y[i] - x[i]) ** 2;
    snrs.push(10 * Math.log10(energy(x) / en));
  }
  for (const s of snrs) assert.ok(s > -0.1 && s < 20.1, `SNR ${s} outside [0, 20]`);
  assert.ok(Math.max(...snrs) - Math.min(...snrs) > 1, `SNRs do not vary: ${snrs.join(' ')}`);
}));

test('determinism: same seed → byte-identical WAVs for nj 1 and 2; another seed differs; re-run is idempotent', withTmp(async (root) => {
  const src = makeSrc(root);
  const o1 = path.join(root, 'o1'), o2 = path.join(root, 'o2'), o3 = path.join(root, 'o3');
  await perturbDataDir({ src, out: o1, effect: 'reverb', seed: 7, nj: 1, showProgress: false });
  await perturbDataDir({ src, out: o2, effect: 'reverb', seed: 7, nj: 2, showProgress: false });
  await perturbDataDir({ src, out: o3, effect: 'reverb', seed: 8, nj: 1, showProgress: false });
  const bytes = (d: string, u: string) => fs.readFileSync(path.join(d, 'wav', `${u}.wav`));
  const utts = [...readDataDir(src).wavScp.keys()];
  for (const u of utts) {
    assert.ok(bytes(o1, u).equals(bytes(o2, u)), `${u}: nj 1 vs 2 differ`);
    assert.ok(!bytes(o1, u).equals(bytes(o3, u)), `${u}: seeds 7 and 8 gave the same audio`);
  }
  // re-running into the same OUT replaces it with identical bytes (and no stale files)
  fs.writeFileSync(path.join(o1, 'feats.scp'), 'stale x.ark:1\n');
  const before = utts.map((u) => bytes(o1, u));
  await perturbDataDir({ src, out: o1, effect: 'reverb', seed: 7, nj: 2, showProgress: false });
  utts.forEach((u, i) => assert.ok(bytes(o1, u).equals(before[i])));
  assert.equal(fs.existsSync(path.join(o1, 'feats.scp')), false);
  // the per-utterance seed is hash(utt) ^ seed
  assert.notEqual(uttSeed('a', 1), uttSeed('b', 1));
  assert.equal((uttSeed('a', 0) ^ 5) >>> 0, uttSeed('a', 5));
}));

test('speed/gain/telephone: lengths, gain ratio, utt2dur from the output', withTmp(async (root) => {
  const src = makeSrc(root);
  const sp = path.join(root, 'speed');
  await perturbDataDir({ src, out: sp, effect: 'speed', factor: [1.25, 1.25], showProgress: false });
  const d = readDataDir(sp);
  for (const [u, e] of d.wavScp) {
    const n = readEntry(e, u).samples.length;
    assert.ok(Math.abs(n - RATE / 1.25) <= 1, `${u}: ${n} samples after speed 1.25`);
    assert.ok(Math.abs(d.utt2dur!.get(u)! - 0.8) < 1e-3);
  }
  const g = path.join(root, 'gain');
  await perturbDataDir({ src, out: g, effect: 'gain', gainDb: [-6, -6], showProgress: false });
  const a = samplesOf(src), b = samplesOf(g);
  for (const [u, x] of a) {
    const ratio = 10 * Math.log10(energy(b.get(u)!) / energy(x));
    assert.ok(Math.abs(ratio + 6) < 0.05, `${u}: gain ${ratio} dB`);
  }
  // telephone: little energy left above 4 kHz (zero crossings of a 6 kHz tone vanish)
  const tone = new Float32Array(RATE);
  for (let i = 0; i < RATE; i++) tone[i] = 0.5 * Math.sin((2 * Math.PI * 6000 * i) / RATE);
  const y = applyEffect(tone, RATE, new Rng(1), { effect: 'telephone' });
  assert.equal(y.length, RATE);
  assert.ok(energy(y) / energy(tone) < 1e-3, `6 kHz tone kept ${energy(y) / energy(tone)} of its energy`);
}));

test('options and errors: ranges parsed, bad values named; CLI end to end', withTmp(async (root) => {
  assert.deepEqual(parseRange('0,10', 'snr-db'), [0, 10]);
  assert.deepEqual(parseRange('5', 'snr-db'), [5, 5]);
  assert.throws(() => parseRange('10,0', 'snr-db'), /--snr-db/);
  assert.throws(() => parseRange('x', 'rt60'), /--rt60/);
  const src = makeSrc(root);
  await assert.rejects(perturbDataDir({ src, out: src, effect: 'reverse', showProgress: false }), /same directory/);
  await assert.rejects(perturbDataDir({ src, out: path.join(root, 'o'), effect: 'reverb', rt60: [0, 0.5], showProgress: false }), /--rt60/);
  const out = path.join(root, 'cli');
  const r = spawnSync(process.execPath, ['scripts/jemda.mjs', 'perturb-data-dir', '--effect', 'noise', '--snr-db', '10', '--seed', '2', src, out], {
    env: { ...process.env, JEMDA_NO_PROGRESS: '1' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const d = readDataDir(out);
  assert.equal(d.wavScp.size, 6);
  assert.deepEqual(d.utt2label, readDataDir(src).utt2label);
  assert.deepEqual(validateDataDir(out), []);
  const bad = spawnSync(process.execPath, ['scripts/jemda.mjs', 'perturb-data-dir', '--effect', 'noise', '--snr-db', 'a,b', src, path.join(root, 'bad')], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--snr-db/);
}));
