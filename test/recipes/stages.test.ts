/**
 * The recipes' stage markers (recipes/common/log.sh, stages.sh): a marker holds a hash of what its
 * stage was made from; a stage is skipped only while that hash is unchanged, and a change upstream
 * (a config file's contents, an option, an upstream marker) makes it run again and says why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Run a bash snippet with the recipe helpers sourced, the local $cmd, and a `jemda` that only records its calls (in jobs too). */
function bash(dir: string, script: string): { stdout: string; stderr: string } {
  const pre = `set -euo pipefail; cd '${dir}'; . '${ROOT}/recipes/common/log.sh'; . '${ROOT}/recipes/common/stages.sh'; jemda() { echo "$*" >> "${dir}/calls"; }; export -f jemda; cmd='${ROOT}/recipes/common/cmd/local.sh';\n`;
  const r = spawnSync('bash', ['-c', pre + script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return { stdout: r.stdout, stderr: r.stderr };
}
const calls = (dir: string) => (fs.existsSync(path.join(dir, 'calls')) ? fs.readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n').filter(Boolean) : []);

test('key_of hashes file contents and plain arguments; order and contents matter', () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-stages-'));
  try {
    fs.writeFileSync(path.join(d, 'a.conf'), '--x=1\n');
    const k = (args: string) => bash(d, `key_of ${args}`).stdout.trim();
    const k1 = k('a.conf opt');
    assert.match(k1, /^[0-9a-f]{16}$/);
    assert.equal(k('a.conf opt'), k1);
    assert.notEqual(k('opt a.conf'), k1);
    assert.notEqual(k('a.conf opt2'), k1);
    fs.writeFileSync(path.join(d, 'a.conf'), '--x=2\n');
    assert.notEqual(k('a.conf opt'), k1, 'a config file is hashed by its contents');
    // a missing file is hashed as its name: creating it changes the key
    const missing = k('b.conf');
    fs.writeFileSync(path.join(d, 'b.conf'), '');
    assert.notEqual(k('b.conf'), missing);
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

test('make_features: split, one compute-feats job per part through $cmd (at most one per utterance), gather; skipped while its config and upstream marker are unchanged, re-run (with a reason) when either changes', () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-stages-'));
  try {
    fs.mkdirSync(path.join(d, 'data/set'), { recursive: true });
    fs.writeFileSync(path.join(d, 'data/set/utt2spk'), 'u1 s1\nu2 s2\nu3 s3\n');
    fs.writeFileSync(path.join(d, 'frontend.json'), '{"featDim": 40}\n');
    const run = () => bash(d, `mark_done data corpus "$(key_of synth-corpus "\${SIZE:-tiny}")"; make_features data/set frontend.json 2 data/.done.corpus`);
    run();
    const one = ['split-data-dir --per-utt data/set 2', 'compute-feats --frontend-config frontend.json data/set/split2utt/1', 'compute-feats --frontend-config frontend.json data/set/split2utt/2', 'gather-feats --per-utt data/set 2'];
    const sorted = () => [calls(d)[0], ...calls(d).slice(1, -1).sort(), calls(d).at(-1)];
    assert.deepEqual(sorted(), one);
    assert.match(fs.readFileSync(path.join(d, 'data/set/log/feats.2.log'), 'utf8'), /^# jemda compute-feats --frontend-config frontend\.json data\/set\/split2utt\/2\n[\s\S]*# Ended \(code 0\)/);
    assert.match(fs.readFileSync(path.join(d, 'data/set/.done.feats'), 'utf8'), /^[0-9a-f]{16}\n$/);
    run();
    assert.equal(calls(d).length, 4, 'an unchanged stage runs again');
    fs.writeFileSync(path.join(d, 'frontend.json'), '{"featDim": 64}\n');
    const r = run();
    assert.equal(calls(d).length, 8);
    assert.match(r.stderr, /feats in data\/set runs again: its options or inputs changed/);
    // an upstream change (another corpus) reaches the features through the corpus marker; more jobs than utterances: one per utterance
    const r2 = bash(d, `mark_done data corpus "$(key_of synth-corpus default)"; make_features data/set frontend.json 8 data/.done.corpus`);
    assert.equal(calls(d).length, 13);
    assert.equal(calls(d)[8], 'split-data-dir --per-utt data/set 3');
    assert.match(r2.stderr, /runs again/);
    // a marker of an older jemda (no key) counts as changed
    fs.writeFileSync(path.join(d, 'data/set/.done.feats'), '');
    const r3 = bash(d, `make_features data/set frontend.json 1 data/.done.corpus`);
    assert.equal(calls(d).length, 16);
    assert.match(r3.stderr, /marker without a key/);
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

test('run.sh --help: the header comment and every option with its current value, for both recipes', () => {
  for (const [script, opts] of [['recipes/synth_kws/run.sh', ['stage', 'size', 'methods', 'adapt-opts', 'test-domains']], ['recipes/speech_commands/run.sh', ['root', 'stage', 'train-opts']]] as const) {
    const r = spawnSync('bash', [path.join(ROOT, script), '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^[a-z_]+: /, `${script}: no header comment`);
    for (const o of opts) assert.match(r.stderr, new RegExp(`\\n  --${o} `), `${script}: --${o} not listed`);
    assert.doesNotMatch(r.stderr, /unbound variable|--repo |--key /, script);
  }
  const r = spawnSync('bash', [path.join(ROOT, 'recipes/synth_kws/run.sh'), '--size', 'tiny', '--help'], { encoding: 'utf8' });
  assert.match(r.stderr, /\n {2}--size +tiny\n/, 'an option given before --help shows its new value');
});
