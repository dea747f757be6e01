/**
 * End to end: the default recipe (recipes/synth_kws/run.sh, stages 0-5) on the tiny corpus, with
 * one dev and one test domain, two adaptation seeds and few adaptation steps so it stays within a
 * few minutes on 2 cores; then a second run, which must find every stage done and change no file.
 *
 * JEMDA_E2E_DEV_DOMAINS / JEMDA_E2E_TEST_DOMAINS override the domains;
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
const METHODS = ['source-only', 'source-only.prior-match', 'adabn', 'tent', 'shot-im', 'pseudo-label', 'tea', 'entropy-ce', 'jem', 'jem.no-energy', 'supervised'];
const words = (s: string) => s.split(/\s+/).filter(Boolean);
const DEV = words(process.env.JEMDA_E2E_DEV_DOMAINS ?? 'telephone');
const TEST = words(process.env.JEMDA_E2E_TEST_DOMAINS ?? 'flite');
const DOMAINS = [...DEV, ...TEST];
const SEEDS = [1, 2];
/** Methods the recipe runs with its first seed only. */
const ONE_SEED = new Set(['source-only', 'source-only.prior-match', 'supervised']);
const seedsOf = (m: string) => (ONE_SEED.has(m) ? SEEDS.slice(0, 1) : SEEDS);
/** jem's least lead over source-only on the tiny test domains (accuracy, every seed): one of the
 * 24 tiny flite test utterances (measured when this was written: source-only 0.125, jem 0.208 on both seeds). */
const JEM_MARGIN = 0.04;
/** Few, small adaptation updates: the test checks the plumbing, not the accuracy. */
const ADAPT_OPTS = '--steps 4 --batch-size 16 --checkpoint-every 2 --sgld-steps 5 --sgld-batch-size 16 --buffer-size 64 --adabn-passes 1';

/** The recipe variables this test needs (run.sh accepts every variable at its top as --name value). */
function recipeVariables(): Set<string> {
  const text = fs.readFileSync(RUN, 'utf8');
  return new Set([...text.matchAll(/^([a-z_]+)=/gm)].map((m) => m[1]));
}

function runRecipe(data: string, exp: string, more: string[] = []): { seconds: number; stderr: string } {
  const args = [
    RUN, '--size', 'tiny', '--data', data, '--exp', exp, '--nj', '2', '--dev-domains', DEV.join(' '), '--test-domains', TEST.join(' '),
    '--seeds', SEEDS.join(' '), '--adapt-opts', ADAPT_OPTS, ...more,
  ];
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
  if (r.status !== 0) {
    // the failing jobs' own logs, named by the recipe's FAILED lines
    const logs = [...stderr.matchAll(/FAILED \(see (\S+)\)/g)].map((m) => `--- ${m[1]}:\n${fs.existsSync(m[1]) ? fs.readFileSync(m[1], 'utf8').slice(-3000) : '(missing)'}`);
    assert.fail(`run.sh failed (status ${r.status}, signal ${r.signal}); last stderr:\n${stderr.slice(-4000)}\n${logs.join('\n')}`);
  }
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

test('recipe synth_kws: stages 0-5 on the tiny corpus, a re-run that is a no-op, then one that changes an adaptation option', async (t) => {
  const vars = recipeVariables();
  for (const v of ['adapt_opts', 'methods', 'seeds', 'dev_domains', 'test_domains']) assert.ok(vars.has(v), `run.sh has no ${v} variable`);
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
    // features of the model's front end for every set, OOD copies included; CMVN is part of the front
    // end (nothing writes a cmvn.scp that nothing reads)
    for (const set of [...featSets, ...oodSets]) {
      const scp = path.join(data, set, 'feats.scp');
      assert.ok(fs.existsSync(scp) && fs.statSync(scp).size > 0, `${scp} missing or empty`);
      assert.ok(!fs.existsSync(path.join(data, set, 'cmvn.scp')), `${set}/cmvn.scp written`);
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

    // every method × domain × seed adapted, each in its own dir; single-seed methods once
    for (const m of METHODS) for (const d of DOMAINS) {
      for (const s of seedsOf(m)) {
        const f = path.join(exp, m, d, `seed${s}`, 'adapted.onnx');
        assert.ok(fs.existsSync(f) && fs.statSync(f).size > 0, `${f} missing`);
      }
      assert.deepEqual(fs.readdirSync(path.join(exp, m, d)).filter((f) => /^seed\d+$/.test(f)).sort(), seedsOf(m).map((s) => `seed${s}`));
    }
    // seeds make different adaptations (jem's weights differ between seed 1 and seed 2)
    const w = (s: number) => fs.readFileSync(path.join(exp, 'jem', DOMAINS[0], `seed${s}`, 'adapted.onnx'));
    assert.ok(!w(1).equals(w(2)), 'jem seed 1 and seed 2 wrote identical models');

    // results table and JSON: dev/test split, seeds, mean ± sd, collapse fields, all recomputed
    // here from the per-seed evaluation files
    const md = fs.readFileSync(path.join(exp, 'results.md'), 'utf8');
    for (const m of METHODS) assert.ok(md.includes(m), `results.md does not mention ${m}`);
    assert.match(md, new RegExp(`## Test domains[^\\n]*: ${TEST.join(', ')}`));
    assert.match(md, new RegExp(`## Dev domains[^\\n]*: ${DEV.join(', ')}`));
    assert.match(md, /\| method \| seeds \| [^\n]* \| mean \|/);
    type Cell = Record<string, unknown> & { accuracy: number; accuracy_sd: number | null; seeds: number[]; max_class_share: number; min_class_recall: number; collapsed: boolean };
    const res = JSON.parse(fs.readFileSync(path.join(exp, 'results.json'), 'utf8')) as {
      domains: { dev: string[]; test: string[] };
      seeds: Record<string, number[]>;
      results: Record<string, Record<string, Cell>>;
      mean_over_test_domains: Record<string, { accuracy: number; accuracy_sd: number | null; seeds: number[] }>;
      mean_over_dev_domains: Record<string, { accuracy: number }>;
    };
    assert.deepEqual(res.domains, { dev: DEV, test: TEST });
    assert.deepEqual(Object.keys(res.results).sort(), [...METHODS].sort());
    type Ev = { accuracy: number; ece: number; nll: number; confusion: number[][]; ood?: { auroc: { px: number } } };
    const ev = (m: string, d: string, s: number, set: string) => JSON.parse(fs.readFileSync(path.join(exp, m, d, `seed${s}`, 'results', `${set}.json`), 'utf8')) as Ev;
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = (xs: number[]) => (xs.length < 2 ? null : Math.sqrt(xs.reduce((a, x) => a + (x - avg(xs)) ** 2, 0) / (xs.length - 1)));
    const near = (a: number | null, b: number | null, what: string) =>
      assert.ok(a === b || (a !== null && b !== null && Math.abs(a - b) < 1e-9), `${what}: ${a} vs ${b}`);
    for (const m of METHODS) {
      const seeds = seedsOf(m);
      assert.deepEqual(res.seeds[m], seeds, `results.json seeds of ${m}`);
      assert.deepEqual(Object.keys(res.results[m]).sort(), [...DOMAINS.map((d) => `${d}_test`), 'source_test'].sort(), `results.json[${m}] test sets`);
      for (const d of DOMAINS) {
        const c = res.results[m][`${d}_test`];
        for (const k of ['accuracy', 'accuracy_sd', 'seeds', 'ece', 'nll', 'auroc', 'min_class_recall', 'max_class_share', 'collapsed']) {
          assert.ok(k in c, `results.json[${m}][${d}_test] has no ${k}`);
        }
        const runs = seeds.map((s) => ev(m, d, s, `${d}_test`));
        assert.deepEqual(c.seeds, seeds);
        near(c.accuracy, avg(runs.map((r) => r.accuracy)), `${m}/${d} accuracy`);
        near(c.accuracy_sd, sd(runs.map((r) => r.accuracy)), `${m}/${d} accuracy_sd`);
        near(c.ece as number, avg(runs.map((r) => r.ece)), `${m}/${d} ece`);
        near(c.nll as number, avg(runs.map((r) => r.nll)), `${m}/${d} nll`);
        near(c.auroc as number, avg(runs.map((r) => r.ood!.auroc.px)), `${m}/${d} auroc`);
        // worst seed: the largest share of predictions on one class, the smallest class recall
        const share = Math.max(...runs.map((r) => {
          const cols = r.confusion[0].map((_, j) => r.confusion.reduce((a, row) => a + row[j], 0));
          return Math.max(...cols) / cols.reduce((a, b) => a + b, 0);
        }));
        const recall = Math.min(...runs.flatMap((r) => r.confusion.map((row, i) => row[i] / row.reduce((a, b) => a + b, 0))));
        near(c.max_class_share, share, `${m}/${d} max_class_share`);
        near(c.min_class_recall, recall, `${m}/${d} min_class_recall`);
        assert.equal(c.collapsed, share >= 0.4, `${m}/${d} collapsed`);
        if (c.collapsed) assert.match(md, new RegExp(`\\| ${m.replace('.', '\\.')}[^\n]*⚠`), `${m}/${d} collapsed but not marked`);
      }
      // source_test: per seed the mean over the domain-adapted models, then over seeds
      const perSeed = seeds.map((s) => avg(DOMAINS.map((d) => ev(m, d, s, 'source_test').accuracy)));
      near(res.results[m].source_test.accuracy, avg(perSeed), `${m}/source_test`);
      // mean over test domains: per seed over the test domains, then mean ± sd over seeds
      const testMeans = seeds.map((s) => avg(TEST.map((d) => ev(m, d, s, `${d}_test`).accuracy)));
      near(res.mean_over_test_domains[m].accuracy, avg(testMeans), `${m} mean over test domains`);
      near(res.mean_over_test_domains[m].accuracy_sd, sd(testMeans), `${m} sd of the mean over test domains`);
      assert.ok(m in res.mean_over_dev_domains);
    }
    // what the recipe promises: jem above source-only on the test domains, on every seed
    const testMean = (m: string, s: number) => avg(TEST.map((d) => ev(m, d, s, `${d}_test`).accuracy));
    const so = testMean('source-only', 1);
    const jemBySeed = SEEDS.map((s) => testMean('jem', s));
    t.diagnostic(`test-domain accuracy: source-only ${so.toFixed(3)}, jem by seed ${jemBySeed.map((a) => a.toFixed(3)).join(' ')}, source-only.prior-match ${testMean('source-only.prior-match', 1).toFixed(3)}, jem.no-energy by seed ${SEEDS.map((s) => testMean('jem.no-energy', s).toFixed(3)).join(' ')}`);
    for (const [i, a] of jemBySeed.entries()) assert.ok(a >= so + JEM_MARGIN, `jem seed ${SEEDS[i]}: ${a.toFixed(3)} on the test domains, not ${JEM_MARGIN} above source-only's ${so.toFixed(3)}`);
    // source-only is the unchanged source model: the same numbers as the stage-3 evaluation
    const s3 = JSON.parse(fs.readFileSync(path.join(exp, 'source', 'results', 'source_test.json'), 'utf8')) as { accuracy: number };
    near(res.results['source-only'].source_test.accuracy, s3.accuracy, 'source-only vs the stage-3 evaluation');

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

    // third run: jem alone with one adaptation option changed. The stage markers hold a hash of
    // their options and inputs: jem's adaptations and evaluations run again (the log says why), and
    // the results table (another method list); corpus, features, source model and stage 3 do not.
    const third = runRecipe(data, exp, ['--methods', 'jem', '--adapt-opts', `${ADAPT_OPTS} --steps 3`]);
    assert.match(third.stderr, /adapt in \S+jem\S+ runs again: its options or inputs changed/);
    const final = snapshot(tmp);
    const touched = [...before].filter(([f, [, mt]]) => final.get(f)?.[1] !== mt).map(([f]) => f);
    const outside = touched.filter((f) => !f.startsWith(`exp${path.sep}jem${path.sep}`) && !/^exp[/\\]results\.(md|json)$/.test(f) && !f.startsWith(`exp${path.sep}.done`));
    assert.deepEqual(outside, [], 'changing an adaptation option re-ran more than adaptation and evaluation');
    for (const d of DOMAINS) for (const s of SEEDS) {
      const a = path.join('exp', 'jem', d, `seed${s}`, 'adapted.onnx');
      assert.ok(touched.includes(a), `${a} was not re-made`);
      assert.equal(JSON.parse(getMetadata(loadModel(path.join(tmp, a)))['jemda.adaptation']).steps, 3);
    }
    const res3 = JSON.parse(fs.readFileSync(path.join(exp, 'results.json'), 'utf8')) as { results: Record<string, unknown> };
    assert.deepEqual(Object.keys(res3.results), ['jem'], 'the results table was not re-made for the new method list');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
