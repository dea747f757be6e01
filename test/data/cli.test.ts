/** The data commands through the real CLI: exit status, stdout/stderr messages, files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openMatrixWriter } from '../../src/data/kaldi-write.ts';
import { onnx, saveModel, setMetadata } from '../../src/model/onnx-io.ts';
import { makeValidDir, rm, tempDir, writeFiles } from './helpers.ts';

function jemda(args: string[], input?: Buffer): { status: number | null; stdout: string; stderr: string; out: Buffer } {
  const r = spawnSync(process.execPath, ['scripts/jemda.mjs', ...args], { input, env: { ...process.env, JEMDA_NO_PROGRESS: '1' } });
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), out: r.stdout };
}

test('validate-data-dir: every problem on stdout as file:line, exit 1; clean dir exit 0', () => {
  const dir = tempDir();
  try {
    makeValidDir(dir);
    let r = jemda(['validate-data-dir', dir, '--label-set', 'yes,no']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /OK/);
    writeFiles(dir, { utt2spk: 's1-b s1\ns1-a s1\n', utt2label: 's1-a yes\ns1-b maybe\ns2-a no\n' });
    fs.writeFileSync(path.join(dir, 'labels.txt'), 'yes\nno\n');
    r = jemda(['validate-data-dir', dir, '--labels', path.join(dir, 'labels.txt')]);
    assert.equal(r.status, 1);
    const lines = r.stdout.trim().split('\n');
    assert.ok(lines.includes(`${path.join(dir, 'utt2spk')}:2: not sorted (C locale): 's1-a' comes after 's1-b'`), r.stdout);
    assert.ok(lines.includes(`${path.join(dir, 'utt2label')}:2: label 'maybe' of 's1-b' is not in the label set {yes,no}`), r.stdout);
    assert.ok(lines.some((l) => l.startsWith(`${path.join(dir, 'utt2spk')}: utterance 's2-a' (wav.scp:3) has no speaker`)), r.stdout);
    // the label set of a model (metadata jemda.labels)
    const model = onnx.ModelProto.create({
      irVersion: 8,
      graph: onnx.GraphProto.create({ name: 'g', output: [onnx.ValueInfoProto.create({ name: 'y' })] }),
    });
    setMetadata(model, { 'jemda.labels': JSON.stringify(['yes', 'no', '_unknown_']) });
    saveModel(path.join(dir, 'm.onnx'), model);
    r = jemda(['validate-data-dir', dir, '--model', path.join(dir, 'm.onnx')]);
    assert.ok(r.stdout.includes(`${path.join(dir, 'utt2label')}:2: label 'maybe' of 's1-b' is not in the label set {yes,no,_unknown_}`), r.stdout + r.stderr);
    fs.writeFileSync(path.join(dir, 'bad.onnx'), 'not onnx');
    r = jemda(['validate-data-dir', dir, '--model', path.join(dir, 'bad.onnx')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /jemda: error: .*bad\.onnx: not a valid ONNX model/);
    // a missing wav file, and --no-check-files
    fs.rmSync(path.join(dir, 'wav', 's1-a.wav'));
    r = jemda(['validate-data-dir', dir]);
    assert.match(r.stdout, new RegExp(`${path.join(dir, 'wav.scp')}:1: 's1-a': wav file not found`));
    r = jemda(['validate-data-dir', '--no-check-files', dir]);
    assert.doesNotMatch(r.stdout, /wav file not found/);
    assert.equal(r.status, 1);
    // commands refuse the bad dir with the same messages
    r = jemda(['subset-data-dir', dir, path.join(dir, 'sub'), '--first', '1']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^jemda: error: .*invalid data dir/);
    assert.ok(r.stderr.includes(`${path.join(dir, 'utt2spk')}:2: not sorted (C locale)`), r.stderr);
    assert.equal(fs.existsSync(path.join(dir, 'sub')), false);
  } finally {
    rm(dir);
  }
});

test('subset-data-dir and combine-data-dirs write valid dirs; conflicts exit 1 naming both dirs', () => {
  const tmp = tempDir();
  try {
    const a = path.join(tmp, 'a');
    makeValidDir(a);
    let r = jemda(['subset-data-dir', a, path.join(tmp, 'first2'), '--first', '2']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fs.readFileSync(path.join(tmp, 'first2', 'utt2spk'), 'utf8'), 's1-a s1\ns1-b s1\n');
    assert.equal(fs.readFileSync(path.join(tmp, 'first2', 'spk2utt'), 'utf8'), 's1 s1-a s1-b\n');
    fs.writeFileSync(path.join(tmp, 'spk.txt'), 's2\n');
    r = jemda(['subset-data-dir', a, path.join(tmp, 's2'), '--spk-list', path.join(tmp, 'spk.txt')]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fs.readFileSync(path.join(tmp, 's2', 'utt2label'), 'utf8'), 's2-a yes\n');
    r = jemda(['combine-data-dirs', path.join(tmp, 'comb'), path.join(tmp, 'first2'), path.join(tmp, 's2')]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fs.readFileSync(path.join(tmp, 'comb', 'utt2spk'), 'utf8'), fs.readFileSync(path.join(a, 'utt2spk'), 'utf8'));
    r = jemda(['validate-data-dir', path.join(tmp, 'comb')]);
    assert.equal(r.status, 0, r.stdout);
    // conflicting label for the same utterance
    fs.writeFileSync(path.join(tmp, 's2', 'utt2label'), 's2-a no\n');
    r = jemda(['combine-data-dirs', path.join(tmp, 'bad'), a, path.join(tmp, 's2')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`${path.join(tmp, 's2', 'utt2label')}: id 's2-a' conflicts with ${path.join(a, 'utt2label')}`));
  } finally {
    rm(tmp);
  }
});

test('copy-feats: ark → ark,t:- on stdout, scp → ark,scp, stdin; truncated input exit 1 naming file and utterance', () => {
  const tmp = tempDir();
  try {
    const ark = path.join(tmp, 'a.ark');
    const w = openMatrixWriter(`ark:${ark}`);
    w.write('u1', { rows: 2, cols: 2, data: new Float32Array([1, 2.5, -3, 0.25]) });
    w.write('u2', { rows: 1, cols: 3, data: new Float32Array([7, 8, 9]) });
    w.close();
    let r = jemda(['copy-feats', `ark:${ark}`, 'ark,t:-']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'u1  [\n  1 2.5 \n  -3 0.25 ]\nu2  [\n  7 8 9 ]\n');
    r = jemda(['copy-feats', `ark:${ark}`, `ark,scp:${path.join(tmp, 'b.ark')},${path.join(tmp, 'b.scp')}`]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(fs.readFileSync(path.join(tmp, 'b.ark')), fs.readFileSync(ark), 'binary copy is byte-identical');
    r = jemda(['copy-feats', `scp:${path.join(tmp, 'b.scp')}`, 'ark:-']);
    assert.deepEqual(r.out, fs.readFileSync(ark));
    r = jemda(['copy-feats', 'ark:-', 'ark,t:-'], fs.readFileSync(ark));
    assert.equal(r.stdout, 'u1  [\n  1 2.5 \n  -3 0.25 ]\nu2  [\n  7 8 9 ]\n');
    // text → binary is float (FM); binary doubles (DM) stay double
    const t = path.join(tmp, 't.ark');
    fs.writeFileSync(t, 'x  [\n  1 2 ]\n');
    r = jemda(['copy-feats', `ark:${t}`, 'ark:-']);
    assert.equal(r.out.subarray(2, 7).toString('latin1'), '\0BFM ');
    const dm = path.join(tmp, 'dm.ark');
    const wd = openMatrixWriter(`ark:${dm}`);
    wd.write('s', { rows: 1, cols: 2, data: new Float64Array([0.1, 123456789.123]) });
    wd.close();
    r = jemda(['copy-feats', `ark:${dm}`, 'ark:-']);
    assert.deepEqual(r.out, fs.readFileSync(dm));
    const bad = path.join(tmp, 'bad.ark');
    fs.writeFileSync(bad, fs.readFileSync(ark).subarray(0, 50));
    r = jemda(['copy-feats', `ark:${bad}`, `ark:${path.join(tmp, 'c.ark')}`]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`jemda: error: utterance u2 \\(${bad}\\): truncated`));
    assert.equal(fs.existsSync(path.join(tmp, 'c.ark')), false, 'no partial output');
    assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-')), []);
  } finally {
    rm(tmp);
  }
});

test('prepare-speech-commands: a missing root is a clear error', () => {
  const tmp = tempDir();
  try {
    const r = jemda(['prepare-speech-commands', path.join(tmp, 'nope'), path.join(tmp, 'out')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /jemda: error: .*nope: not a directory/);
  } finally {
    rm(tmp);
  }
});
