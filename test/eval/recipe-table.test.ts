import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { collectRecipeResults, recipeMarkdown, relativeErrorReduction } from '../../src/eval/recipe-table.ts';

function fakeResult(file: string, set: string, accuracy: number, ece: number, nll: number, px?: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const r: Record<string, unknown> = { set, accuracy, ece, nll, n: 10 };
  if (px !== undefined) r.ood = { data: 'x', n: 10, auroc: { px, py: 0.5 } };
  fs.writeFileSync(file, JSON.stringify(r));
}

test('relative error reduction: 60% → 80% accuracy halves the errors', () => {
  assert.ok(Math.abs(relativeErrorReduction(0.8, 0.6) - 50) < 1e-9);
  assert.equal(relativeErrorReduction(0.6, 0.6), 0);
  assert.ok(relativeErrorReduction(0.5, 0.6) < 0);
  assert.equal(relativeErrorReduction(1, 1), 0);
});

test('recipe table: domain sets from the domain-adapted model, source_test averaged over domains', () => {
  const exp = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-rt-'));
  try {
    for (const [m, accs] of [['source-only', [0.5, 0.6]], ['jem', [0.7, 0.8]]] as const) {
      ['telephone', 'noisy'].forEach((d, i) => {
        fakeResult(path.join(exp, m, d, 'results', `${d}_test.json`), `${d}_test`, accs[i], 0.1 * (i + 1), 1 + i, 0.6 + i / 10);
        fakeResult(path.join(exp, m, d, 'results', 'source_test.json'), 'source_test', 0.9 + i / 20, 0.02, 0.3);
      });
    }
    const t = collectRecipeResults(exp, ['source-only', 'jem'], ['telephone', 'noisy']);
    assert.deepEqual(Object.keys(t.results).sort(), ['jem', 'source-only']);
    assert.equal(t.results.jem.telephone_test.accuracy, 0.7);
    assert.equal(t.results.jem.noisy_test.auroc, 0.7);
    assert.equal(t.results.jem.source_test.auroc, null);
    assert.ok(Math.abs(t.results.jem.source_test.accuracy - 0.925) < 1e-12);
    const md = recipeMarkdown(t);
    assert.match(md, /\| jem \| 50\.0 \| 40\.0 \|/); // RER noisy (0.8 vs 0.6) = 50, telephone (0.7 vs 0.5) = 40
    assert.throws(() => collectRecipeResults(exp, ['tent'], ['telephone']), /missing: evaluate tent adapted to telephone/);
  } finally {
    fs.rmSync(exp, { recursive: true, force: true });
  }
});
