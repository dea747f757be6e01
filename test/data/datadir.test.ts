import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readDataDir, readUnlabeledDataDir, utterances, writeDataDir, type DataDir } from '../../src/data/datadir.ts';
import { compareC, parseTable, readTable, sortC, writeTable } from '../../src/data/kaldi-text.ts';
import { validateDataDir } from '../../src/data/validate.ts';
import { DataError } from '../../src/util/errors.ts';
import { makeValidDir, rm, tempDir, writeFiles } from './helpers.ts';

test('C-locale sorting is byte order (uppercase and _ before lowercase, - before digits)', () => {
  assert.deepEqual(sortC(['b', 'a_1', 'a-1', 'B', 'a1', 'a', 'é', 'z']), ['B', 'a', 'a-1', 'a1', 'a_1', 'b', 'z', 'é']);
  assert.ok(compareC('abc', 'abd') < 0);
  assert.equal(compareC('x', 'x'), 0);
});

test('table parsing reports malformed lines, duplicates and order with line numbers', () => {
  const t = parseTable('f', 'b 1\na 2\nc\nb 3\n\nd 4 5\n', 'one');
  assert.deepEqual(t.entries.map((e) => [e.key, e.value, e.line]), [['b', '1', 1], ['a', '2', 2]]);
  assert.deepEqual(t.problems.map((p) => [p.line, p.message.split(':')[0].split(' ')[0]]), [
    [2, 'not'],
    [3, 'malformed'],
    [4, 'duplicate'],
    [5, 'empty'],
    [6, 'malformed'],
  ]);
  const t2 = parseTable('f', 'a 1', 'one');
  assert.match(t2.problems[0].message, /no newline/);
});

test('writeTable sorts (C locale) and readTable reads it back; bad keys are refused', () => {
  const dir = tempDir();
  try {
    const f = path.join(dir, 'utt2spk');
    writeTable(f, new Map([['b', 's2'], ['B', 's1'], ['a', 's1']]));
    assert.equal(fs.readFileSync(f, 'utf8'), 'B s1\na s1\nb s2\n');
    assert.deepEqual([...readTable(f)], [['B', 's1'], ['a', 's1'], ['b', 's2']]);
    assert.throws(() => writeTable(f, new Map([['a b', 'x']])), DataError);
    fs.writeFileSync(f, 'b 1\na 2');
    assert.deepEqual([...readTable(f)], [['b', '1'], ['a', '2']], 'readers accept unsorted files without a final newline');
    assert.throws(() => readTable(f, 'one', { requireSorted: true }), /:2: not sorted/);
    fs.writeFileSync(f, 'a x\na y\n');
    assert.throws(() => readTable(f), (e: unknown) => e instanceof DataError && e.message.startsWith(`${f}:2: duplicate id 'a'`));
  } finally {
    rm(dir);
  }
});

test('data dir round trip with every table; spk2utt derived; pipes and text labels', () => {
  const dir = tempDir();
  try {
    const d: DataDir = {
      dir,
      wavScp: new Map([['rec1', '/data/rec1.wav'], ['rec2', 'sox /data/r2.flac -t wav - |']]),
      utt2spk: new Map([['s1-u2', 's1'], ['s1-u1', 's1'], ['s2-u1', 's2']]),
      spk2utt: new Map(),
      utt2label: new Map([['s1-u1', 'yes'], ['s1-u2', 'no'], ['s2-u1', '_silence_']]),
      segments: new Map([
        ['s1-u1', { reco: 'rec1', start: 0, end: 1 }],
        ['s1-u2', { reco: 'rec1', start: 1, end: 2.5 }],
        ['s2-u1', { reco: 'rec2', start: 0.25, end: 1.25 }],
      ]),
      utt2dur: new Map([['s1-u1', 1], ['s1-u2', 1.5], ['s2-u1', 1]]),
      utt2domain: new Map([['s1-u1', 'flite'], ['s1-u2', 'flite'], ['s2-u1', 'noisy']]),
      featsScp: new Map([['s1-u1', 'a.ark:5'], ['s1-u2', 'a.ark:99'], ['s2-u1', 'a.ark:200']]),
      cmvnScp: new Map([['s1', 'c.ark:3'], ['s2', 'c.ark:60']]),
    };
    writeDataDir(dir, d);
    assert.equal(fs.readFileSync(path.join(dir, 'spk2utt'), 'utf8'), 's1 s1-u1 s1-u2\ns2 s2-u1\n');
    assert.equal(fs.readFileSync(path.join(dir, 'segments'), 'utf8'), 's1-u1 rec1 0 1\ns1-u2 rec1 1 2.5\ns2-u1 rec2 0.25 1.25\n');
    const back = readDataDir(dir);
    assert.deepEqual([...back.wavScp], [...d.wavScp]);
    assert.deepEqual([...back.utt2spk], [['s1-u1', 's1'], ['s1-u2', 's1'], ['s2-u1', 's2']]);
    assert.deepEqual([...back.spk2utt], [['s1', ['s1-u1', 's1-u2']], ['s2', ['s2-u1']]]);
    assert.deepEqual([...back.utt2label!], [...d.utt2label!].sort());
    assert.deepEqual([...back.segments!], [...d.segments!]);
    assert.deepEqual([...back.utt2dur!], [...d.utt2dur!]);
    assert.deepEqual([...back.utt2domain!], [...d.utt2domain!]);
    assert.deepEqual([...back.featsScp!], [...d.featsScp!]);
    assert.deepEqual([...back.cmvnScp!], [...d.cmvnScp!]);
    assert.deepEqual(utterances(back), ['s1-u1', 's1-u2', 's2-u1']);
    assert.deepEqual(validateDataDir(dir, { checkFiles: false }), [], 'writeDataDir output is valid');
    // labels: false skips them; Kaldi `text` is accepted when utt2label is absent
    assert.equal(readDataDir(dir, { labels: false }).utt2label, undefined);
    fs.rmSync(path.join(dir, 'utt2label'));
    fs.writeFileSync(path.join(dir, 'text'), 's1-u1 yes\ns1-u2 no\ns2-u1 _silence_\n');
    assert.equal(readDataDir(dir).utt2label!.get('s2-u1'), '_silence_');
    // rewriting the dir without optional tables removes the stale ones
    writeDataDir(dir, { dir, wavScp: d.wavScp, utt2spk: new Map([['rec1', 's1'], ['rec2', 's2']]), spk2utt: new Map() });
    assert.deepEqual(fs.readdirSync(dir).sort(), ['spk2utt', 'utt2spk', 'wav.scp']);
    assert.deepEqual(validateDataDir(dir, { checkFiles: false }), []);
  } finally {
    rm(dir);
  }
});

test('readUnlabeledDataDir never opens utt2label or text', () => {
  const dir = tempDir();
  try {
    makeValidDir(dir);
    // make both label files unreadable: directories in their place
    fs.rmSync(path.join(dir, 'utt2label'));
    fs.mkdirSync(path.join(dir, 'utt2label'));
    fs.mkdirSync(path.join(dir, 'text'));
    const d = readUnlabeledDataDir(dir);
    assert.equal('utt2label' in d, false);
    assert.deepEqual(utterances(d), ['s1-a', 's1-b', 's2-a']);
    assert.equal(d.utt2spk.get('s2-a'), 's2');
    // the labelled reader does open it, and fails with a typed error naming the file
    assert.throws(() => readDataDir(dir), (e: unknown) => e instanceof DataError && e.message.includes(path.join(dir, 'utt2label')));
    // also when the label file is unreadable garbage
    fs.rmdirSync(path.join(dir, 'utt2label'));
    fs.writeFileSync(path.join(dir, 'utt2label'), Buffer.from([0xff, 0x00, 0x0a, 0x0a]));
    assert.deepEqual(utterances(readUnlabeledDataDir(dir)), ['s1-a', 's1-b', 's2-a']);
  } finally {
    rm(dir);
  }
});

test('readDataDir: missing files and malformed lines are DataErrors naming file:line', () => {
  const dir = tempDir();
  try {
    assert.throws(() => readDataDir(path.join(dir, 'nope')), /not a directory/);
    writeFiles(dir, { 'wav.scp': 'a x.wav\n' });
    assert.throws(() => readDataDir(dir), new RegExp(`${path.join(dir, 'utt2spk')}: missing`));
    writeFiles(dir, { utt2spk: 'a s1\nb\n' });
    assert.throws(() => readDataDir(dir), new RegExp(`${path.join(dir, 'utt2spk')}:2: malformed`));
    writeFiles(dir, { utt2spk: 'a s1\n', segments: 'a x 0 abc\n' });
    assert.throws(() => readDataDir(dir), new RegExp(`${path.join(dir, 'segments')}:1: segment 'a'`));
  } finally {
    rm(dir);
  }
});
