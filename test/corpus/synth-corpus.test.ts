import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateCorpus } from '../../src/corpus/generate.ts';
import { makePlan, sourceCombos } from '../../src/corpus/plan.ts';
import { DATASETS, LABELS, SIZES, SPEED_FACTORS, TARGET_DOMAINS } from '../../src/corpus/spec.ts';
import { readWav } from '../../src/audio/wav.ts';

const lines = (f: string) => fs.readFileSync(f, 'utf8').split('\n').filter((l) => l.length > 0);
const keys = (f: string) => lines(f).map((l) => l.split(' ')[0]);
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

test('the plan is deterministic, ids are unique and start with the speaker, splits use disjoint voices', () => {
  const a = makePlan('default', 5);
  assert.deepEqual(makePlan('default', 5), a);
  assert.notDeepEqual(makePlan('default', 6).map((j) => j.utt), a.map((j) => j.utt));
  assert.equal(new Set(a.map((j) => j.utt)).size, a.length);
  for (const j of a) assert.ok(j.utt.startsWith(j.spk + '_'), j.utt);
  const voicesOf = (ds: string) => new Set(a.filter((j) => j.dataset === ds && j.voice).map((j) => j.spk));
  const variantsOf = (ds: string) => new Set(a.filter((j) => j.dataset === ds && j.voice?.engine === 'espeak').map((j) => (j.voice as { voice: string }).voice));
  for (const dom of TARGET_DOMAINS) {
    const ad = voicesOf(`${dom}_adapt`), te = voicesOf(`${dom}_test`);
    assert.ok(ad.size > 0 && te.size > 0, dom);
    for (const s of ad) assert.ok(!te.has(s), `${dom}: speaker ${s} in adapt and test`);
  }
  const src = new Set([...variantsOf('source_train'), ...variantsOf('source_dev'), ...variantsOf('source_test')]);
  // the eSpeak target domains use variants (the +suffix) seen in no other domain and not in source
  const espeakTargets = ['telephone', 'noisy', 'farfield', 'speed', 'phonenoise'].flatMap((d) => [`${d}_adapt`, `${d}_test`]);
  const owner = new Map<string, string>();
  for (const ds of espeakTargets) {
    for (const v of variantsOf(ds)) {
      assert.ok(!src.has(v), `${v} of ${ds} used in source`);
      const variant = v.split('+')[1];
      assert.ok(!owner.has(variant) || owner.get(variant) === ds, `variant ${variant} in ${owner.get(variant)} and ${ds}`);
      owner.set(variant, ds);
    }
  }
  // speed perturbation only in the speed domain, with factors from its ranges (never near 1)
  for (const j of a) {
    if (j.domain === 'speed' && j.voice) assert.ok(SPEED_FACTORS.some(([lo, hi]) => j.speed! >= lo && j.speed! <= hi), `${j.utt}: speed ${j.speed}`);
    else assert.equal(j.speed, undefined, j.utt);
  }
  const c = sourceCombos(5);
  for (const v of c.dev) assert.ok(!c.train.includes(v) && !c.test.includes(v));
  assert.equal(c.train.length + c.dev.length + c.test.length, 88);
});

test('tiny corpus end to end: 17 sorted Kaldi data dirs of 1-s 16-kHz clips; --nj 2 gives identical bytes', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-synth-'));
  try {
    const out = path.join(root, 'c');
    const r = await generateCorpus({ size: 'tiny', out, seed: 3 });
    for (const ds of DATASETS) {
      const dir = path.join(out, ds);
      const n = SIZES.tiny[ds] * LABELS.length;
      assert.equal(r.counts[ds], n);
      for (const f of ['wav.scp', 'utt2spk', 'spk2utt', 'utt2label', 'utt2domain', 'utt2dur']) {
        const k = keys(path.join(dir, f));
        assert.deepEqual(k, [...k].sort(cmp), `${ds}/${f} not C-sorted`);
        if (f !== 'spk2utt') assert.equal(k.length, n, `${ds}/${f}`);
      }
      const utt2spk = new Map(lines(path.join(dir, 'utt2spk')).map((l) => l.split(' ') as [string, string]));
      const spks = [...utt2spk.values()];
      for (let i = 1; i < spks.length; i++) assert.ok(spks[i - 1] <= spks[i] || !spks.slice(0, i).includes(spks[i]), 'utt2spk must also be sorted by speaker');
      for (const [u, s] of utt2spk) assert.ok(u.startsWith(s + '_'));
      const labels = lines(path.join(dir, 'utt2label')).map((l) => l.split(' ')[1]);
      for (const lab of LABELS) assert.equal(labels.filter((x) => x === lab).length, SIZES.tiny[ds]);
      const dom = new Set(lines(path.join(dir, 'utt2domain')).map((l) => l.split(' ')[1]));
      assert.deepEqual([...dom], [ds.split('_')[0]]);
      for (const l of lines(path.join(dir, 'wav.scp')).slice(0, 4)) {
        const w = readWav(l.split(' ')[1]);
        assert.equal(w.sampleRate, 16000);
        assert.equal(w.channels, 1);
        assert.equal(w.bitDepth, 16);
        assert.equal(w.samples.length, 16000);
      }
      assert.ok(lines(path.join(dir, 'utt2dur')).every((l) => l.endsWith(' 1')));
    }
    // Same seed with two workers (on a subset of the data sets) → byte-identical WAVs.
    const out2 = path.join(root, 'd');
    await generateCorpus({ size: 'tiny', out: out2, seed: 3, nj: 2, datasets: ['gnuspeech_test', 'noisy_adapt'] });
    for (const ds of ['gnuspeech_test', 'noisy_adapt']) {
      const files = fs.readdirSync(path.join(out2, 'wav', ds)).sort();
      assert.deepEqual(files, fs.readdirSync(path.join(out, 'wav', ds)).sort());
      for (const f of files) assert.ok(fs.readFileSync(path.join(out2, 'wav', ds, f)).equals(fs.readFileSync(path.join(out, 'wav', ds, f))), `${ds}/${f} differs with --nj 2`);
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
