import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assertValidDataDir, formatProblems, validateDataDir } from '../../src/data/validate.ts';
import { DataError } from '../../src/util/errors.ts';
import { makeValidDir, rm, tempDir, writeFiles } from './helpers.ts';

const LABELS = ['yes', 'no', '_unknown_', '_silence_'];

test('a valid dir has no problems (pipes are not checked for existence)', () => {
  const dir = tempDir();
  try {
    makeValidDir(dir);
    assert.deepEqual(validateDataDir(dir, { labelSet: LABELS }), []);
    fs.appendFileSync(path.join(dir, 'wav.scp'), 's3-a sox /nonexistent.flac -t wav - |\n');
    fs.appendFileSync(path.join(dir, 'utt2spk'), 's3-a s3\n');
    fs.appendFileSync(path.join(dir, 'spk2utt'), 's3 s3-a\n');
    fs.appendFileSync(path.join(dir, 'utt2label'), 's3-a no\n');
    assert.deepEqual(validateDataDir(dir, { labelSet: LABELS }), []);
    assertValidDataDir(dir);
  } finally {
    rm(dir);
  }
});

test('every problem class is reported, each with the right file:line', () => {
  const dir = tempDir();
  try {
    makeValidDir(dir);
    const w = (u: string) => path.join(dir, 'wav', `${u}.wav`);
    writeFiles(dir, {
      // line 2 unsorted, line 3 duplicate, line 4 missing file, line 5 malformed (spaces, no pipe)
      'wav.scp': `s1-b ${w('s1-b')}\ns1-a ${w('s1-a')}\ns1-a ${w('s1-a')}\ns2-a ${path.join(dir, 'missing.wav')}\ns2-b a b c\n`,
      // s2-b has no speaker; x-1 is not an utterance (line 3)
      utt2spk: 's1-a s1\ns1-b s1\nx-1 s9\ns2-a s2\n',
      // s1-b listed under the wrong speaker (line 2); x-1 missing from spk2utt
      spk2utt: 's1 s1-a\ns2 s1-b s2-a\n',
      // label outside the set (line 2); s2-b has no label; bad-utt unknown (line 4)
      utt2label: 's1-a yes\ns1-b maybe\ns2-a no\nzz-bad yes\n',
      'feats.scp': `s1-a ${path.join(dir, 'feats.ark')}:5\nq-9 ${path.join(dir, 'feats.ark')}:100\n`,
    });
    fs.writeFileSync(path.join(dir, 'feats.ark'), '');
    const probs = validateDataDir(dir, { labelSet: LABELS });
    const text = formatProblems(probs);
    const has = (file: string, line: number | undefined, re: RegExp) =>
      assert.ok(
        probs.some((p) => p.file === path.join(dir, file) && p.line === line && re.test(p.message)),
        `expected ${file}:${line} ${re}\n--- got:\n${text}`,
      );
    has('wav.scp', 2, /not sorted/);
    has('wav.scp', 3, /duplicate id 's1-a' \(first on line 2\)/);
    has('wav.scp', 4, /wav file not found/);
    has('wav.scp', 5, /expected a file name or a command ending in '\|'/);
    has('utt2spk', 3, /utterance 'x-1' is not in wav.scp/);
    has('utt2spk', undefined, /utterance 's2-b' \(wav.scp:5\) has no speaker/);
    has('spk2utt', 2, /'s1-b' listed under speaker 's2' but utt2spk says 's1'/);
    has('spk2utt', undefined, /'x-1' .* is missing/);
    has('utt2label', 2, /label 'maybe' of 's1-b' is not in the label set/);
    has('utt2label', 4, /label for unknown utterance 'zz-bad'/);
    has('utt2label', undefined, /'s2-b' \(wav.scp:5\) has no label/);
    has('feats.scp', 2, /features for unknown utterance 'q-9'/);
    // formatted as file:line: message, one per line, sorted by file then line
    assert.match(text, new RegExp(`^${path.join(dir, 'spk2utt')}:2: `, 'm'));
    assert.throws(
      () => assertValidDataDir(dir, { labelSet: LABELS }),
      (e: unknown) => e instanceof DataError && e.message.includes(`${probs.length} problems`) && e.message.includes(text),
    );
    // --no-check-files drops the missing-file problem only
    const noFiles = validateDataDir(dir, { labelSet: LABELS, checkFiles: false });
    assert.equal(noFiles.length, probs.length - 1);
  } finally {
    rm(dir);
  }
});

test('speakers must sort with their utterances (Kaldi: speaker ids are prefixes)', () => {
  const dir = tempDir();
  try {
    writeFiles(dir, {
      'wav.scp': 'a-b_1 x |\na_1 y |\n',
      utt2spk: 'a-b_1 a-b\na_1 a\n',
      spk2utt: 'a a_1\na-b a-b_1\n',
    });
    const probs = validateDataDir(dir);
    assert.equal(probs.length, 1, formatProblems(probs));
    assert.equal(probs[0].line, 2);
    assert.match(probs[0].message, /speaker 'a' of 'a_1' comes after speaker 'a-b'/);
  } finally {
    rm(dir);
  }
});

test('segments: unknown recording, end <= start, non-numeric; missing required files', () => {
  const dir = tempDir();
  try {
    writeFiles(dir, {
      'wav.scp': 'r1 sox x.wav -t wav - |\n',
      segments: 'u1 r1 0 1\nu2 r2 0 1\nu3 r1 2 2\nu4 r1 x 1\n',
      utt2spk: 'u1 s\nu2 s\nu3 s\nu4 s\n',
      spk2utt: 's u1 u2 u3 u4\n',
      utt2dur: 'u1 1\nu2 -1\nu3 1\nu4 1\n',
      utt2domain: 'u1 a\nu2 a\nu3 a\n',
      'cmvn.scp': 's c.ark:1\nzz c.ark:9\n',
    });
    const probs = validateDataDir(dir, { checkFiles: false });
    const at = (file: string, line?: number) => probs.filter((p) => p.file === path.join(dir, file) && p.line === line).map((p) => p.message);
    assert.match(at('segments', 2).join(), /unknown recording 'r2'/);
    assert.match(at('segments', 3).join(), /end 2 <= start 2/);
    assert.match(at('segments', 4).join(), /must be numbers/);
    assert.match(at('utt2dur', 2).join(), /not a non-negative number/);
    assert.match(at('utt2domain').join(), /'u4' \(segments:4\) has no domain/);
    assert.match(at('cmvn.scp', 2).join(), /'zz', which is neither a speaker nor an utterance/);
    assert.equal(probs.length, 6, formatProblems(probs));
    const empty = tempDir();
    const p2 = validateDataDir(empty);
    assert.deepEqual(p2.map((p) => [path.basename(p.file), p.message]), [['spk2utt', 'missing'], ['utt2spk', 'missing'], ['wav.scp', 'missing']]);
    rm(empty);
  } finally {
    rm(dir);
  }
});
