import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { readDataDir, utterances, type DataDir } from '../../src/data/datadir.ts';
import { readMatrixMap } from '../../src/data/kaldi-read.ts';
import { readTable } from '../../src/data/kaldi-text.ts';
import { balancedCuts, splitDataDir, splitPartDir, splitPartOf, splitUtterances } from '../../src/data/split.ts';
import { ConfigError, DataError, FeatureError } from '../../src/util/errors.ts';
import { gatherFeats } from '../../src/features/gather-feats.ts';
import { makeDataDir } from '../adapt/tiny-setup.ts';
import { setQuiet } from '../../src/util/log.ts';
import { rm, tempDir } from './helpers.ts';

setQuiet(true);
const JEMDA = path.resolve(import.meta.dirname, '../../scripts/jemda.mjs');
const FE = path.resolve(import.meta.dirname, '../../recipes/synth_kws/conf/frontend.json');
const jemda = (...args: string[]) => spawnSync(process.execPath, [JEMDA, ...args], { encoding: 'utf8', env: { ...process.env, JEMDA_NO_PROGRESS: '1' } });

function dir(spkUtts: Record<string, string[]>): DataDir {
  const d: DataDir = { dir: '/data/x', wavScp: new Map(), utt2spk: new Map(), spk2utt: new Map(), utt2label: new Map() };
  for (const [spk, utts] of Object.entries(spkUtts)) {
    d.spk2utt.set(spk, utts);
    for (const u of utts) {
      d.wavScp.set(u, `/w/${u}.wav`);
      d.utt2spk.set(u, spk);
      d.utt2label!.set(u, 'yes');
    }
  }
  return d;
}

test('balancedCuts: contiguous, non-empty, as even as the group sizes allow', () => {
  assert.deepEqual(balancedCuts([1, 1, 1, 1, 1, 1], 3), [0, 2, 4, 6]);
  assert.deepEqual(balancedCuts([1, 1, 1, 1, 1, 1, 1], 3), [0, 2, 5, 7]);
  assert.deepEqual(balancedCuts([5, 1, 1, 1, 1, 1], 2), [0, 1, 6]);
  // a big group at the end still leaves every part one group
  assert.deepEqual(balancedCuts([1, 1, 10], 3), [0, 1, 2, 3]);
  assert.deepEqual(balancedCuts([4], 1), [0, 1]);
  for (let n = 1; n <= 7; n++) {
    const sizes = Array.from({ length: 7 }, (_, i) => 1 + ((i * 5) % 3));
    const c = balancedCuts(sizes, n);
    assert.equal(c.length, n + 1);
    for (let j = 0; j < n; j++) assert.ok(c[j + 1] > c[j], `part ${j} of ${n} is empty: ${c}`);
  }
  assert.throws(() => balancedCuts([1, 1], 3), ConfigError);
  assert.throws(() => balancedCuts([1, 1], 0), ConfigError);
});

test('split by speaker: every utterance once, no speaker in two parts, counts balanced; per utterance: nearly equal parts', () => {
  const d = dir({ a: ['a-0', 'a-1', 'a-2', 'a-3'], b: ['b-0', 'b-1', 'b-2'], c: ['c-0', 'c-1', 'c-2', 'c-3', 'c-4'], e: ['e-0', 'e-1'] });
  const parts = splitUtterances(d, 3);
  assert.deepEqual(parts, [['a-0', 'a-1', 'a-2', 'a-3'], ['b-0', 'b-1', 'b-2'], ['c-0', 'c-1', 'c-2', 'c-3', 'c-4', 'e-0', 'e-1']]);
  assert.deepEqual(parts.flat().sort(), utterances(d));
  const spkOf = (u: string) => d.utt2spk.get(u)!;
  for (let i = 0; i < parts.length; i++)
    for (let j = i + 1; j < parts.length; j++) assert.ok(!parts[i].some((u) => parts[j].map(spkOf).includes(spkOf(u))), `parts ${i + 1} and ${j + 1} share a speaker`);
  // 14 utterances, speakers of 4/3/5/2 into 2 parts: a+b (7) | c+e (7)
  assert.deepEqual(splitUtterances(d, 2).map((p) => p.length), [7, 7]);
  assert.deepEqual(splitUtterances(d, 4, true).map((p) => p.length), [3, 4, 3, 4]);
  assert.throws(() => splitUtterances(d, 5), (e: unknown) => e instanceof DataError && /4 speaker\(s\) cannot be split into 5 parts/.test(e.message));
  const dirs = splitDataDir(d, 2);
  assert.equal(dirs[1].dir, path.join('/data/x', 'split2', '2'));
  assert.deepEqual([...dirs[1].spk2utt.keys()], ['c', 'e']);
  assert.deepEqual([...dirs[1].utt2label!.keys()], utterances(dirs[1]));
  assert.deepEqual([...dirs[0].wavScp.keys()], utterances(dirs[0]));
});

test('splitPartOf recognises DATA/splitN[utt]/k and nothing else', () => {
  assert.deepEqual(splitPartOf('/d/train/split4/3'), { dataDir: '/d/train', n: 4, k: 3, perUtt: false });
  assert.deepEqual(splitPartOf(splitPartDir('/d/train', 12, 12, true)), { dataDir: '/d/train', n: 12, k: 12, perUtt: true });
  for (const p of ['/d/train', '/d/train/split4/5', '/d/train/split4/0', '/d/train/split4/03', '/d/train/splitx/1', '/d/split4']) assert.equal(splitPartOf(p), null, p);
});

test('split-data-dir + one compute-feats per part + gather-feats: the same feats and frame counts as one compute-feats on the whole dir', () => {
  const root = tempDir('jemda-split-');
  try {
    const whole = path.join(root, 'whole');
    const split = path.join(root, 'split');
    makeDataDir(whole, 7, { noise: 0.05, gain: 1, seed: 4, labels: true });
    fs.cpSync(whole, split, { recursive: true });
    let r = jemda('compute-feats', '--frontend-config', FE, whole);
    assert.equal(r.status, 0, r.stderr);
    r = jemda('split-data-dir', split, '3');
    assert.equal(r.status, 0, r.stderr);
    for (let k = 1; k <= 3; k++) {
      r = jemda('compute-feats', '--frontend-config', FE, path.join(split, 'split3', String(k)));
      assert.equal(r.status, 0, r.stderr);
    }
    // the archives are named after the data dir and the part, in DATA/data
    assert.deepEqual(fs.readdirSync(path.join(split, 'data')).filter((f) => f.endsWith('.ark')).sort(), ['raw_fbank_split.1.1.ark', 'raw_fbank_split.2.1.ark', 'raw_fbank_split.3.1.ark']);
    assert.throws(() => gatherFeats(split, 4), FeatureError);
    r = jemda('gather-feats', split, '3');
    assert.equal(r.status, 0, r.stderr);
    const a = readMatrixMap(`scp:${path.join(whole, 'feats.scp')}`);
    const b = readMatrixMap(`scp:${path.join(split, 'feats.scp')}`);
    assert.deepEqual([...b.keys()], [...a.keys()]);
    for (const [u, m] of a) assert.deepEqual(b.get(u), m, u);
    assert.deepEqual(readTable(path.join(split, 'utt2num_frames')), readTable(path.join(whole, 'utt2num_frames')));
    assert.equal(utterances(readDataDir(split)).length, 7);
    // a part whose job did not run is named
    fs.rmSync(path.join(split, 'split3', '2', 'feats.scp'));
    r = jemda('gather-feats', split, '3');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /split3\/2: part 2 of 3 has no feats\.scp/);
    // parts that overlap, or a split made from other data (an utterance the dir lacks), are refused
    fs.cpSync(path.join(whole, 'feats.scp'), path.join(split, 'split3', '2', 'feats.scp'));
    assert.throws(() => gatherFeats(split, 3), (e: unknown) => e instanceof DataError && /in two parts of the split/.test(e.message));
    r = jemda('compute-feats', '--frontend-config', FE, path.join(split, 'split3', '2'));
    assert.equal(r.status, 0, r.stderr);
    fs.writeFileSync(path.join(split, 'split3', '3', 'feats.scp'), 'zzz /nowhere.ark:1\n', { flag: 'a' });
    assert.throws(() => gatherFeats(split, 3), (e: unknown) => e instanceof FeatureError && /utterance 'zzz'.*split it again/.test(e.message));
  } finally {
    rm(root);
  }
});
