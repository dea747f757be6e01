import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { adaptDir, collectRecipeResults, recipeMarkdown, relativeErrorReduction } from '../../src/eval/recipe-table.ts';
import { maxClassShare, minClassRecall, sampleSd } from '../../src/eval/collapse.ts';

/** An eval result made from its confusion matrix (rows: true class). */
function fakeResult(file: string, set: string, confusion: number[][], ece: number, nll: number, px?: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const n = confusion.flat().reduce((a, b) => a + b, 0);
  const accuracy = confusion.reduce((a, row, i) => a + row[i], 0) / n;
  const r: Record<string, unknown> = { set, accuracy, ece, nll, n, confusion };
  if (px !== undefined) r.ood = { data: 'x', n, auroc: { px, py: 0.5 } };
  fs.writeFileSync(file, JSON.stringify(r));
}

test('relative error reduction: 60% → 80% accuracy halves the errors', () => {
  assert.ok(Math.abs(relativeErrorReduction(0.8, 0.6) - 50) < 1e-9);
  assert.equal(relativeErrorReduction(0.6, 0.6), 0);
  assert.ok(relativeErrorReduction(0.5, 0.6) < 0);
  assert.equal(relativeErrorReduction(1, 1), 0);
});

test('collapse numbers: one class everywhere has share 1 and a class recall of 0; sample sd', () => {
  assert.equal(maxClassShare([[5, 0], [5, 0]]), 1);
  assert.equal(minClassRecall([[5, 0], [5, 0]]), 0);
  assert.equal(maxClassShare([[4, 1], [1, 4]]), 0.5);
  assert.equal(minClassRecall([[4, 1], [2, 3]]), 0.6);
  assert.equal(minClassRecall([[4, 1], [0, 0]]), 0.8); // a class with no examples is skipped
  assert.equal(sampleSd([1]), null);
  assert.ok(Math.abs(sampleSd([1, 2, 3])! - 1) < 1e-12);
});

test('recipe table: mean ± sd over seeds, dev and test blocks, worst-seed collapse, source_test per seed', () => {
  const exp = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-rt-'));
  try {
    const dev = ['telephone'], testDomains = ['noisy', 'flite'];
    const all = [...dev, ...testDomains];
    // 4 classes, 5 utterances each. source-only: one seed; jem: seeds 1 2 3, with seed 3 on flite
    // predicting class 0 everywhere
    const A = [[5, 0, 0, 0], [0, 5, 0, 0], [0, 0, 5, 0], [2, 0, 0, 3]]; // 90 %, share 35 %, min recall 60 %
    const B = [[5, 0, 0, 0], [0, 5, 0, 0], [0, 0, 3, 2], [2, 0, 0, 3]]; // 80 %
    const collapsed = [[5, 0, 0, 0], [5, 0, 0, 0], [5, 0, 0, 0], [5, 0, 0, 0]];
    const perfect = [[5, 0, 0, 0], [0, 5, 0, 0], [0, 0, 5, 0], [0, 0, 0, 5]];
    const conf: Record<string, (d: string, s: number) => number[][]> = {
      'source-only': () => [[3, 2, 0, 0], [0, 3, 2, 0], [0, 0, 3, 2], [2, 0, 0, 3]],
      jem: (d, s) => (d === 'flite' && s === 3 ? collapsed : s === 1 ? A : B),
    };
    const seeds: Record<string, number[]> = { 'source-only': [1], jem: [1, 2, 3] };
    for (const m of ['source-only', 'jem']) {
      for (const d of all) {
        for (const s of seeds[m]) {
          const dir = path.join(adaptDir(exp, m, d, s), 'results');
          fakeResult(path.join(dir, `${d}_test.json`), `${d}_test`, conf[m](d, s), 0.1, 1, 0.6);
          fakeResult(path.join(dir, 'source_test.json'), 'source_test', s === 2 ? A : perfect, 0.02, 0.3);
        }
      }
    }
    const t = collectRecipeResults(exp, ['source-only', 'jem'], { dev, test: testDomains }, (m) => seeds[m]);
    assert.deepEqual(t.domains, { dev, test: testDomains });
    assert.deepEqual(t.seeds, seeds);
    const tel = t.results.jem.telephone_test;
    assert.deepEqual(tel.seeds, [1, 2, 3]);
    assert.ok(Math.abs(tel.accuracy - (0.9 + 0.8 + 0.8) / 3) < 1e-12);
    assert.ok(Math.abs(tel.accuracy_sd! - sampleSd([0.9, 0.8, 0.8])!) < 1e-12);
    assert.equal(tel.collapsed, false);
    assert.equal(tel.max_class_share, 0.35); // 7 of 20 predictions on class 0
    assert.equal(tel.min_class_recall, 0.6);
    const flite = t.results.jem.flite_test;
    assert.equal(flite.max_class_share, 1);
    assert.equal(flite.min_class_recall, 0);
    assert.equal(flite.collapsed, true);
    assert.equal(t.results['source-only'].flite_test.accuracy_sd, null);
    assert.equal(t.results.jem.noisy_test.auroc, 0.6);
    // source_test: per seed the mean over the three domains, then over seeds
    assert.ok(Math.abs(t.results.jem.source_test.accuracy - (1 + 0.9 + 1) / 3) < 1e-12);
    assert.equal(t.results.jem.source_test.auroc, null);
    assert.ok(Math.abs(t.forgetting.jem.flite - (1 + 0.9 + 1) / 3) < 1e-12);
    // mean over test domains: per seed over noisy and flite, then over seeds
    const perSeed = [(0.9 + 0.9) / 2, (0.8 + 0.8) / 2, (0.8 + 0.25) / 2];
    const mt = t.mean_over_test_domains.jem;
    assert.ok(Math.abs(mt.accuracy - perSeed.reduce((a, b) => a + b) / 3) < 1e-12);
    assert.ok(Math.abs(mt.accuracy_sd! - sampleSd(perSeed)!) < 1e-12);
    assert.equal(mt.collapsed, 1);
    assert.equal(t.mean_over_dev_domains.jem.collapsed, 0);

    const md = recipeMarkdown(t);
    assert.match(md, /## Test domains[^\n]*: noisy, flite/);
    assert.match(md, /## Dev domains[^\n]*: telephone/);
    assert.ok(md.indexOf('## Test domains') < md.indexOf('## Dev domains'));
    assert.match(md, /\| jem \| 1 2 3 \| 83\.3 ± 5\.8 \| 65\.0 ± 35\.0 ⚠ \| 74\.2 ± 19\.4 \(1 ⚠\) \|/);
    assert.match(md, /\| source-only \| 1 \| 60\.0 \| 60\.0 \| 60\.0 \|/);
    assert.match(md, /\| jem \| 60 \/ 35 \| 0 \/ 100 \|/); // worst seed: noisy (recall / share), flite collapsed
    assert.throws(() => collectRecipeResults(exp, ['tent'], { dev, test: [] }, () => [1]), /missing: evaluate tent adapted to telephone \(seed 1\)/);
    assert.throws(() => collectRecipeResults(exp, ['jem'], { dev, test: dev }, () => [1]), /both dev and test/);
  } finally {
    fs.rmSync(exp, { recursive: true, force: true });
  }
});
