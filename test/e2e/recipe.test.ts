/**
 * End to end: the default recipe (recipes/synth_kws/run.sh, stages 0-5) on the tiny corpus, with
 * two target domains and few adaptation steps so it stays within a few minutes on 2 cores; then
 * a second run, which must find every stage done and change no file.
 *
 * JEMDA_E2E_DOMAINS overrides the domains (e.g. "telephone noisy flite gnuspeech" for all four);
 * JEMDA_E2E_DEV_SCRIPT runs a variant of the script instead (a path relative to the repository
 * root, in recipes/synth_kws/ so that it finds the root), for trying changes to run.sh.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getMetadata, loadModel } from '../../src/model/onnx-io.ts';
import { validateDataDir } from '../../src/data/validate.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const RUN = path.join(ROOT, process.env.JEMDA_E2E_DEV_SCRIPT ?? 'recipes/synth_kws/run.sh');
const METHODS = ['source-only', 'adabn', 'tent', 'pseudo-label', 'jem', 'jem.no-energy', 'supervised'];
const DOMAINS = (process.env.JEMDA_E2E_DOMAINS ?? 'telephone flite').split(/\s+/).filter(Boolean);
/** Few, small adaptation updates: the test checks the plumbing, not the accuracy. */
const ADAPT_OPTS = '--steps 4 --batch-size 16 --checkpoint-every 2 --sgld-steps 5 --sgld-batch-size 16 --buffer-size 64 --adabn-passes 1';

/** The recipe variables this test needs (run.sh accepts every variable at its top as --name value). */
function recipeVariables(): Set<string> {
  const text = fs.readFileSync(RUN, 'utf8');
  return new Set([...text.matchAll(/^([a-z_]+)=/gm)].map((m) => m[1]));
}

function runRecipe(data: string, exp: string): { seconds: number; stderr: string } {
  const args = [RUN, '--size', 'tiny', '--data', data, '--exp', exp, '--nj', '2', '--domains', DOMAINS.join(' '), '--adapt-opts', ADAPT_OPTS];
  const t0 = performance.now();
  const r = spawnSync('bash', args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, JEMDA_NO_PROGRESS: '1' },
    maxBuffer: 1 << 28,
    timeout: 20 * 60 * 1000,
  });
  const seconds = (performance.now() - t0) / 1000;
  const stderr = r.stderr ?? '';
  assert.equal(r.status, 0, `run.sh failed (status ${r.status}, signal ${r.signal}); last stderr:\n${stderr.slice(-4000)}`);
  return { seconds, stderr };
}

/** Every file under dir: relative path → [sha256, mtimeMs]. */
function snapshot(dir: string): Map<string, [string, number]> {
  const out = new Map<string, [string, number]>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (e.isFile()) out.set(path.relative(dir, f), [createHash('sha256').update(fs.readFileSync(f)).digest('hex'), fs.statSync(f).mtimeMs]);
    }
  };
  walk(dir);
  return out;
}

function jemda(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/jemda.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, JEMDA_NO_PROGRESS: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('recipe synth_kws: stages 0-5 on the tiny corpus, then a re-run that is a no-op', async (t) => {
  const vars = recipeVariables();
  if (!vars.has('adapt_opts')) {
    t.skip('recipes/synth_kws/run.sh has no adapt_opts variable yet (needed to keep adaptation short)');
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-e2e-'));
  try {
    const data = path.join(tmp, 'data'), exp = path.join(tmp, 'exp');
    const first = runRecipe(data, exp);
    t.diagnostic(`first run: ${first.seconds.toFixed(1)} s`);
    for (const s of [0, 1, 2, 3, 4, 5]) assert.match(first.stderr, new RegExp(`stage ${s}:`), `stage ${s} did not run`);

    // data dirs: all valid; features for every set the recipe trains or tests on
    const featSets = ['source_train', 'source_dev', 'source_test', ...DOMAINS.flatMap((d) => [`${d}_adapt`, `${d}_test`])];
    const oodSets = DOMAINS.map((d) => `${d}_test_reversed`);
    for (const set of [...featSets, ...oodSets]) {
      const dir = path.join(data, set);
      assert.deepEqual(validateDataDir(dir), [], `${set} does not validate`);
    }
    for (const set of featSets) {
      const scp = path.join(data, set, 'feats.scp');
      assert.ok(fs.existsSync(scp) && fs.statSync(scp).size > 0, `${scp} missing or empty`);
      assert.ok(fs.existsSync(path.join(data, set, 'cmvn.scp')), `${set}/cmvn.scp missing`);
    }
    // the CLI validator agrees (one labeled set, one adaptation set, one OOD set)
    for (const set of ['source_train', `${DOMAINS[0]}_adapt`, oodSets[0]]) {
      const r = jemda('validate-data-dir', path.join(data, set));
      assert.equal(r.status, 0, `jemda validate-data-dir ${set}: ${r.stdout}${r.stderr}`);
    }
    // the OOD sets: the same utterances as the test sets, time-reversed
    for (const d of DOMAINS) {
      const ids = (set: string) => fs.readFileSync(path.join(data, set, 'utt2spk'), 'utf8').split('\n').map((l) => l.split(' ')[0]);
      assert.deepEqual(ids(`${d}_test_reversed`), ids(`${d}_test`));
    }

    // source model with its front end in the metadata
    const model = path.join(exp, 'source', 'model.onnx');
    assert.ok(fs.existsSync(model), 'source model.onnx missing');
    const meta = getMetadata(loadModel(model));
    assert.ok(meta['jemda.frontend'], 'model.onnx has no jemda.frontend metadata');
    const fe = JSON.parse(meta['jemda.frontend']) as { featureType?: string; featDim?: number };
    assert.equal(fe.featureType, 'fbank');
    assert.equal(fe.featDim, 40);
    assert.equal(JSON.parse(meta['jemda.labels']).length, 12);

    // every method × domain adapted
    for (const m of METHODS) for (const d of DOMAINS) {
      const f = path.join(exp, m, d, 'adapted.onnx');
      assert.ok(fs.existsSync(f) && fs.statSync(f).size > 0, `${f} missing`);
    }

    // results table and JSON
    const md = fs.readFileSync(path.join(exp, 'results.md'), 'utf8');
    for (const m of METHODS) assert.ok(md.includes(m), `results.md does not mention ${m}`);
    const res = JSON.parse(fs.readFileSync(path.join(exp, 'results.json'), 'utf8')) as Record<string, Record<string, Record<string, number | null>>>;
    assert.deepEqual(Object.keys(res).sort(), [...METHODS].sort());
    for (const m of METHODS) {
      const sets = [...DOMAINS.map((d) => `${d}_test`), 'source_test'];
      assert.deepEqual(Object.keys(res[m]).sort(), [...sets].sort(), `results.json[${m}] test sets`);
      for (const s of sets) {
        const r = res[m][s];
        for (const k of ['accuracy', 'ece', 'nll', 'auroc']) assert.ok(k in r, `results.json[${m}][${s}] has no ${k}`);
        assert.ok(typeof r.accuracy === 'number' && r.accuracy >= 0 && r.accuracy <= 1, `accuracy ${r.accuracy}`);
        assert.ok(typeof r.ece === 'number' && r.ece >= 0 && r.ece <= 1, `ece ${r.ece}`);
        assert.ok(typeof r.nll === 'number' && r.nll >= 0 && Number.isFinite(r.nll), `nll ${r.nll}`);
        // OOD AUROC against the reversed test set; source_test has no OOD set (null allowed)
        if (s === 'source_test') assert.ok(r.auroc === null || (typeof r.auroc === 'number' && r.auroc >= 0 && r.auroc <= 1));
        else assert.ok(typeof r.auroc === 'number' && r.auroc >= 0 && r.auroc <= 1, `auroc ${r.auroc}`);
      }
    }
    // the table is made of the per-model evaluations: <d>_test as evaluated, source_test the mean
    // over the domain-adapted models (forgetting)
    const acc = (m: string, d: string, set: string) =>
      (JSON.parse(fs.readFileSync(path.join(exp, m, d, 'results', `${set}.json`), 'utf8')) as { accuracy: number }).accuracy;
    for (const m of METHODS) {
      for (const d of DOMAINS) assert.ok(Math.abs(res[m][`${d}_test`].accuracy! - acc(m, d, `${d}_test`)) < 1e-9, `${m}/${d}_test`);
      const mean = DOMAINS.reduce((a, d) => a + acc(m, d, 'source_test'), 0) / DOMAINS.length;
      assert.ok(Math.abs(res[m].source_test.accuracy! - mean) < 1e-9, `${m}/source_test is not the mean over domains`);
    }
    // source-only is the unchanged source model: the same numbers as the stage-3 evaluation
    const s3 = JSON.parse(fs.readFileSync(path.join(exp, 'source', 'results', 'source_test.json'), 'utf8')) as { accuracy: number };
    assert.ok(Math.abs(res['source-only'].source_test.accuracy! - s3.accuracy) < 1e-9, 'source-only differs from the stage-3 evaluation');

    // second run: every stage done → fast, and no file changes
    const before = snapshot(tmp);
    const second = runRecipe(data, exp);
    t.diagnostic(`second run: ${second.seconds.toFixed(2)} s`);
    assert.match(second.stderr, /stage 0: corpus already/);
    const after = snapshot(tmp);
    assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort(), 'the re-run added or removed files');
    const changed = [...before].filter(([f, [h]]) => after.get(f)![0] !== h).map(([f]) => f);
    assert.deepEqual(changed, [], 'the re-run changed file contents');
    const rewritten = [...before].filter(([f, [, mt]]) => after.get(f)![1] !== mt).map(([f]) => f);
    assert.deepEqual(rewritten, [], 'the re-run rewrote files of finished stages');
    assert.ok(second.seconds < first.seconds / 3, `re-run took ${second.seconds.toFixed(1)} s vs ${first.seconds.toFixed(1)} s`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
