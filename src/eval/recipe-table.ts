/**
 * The results table of a recipe: methods × test sets, read from the layout the recipe writes
 * (<exp>/<method>/<domain>/results/{<domain>_test,source_test}.json). Each method is adapted once
 * per target domain, so:
 * - `<domain>_test` is scored by the model adapted to that domain;
 * - `source_test` (forgetting) is the mean over the four domain-adapted models; the Markdown also
 *   lists it per domain;
 * - `auroc` is the OOD AUROC (px score = logsumexp of the logits) of `<domain>_test` against its
 *   time-reversed copy, scored by the model adapted to that domain.
 * Relative error reduction is against the source-only row.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError } from '../util/errors.ts';
import { readEvalResult, type EvalResult } from './report.ts';

export interface CellMetrics {
  accuracy: number;
  ece: number;
  nll: number;
  auroc: number | null;
}

export type RecipeResults = Record<string, Record<string, CellMetrics>>;

export interface RecipeTable {
  results: RecipeResults;
  /** source_test per method and domain (forgetting detail). */
  forgetting: Record<string, Record<string, CellMetrics>>;
  /** The OOD score whose AUROC fills `auroc`. */
  oodScore: string;
}

function cell(r: EvalResult, oodScore: string): CellMetrics {
  const a = r.ood?.auroc as Record<string, number | undefined> | undefined;
  return { accuracy: r.accuracy, ece: r.ece, nll: r.nll, auroc: a && a[oodScore] !== undefined ? (a[oodScore] as number) : null };
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function collectRecipeResults(expDir: string, methods: string[], domains: string[], oodScore = 'px'): RecipeTable {
  const results: RecipeResults = {};
  const forgetting: Record<string, Record<string, CellMetrics>> = {};
  for (const m of methods) {
    results[m] = {};
    forgetting[m] = {};
    for (const d of domains) {
      const dir = path.join(expDir, m, d, 'results');
      const f = path.join(dir, `${d}_test.json`);
      if (!fs.existsSync(f)) throw new DataError(f, undefined, `missing: evaluate ${m} adapted to ${d} first (recipe stage 5)`);
      results[m][`${d}_test`] = cell(readEvalResult(f), oodScore);
      const s = path.join(dir, 'source_test.json');
      if (fs.existsSync(s)) forgetting[m][d] = cell(readEvalResult(s), oodScore);
    }
    const fs_ = Object.values(forgetting[m]);
    if (fs_.length > 0) {
      results[m].source_test = {
        accuracy: mean(fs_.map((c) => c.accuracy)),
        ece: mean(fs_.map((c) => c.ece)),
        nll: mean(fs_.map((c) => c.nll)),
        auroc: null,
      };
    }
  }
  return { results, forgetting, oodScore };
}

const pct = (v: number | null | undefined, d = 1) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : (100 * v).toFixed(d));
const num = (v: number | null | undefined, d = 3) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));

/** Relative error reduction of `acc` against the baseline accuracy (in %, positive = fewer errors). */
export function relativeErrorReduction(acc: number, baseline: number): number {
  const e0 = 1 - baseline;
  return e0 <= 0 ? 0 : (100 * (e0 - (1 - acc))) / e0;
}

export function recipeMarkdown(t: RecipeTable, opts: { baseline?: string; oracle?: string[]; title?: string } = {}): string {
  const baseline = opts.baseline ?? 'source-only';
  const oracle = new Set(opts.oracle ?? ['supervised']);
  const methods = Object.keys(t.results);
  const sets = [...new Set(methods.flatMap((m) => Object.keys(t.results[m])))].sort((a, b) =>
    a === 'source_test' ? 1 : b === 'source_test' ? -1 : a.localeCompare(b),
  );
  const ordered = [...methods.filter((m) => !oracle.has(m)), ...methods.filter((m) => oracle.has(m))];
  const name = (m: string) => (oracle.has(m) ? `${m} (oracle: uses target labels)` : m);
  const out: string[] = [`# ${opts.title ?? 'Results'}`, ''];
  out.push(
    'Each method adapts the source model to one target domain from its untranscribed `<domain>_adapt` audio',
    'and is scored on the held-out `<domain>_test`; `source_test` is the mean over the domain-adapted',
    `models (forgetting; per domain at the end). AUROC: OOD detection (${t.oodScore} score) of \`<domain>_test\` against its time-reversed copy.`,
    `RER: relative error reduction against ${baseline}. Oracle rows use target labels and are not comparable.`,
    '',
  );
  const metricTables: [string, (c: CellMetrics) => string][] = [
    ['Accuracy (%)', (c) => pct(c.accuracy)],
    ['ECE (%)', (c) => pct(c.ece)],
    ['NLL', (c) => num(c.nll)],
    [`OOD AUROC (${t.oodScore})`, (c) => num(c.auroc)],
  ];
  for (const [title, get] of metricTables) {
    const cols = title.startsWith('OOD') ? sets.filter((s) => s !== 'source_test') : sets;
    out.push(`## ${title}`, '', `| method | ${cols.join(' | ')} |`, `|---|${cols.map(() => '---:').join('|')}|`);
    for (const m of ordered) out.push(`| ${name(m)} | ${cols.map((s) => (t.results[m][s] ? get(t.results[m][s]) : '–')).join(' | ')} |`);
    out.push('');
  }
  if (t.results[baseline]) {
    const cols = sets.filter((s) => s !== 'source_test');
    out.push(`## Relative error reduction vs ${baseline} (%)`, '', `| method | ${cols.join(' | ')} |`, `|---|${cols.map(() => '---:').join('|')}|`);
    for (const m of ordered.filter((m) => m !== baseline)) {
      out.push(
        `| ${name(m)} | ${cols
          .map((s) => (t.results[m][s] && t.results[baseline][s] ? relativeErrorReduction(t.results[m][s].accuracy, t.results[baseline][s].accuracy).toFixed(1) : '–'))
          .join(' | ')} |`,
      );
    }
    out.push('');
  }
  const domains = [...new Set(Object.values(t.forgetting).flatMap((r) => Object.keys(r)))];
  if (domains.length > 0) {
    out.push('## Forgetting: source_test accuracy (%) of each domain-adapted model', '', `| method | ${domains.join(' | ')} |`, `|---|${domains.map(() => '---:').join('|')}|`);
    for (const m of ordered) out.push(`| ${name(m)} | ${domains.map((d) => pct(t.forgetting[m][d]?.accuracy)).join(' | ')} |`);
    out.push('');
  }
  return out.join('\n');
}
