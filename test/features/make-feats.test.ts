import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { writeWav16 } from '../../src/audio/wav.ts';
import { readMatrices, readMatrixMap } from '../../src/data/kaldi-read.ts';
import { applyCmvnTables, computeCmvnStatsForDir } from '../../src/features/cmvn-data.ts';
import { computeFbank, computeMfcc } from '../../src/features/extract.ts';
import { makeFeats, splitJobs } from '../../src/features/make-feats.ts';
import { JemdaError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-feats-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const rng = new Rng(11);
const audio = new Map<string, Float32Array>();
function makeDir(name: string, extra: Record<string, string> = {}): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  const wav: string[] = [], u2s: string[] = [];
  for (const spk of ['spkA', 'spkB']) {
    for (let i = 0; i < 3; i++) {
      const utt = `${spk}-u${i}`;
      const x = new Float32Array(8000 + 1600 * i).map((_, t) => 0.2 * Math.sin(t * (0.05 + 0.01 * i)) + 0.02 * rng.normal());
      const file = path.join(tmp, `${utt}.wav`);
      writeWav16(file, x, 16000);
      audio.set(utt, readBack(x));
      wav.push(`${utt} ${file}`);
      u2s.push(`${utt} ${spk}`);
    }
  }
  for (const [k, v] of Object.entries(extra)) wav.push(`${k} ${v}`), u2s.push(`${k} spkB`);
  fs.writeFileSync(path.join(dir, 'wav.scp'), wav.sort().join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'utt2spk'), u2s.sort().join('\n') + '\n');
  return dir;
}
// what the WAV holds after int16 quantisation
function readBack(x: Float32Array): Float32Array {
  return x.map((v) => Math.max(-32768, Math.min(32767, Math.round(v * 32768))) / 32768);
}

test('splitJobs makes contiguous near-equal parts', () => {
  assert.deepEqual(splitJobs([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4, 5]]);
  assert.deepEqual(splitJobs([1], 3), [[1]]);
});

test('makeFeats (1 job and 2 worker jobs) writes Kaldi arks + sorted feats.scp equal to computeFbank', async () => {
  const dir = makeDir('d1');
  const r1 = await makeFeats({ type: 'fbank', dataDir: dir, featOpts: { 'num-mel-bins': 23 }, showProgress: false });
  assert.equal(r1.numDone, 6);
  const lines = fs.readFileSync(path.join(dir, 'feats.scp'), 'utf8').trim().split('\n');
  assert.deepEqual(lines.map((l) => l.split(' ')[0]), [...audio.keys()].filter((k) => k.startsWith('spk')).sort());
  const one = readMatrixMap(`scp:${path.join(dir, 'feats.scp')}`);
  assert.match(fs.readFileSync(path.join(dir, 'utt2num_frames'), 'utf8'), /^spkA-u0 48\nspkA-u1 58\n/);
  for (const [utt, m] of one) assert.deepEqual(m.data, computeFbank(audio.get(utt)!, { 'num-mel-bins': 23 }).data, utt);
  const r2 = await makeFeats({ type: 'fbank', dataDir: dir, nj: 2, featOpts: { 'num-mel-bins': 23 }, showProgress: false });
  assert.equal(r2.arks.length, 2);
  assert.ok(fs.existsSync(path.join(dir, 'data', 'raw_fbank_d1.2.ark')));
  const two = readMatrixMap(`scp:${path.join(dir, 'feats.scp')}`);
  for (const [utt, m] of two) assert.deepEqual(m.data, one.get(utt)!.data, utt);
});

test('bad utterances: fail naming the utterance, or --skip-bad lists them', async () => {
  const dir = makeDir('d2', { 'spkB-zbad': path.join(tmp, 'missing.wav'), 'spkB-zshort': writeShort() });
  await assert.rejects(makeFeats({ type: 'mfcc', dataDir: dir, showProgress: false }), (e: Error) => e instanceof JemdaError && /spkB-zbad/.test(e.message));
  await assert.rejects(makeFeats({ type: 'mfcc', dataDir: dir, nj: 3, showProgress: false }), (e: Error) => e instanceof JemdaError && /spkB-zbad.*missing\.wav/.test(e.message));
  assert.deepEqual(fs.readdirSync(path.join(dir, 'data')).filter((f) => f.includes('.tmp-')), []);
  const r = await makeFeats({ type: 'mfcc', dataDir: dir, skipBad: true, nj: 2, showProgress: false });
  assert.equal(r.numDone, 6);
  const skipped = fs.readFileSync(path.join(dir, 'skipped_utts.txt'), 'utf8');
  assert.match(skipped, /^spkB-zbad /m);
  assert.match(skipped, /^spkB-zshort .*shorter than one frame/m);
  const m = readMatrixMap(`scp:${path.join(dir, 'feats.scp')}`);
  assert.equal(m.size, 6);
  assert.deepEqual(m.get('spkA-u1')!.data, computeMfcc(audio.get('spkA-u1')!).data);
});

function writeShort(): string {
  const f = path.join(tmp, 'short.wav');
  writeWav16(f, new Float32Array(100), 16000);
  return f;
}

test('compute-cmvn-stats per-utt / per-spk / global and apply-cmvn', async () => {
  const dir = makeDir('d3');
  await makeFeats({ type: 'fbank', dataDir: dir, featOpts: { 'num-mel-bins': 10 }, showProgress: false });
  const feats = readMatrixMap(`scp:${path.join(dir, 'feats.scp')}`);
  const r = computeCmvnStatsForDir(dir, 'per-spk');
  assert.equal(r.numKeys, 2);
  const st = readMatrixMap(`scp:${r.cmvnScp}`);
  const a = st.get('spkA')!;
  assert.deepEqual([a.rows, a.cols], [2, 11]);
  assert.ok(a.data64, 'stats are stored as double');
  let frames = 0, sum0 = 0;
  for (const [u, m] of feats) if (u.startsWith('spkA')) { frames += m.rows; for (let t = 0; t < m.rows; t++) sum0 += m.data[t * 10]; }
  assert.equal(a.data64![10], frames);
  assert.equal(a.data64![21], 0);
  assert.ok(Math.abs(a.data64![0] - sum0) < 1e-3 * Math.abs(sum0));
  assert.equal(computeCmvnStatsForDir(dir, 'global').numKeys, 1);
  assert.equal(computeCmvnStatsForDir(dir, 'per-utt').numKeys, 6);
  const out = path.join(tmp, 'cmvn.ark');
  applyCmvnTables(`scp:${path.join(dir, 'feats.scp')}`, `ark:${out}`, { normVars: true, cmvnRspec: `scp:${path.join(dir, 'cmvn.scp')}` });
  for (const [, m] of readMatrices(`ark:${out}`)) {
    let s = 0, s2 = 0;
    for (let t = 0; t < m.rows; t++) { s += m.data[t * 10 + 3]; s2 += m.data[t * 10 + 3] ** 2; }
    assert.ok(Math.abs(s / m.rows) < 1e-4 && Math.abs(s2 / m.rows - 1) < 1e-3);
  }
});

test('CLI: compute-mfcc, compute-cmvn-stats, apply-cmvn', () => {
  const dir = makeDir('d4');
  const run = (...args: string[]) => spawnSync(process.execPath, ['scripts/jemda.mjs', ...args], { encoding: 'utf8', env: { ...process.env, JEMDA_NO_PROGRESS: '1' } });
  let r = run('compute-mfcc', '--num-ceps', '10', '--snip-edges', 'false', dir);
  assert.equal(r.status, 0, r.stderr);
  const m = readMatrixMap(`scp:${path.join(dir, 'feats.scp')}`).get('spkA-u0')!;
  assert.deepEqual([m.rows, m.cols], [50, 10]);
  r = run('compute-cmvn-stats', '--per-spk', dir);
  assert.equal(r.status, 0, r.stderr);
  r = run('apply-cmvn', '--norm-vars', dir, `ark,t:${path.join(tmp, 'n.txt')}`);
  assert.equal(r.status, 0, r.stderr);
  assert.match(fs.readFileSync(path.join(tmp, 'n.txt'), 'utf8'), /^spkA-u0 {2}\[/);
  r = run('compute-fbank', '--window-type', 'kaiser', dir);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /window-type/);
});

test('segments: utterances are cut from their recordings (Kaldi extract-segments)', async () => {
  const dir = path.join(tmp, 'seg');
  fs.mkdirSync(dir, { recursive: true });
  const x = new Float32Array(32000).map((_, t) => 0.3 * Math.sin(t / 11) * (t > 16000 ? 0.2 : 1));
  const file = path.join(tmp, 'reco1.wav');
  writeWav16(file, x, 16000);
  fs.writeFileSync(path.join(dir, 'wav.scp'), `reco1 ${file}\n`);
  fs.writeFileSync(path.join(dir, 'segments'), 'reco1-a reco1 0.00 0.50\nreco1-b reco1 1.25 2.00\n');
  await makeFeats({ type: 'fbank', dataDir: dir, showProgress: false });
  const q = readBack(x);
  const m = readMatrixMap(`scp:${path.join(dir, 'feats.scp')}`);
  assert.deepEqual([...m.keys()], ['reco1-a', 'reco1-b']);
  assert.deepEqual(m.get('reco1-a')!.data, computeFbank(q.slice(0, 8000)).data);
  assert.deepEqual(m.get('reco1-b')!.data, computeFbank(q.slice(20000, 32000)).data);
});
