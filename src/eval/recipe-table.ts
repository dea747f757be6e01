/**
 * The results table of a recipe: methods × target domains × adaptation seeds, read from the layout
 * the recipe writes (<exp>/<method>/<domain>/seed<N>/results/{<domain>_test,source_test}.json).
 * Target domains are split into dev domains (settings may be chosen on them) and test domains
 * (no choice looks at them); each block gets its own tables and a mean over its domains.
 *
 * Per method × test set: accuracy, ECE and NLL are means over seeds, `accuracy_sd` the sample sd
 * over seeds (null for one seed); `min_class_recall` and `max_class_share` are the *worst* seed's
 * (lowest recall, largest share), so one collapsed seed cannot hide behind two healthy ones, and
 * a cell is `collapsed` when `max_class_share` ≥ COLLAPSE_SHARE.
 * - `source_test` (forgetting) is scored by every domain-adapted model; per seed it is the mean
 *   over the domains, then mean ± sd over seeds.
 * - `auroc` is the OOD AUROC (default px score = logsumexp of the logits) of `<domain>_test`
 *   against its time-reversed copy, mean over seeds.
 * Relative error reduction is against the source-only row.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError } from '../util/errors.ts';
import { COLLAPSE_SHARE, maxClassShare, mean, minClassRecall, sampleSd } from './collapse.ts';
import { readEvalResult, type EvalResult } from './report.ts';

export interface SeedMetrics {
  seed: number;
  accuracy: number;
  ece: number;
  nll: number;
  auroc: number | null;
  min_class_recall: number;
  max_class_share: number;
}

export interface CellMetrics {
  accuracy: number;
  accuracy_sd: number | null;
  seeds: number[];
  ece: number;
  nll: number;
  auroc: number | null;
  min_class_recall: number;
  max_class_share: number;
  collapsed: boolean;
  per_seed: SeedMetrics[];
}

/** Mean over a block's domains: per seed first, then mean ± sd over seeds. */
export interface BlockMean {
  accuracy: number;
  accuracy_sd: number | null;
  seeds: number[];
  /** Cells of the block that are collapsed. */
  collapsed: number;
}

export interface DomainSplit {
  dev: string[];
  test: string[];
}

export interface RecipeTable {
  domains: DomainSplit;
  seeds: Record<string, number[]>;
  /** method → `<domain>_test` | `source_test` → cell. */
  results: Record<string, Record<string, CellMetrics>>;
  mean_over_dev_domains: Record<string, BlockMean>;
  mean_over_test_domains: Record<string, BlockMean>;
  /** source_test accuracy of each domain-adapted model, mean over seeds: method → domain → accuracy. */
  forgetting: Record<string, Record<string, number>>;
  collapse_share: number;
  ood_score: string;
}

/** Where the recipe puts one adaptation (method × domain × seed). */
export function adaptDir(expDir: string, method: string, domain: string, seed: number): string {
  return path.join(expDir, method, domain, `seed${seed}`);
}

function seedMetrics(r: EvalResult, seed: number, oodScore: string): SeedMetrics {
  const a = r.ood?.auroc as Record<string, number | undefined> | undefined;
  return {
    seed,
    accuracy: r.accuracy,
    ece: r.ece,
    nll: r.nll,
    auroc: a && a[oodScore] !== undefined ? (a[oodScore] as number) : null,
    min_class_recall: minClassRecall(r.confusion),
    max_class_share: maxClassShare(r.confusion),
  };
}

function cellOf(perSeed: SeedMetrics[]): CellMetrics {
  const acc = perSeed.map((s) => s.accuracy);
  const aurocs = perSeed.map((s) => s.auroc).filter((v): v is number => v !== null);
  const share = Math.max(...perSeed.map((s) => s.max_class_share));
  return {
    accuracy: mean(acc),
    accuracy_sd: sampleSd(acc),
    seeds: perSeed.map((s) => s.seed),
    ece: mean(perSeed.map((s) => s.ece)),
    nll: mean(perSeed.map((s) => s.nll)),
    auroc: aurocs.length === perSeed.length ? mean(aurocs) : null,
    min_class_recall: Math.min(...perSeed.map((s) => s.min_class_recall)),
    max_class_share: share,
    collapsed: share >= COLLAPSE_SHARE,
    per_seed: perSeed,
  };
}

function blockMean(cells: CellMetrics[], seeds: number[]): BlockMean {
  const perSeed = seeds.map((_, i) => mean(cells.map((c) => c.per_seed[i].accuracy)));
  return { accuracy: mean(perSeed), accuracy_sd: sampleSd(perSeed), seeds, collapsed: cells.filter((c) => c.collapsed).length };
}

function read(file: string, what: string): EvalResult {
  if (!fs.existsSync(file)) throw new DataError(file, undefined, `missing: evaluate ${what} first (recipe stage 5)`);
  return readEvalResult(file);
}

/**
 * Collect the recipe's results. `seedsOf(method)` lists the adaptation seeds of a method (the
 * unsupervised methods have several, source-only and the oracle one).
 */
export function collectRecipeResults(
  expDir: string,
  methods: string[],
  domains: DomainSplit,
  seedsOf: (method: string) => number[],
  oodScore = 'px',
): RecipeTable {
  const overlap = domains.dev.filter((d) => domains.test.includes(d));
  if (overlap.length > 0) throw new DataError(expDir, undefined, `domain(s) ${overlap.join(', ')} are both dev and test domains`);
  const all = [...domains.dev, ...domains.test];
  const t: RecipeTable = {
    domains,
    seeds: {},
    results: {},
    mean_over_dev_domains: {},
    mean_over_test_domains: {},
    forgetting: {},
    collapse_share: COLLAPSE_SHARE,
    ood_score: oodScore,
  };
  for (const m of methods) {
    const seeds = seedsOf(m);
    if (seeds.length === 0) throw new DataError(expDir, undefined, `method ${m} has no seeds`);
    t.seeds[m] = seeds;
    t.results[m] = {};
    t.forgetting[m] = {};
    const forget: SeedMetrics[][] = seeds.map(() => []);
    for (const d of all) {
      const perSeed = seeds.map((s, i) => {
        const dir = path.join(adaptDir(expDir, m, d, s), 'results');
        const src = path.join(dir, 'source_test.json');
        if (fs.existsSync(src)) forget[i].push(seedMetrics(readEvalResult(src), s, oodScore));
        return seedMetrics(read(path.join(dir, `${d}_test.json`), `${m} adapted to ${d} (seed ${s})`), s, oodScore);
      });
      t.results[m][`${d}_test`] = cellOf(perSeed);
    }
    if (forget.every((f) => f.length === all.length)) {
      const perSeed = forget.map((f, i): SeedMetrics => ({
        seed: seeds[i],
        accuracy: mean(f.map((x) => x.accuracy)),
        ece: mean(f.map((x) => x.ece)),
        nll: mean(f.map((x) => x.nll)),
        auroc: null,
        min_class_recall: Math.min(...f.map((x) => x.min_class_recall)),
        max_class_share: Math.max(...f.map((x) => x.max_class_share)),
      }));
      t.results[m].source_test = cellOf(perSeed);
      all.forEach((d, j) => (t.forgetting[m][d] = mean(forget.map((f) => f[j].accuracy))));
    }
    const cells = (ds: string[]) => ds.map((d) => t.results[m][`${d}_test`]);
    if (domains.dev.length > 0) t.mean_over_dev_domains[m] = blockMean(cells(domains.dev), seeds);
    if (domains.test.length > 0) t.mean_over_test_domains[m] = blockMean(cells(domains.test), seeds);
  }
  return t;
}

const pct = (v: number | null | undefined, d = 1) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : (100 * v).toFixed(d));
const num = (v: number | null | undefined, d = 3) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));
const pm = (m: number, sd: number | null) => (sd === null ? pct(m) : `${pct(m)} ± ${pct(sd)}`);

/** Relative error reduction of `acc` against the baseline accuracy (in %, positive = fewer errors). */
export function relativeErrorReduction(acc: number, baseline: number): number {
  const e0 = 1 - baseline;
  return e0 <= 0 ? 0 : (100 * (e0 - (1 - acc))) / e0;
}

export function recipeMarkdown(t: RecipeTable, opts: { baseline?: string; oracle?: string[]; title?: string } = {}): string {
  const baseline = opts.baseline ?? 'source-only';
  const oracle = new Set(opts.oracle ?? ['supervised']);
  const methods = Object.keys(t.results);
  const ordered = [...methods.filter((m) => !oracle.has(m)), ...methods.filter((m) => oracle.has(m))];
  const name = (m: string) => (oracle.has(m) ? `${m} (oracle: uses target labels)` : m);
  const seedsText = (m: string) => t.seeds[m].join(' ');
  const share = (100 * t.collapse_share).toFixed(0);
  const out: string[] = [`# ${opts.title ?? 'Results'}`, ''];
  out.push(
    'Each method adapts the source model to one target domain from its untranscribed `<domain>_adapt` audio',
    'and is scored on the held-out `<domain>_test`. Numbers are mean ± sample sd over the adaptation seeds',
    '(one seed: no sd). **Dev domains** are the ones settings may be chosen on; **test domains** are',
    `reported only, no choice looked at them. ⚠ marks a collapsed cell: on its worst seed one class got ≥ ${share} % of`,
    `all predictions. AUROC: OOD detection (${t.ood_score} score) of \`<domain>_test\` against its time-reversed copy.`,
    `RER: relative error reduction against ${baseline}. Oracle rows use target labels and are not comparable.`,
    '',
  );
  const blocks: [string, string[], Record<string, BlockMean>][] = [
    ['Test domains (no setting was chosen on these)', t.domains.test, t.mean_over_test_domains],
    ['Dev domains (settings are chosen on these)', t.domains.dev, t.mean_over_dev_domains],
  ];
  for (const [title, domains, means] of blocks) {
    if (domains.length === 0) continue;
    const sets = domains.map((d) => `${d}_test`);
    out.push(`## ${title}: ${domains.join(', ')}`, '');
    out.push('### Accuracy (%)', '', `| method | seeds | ${sets.join(' | ')} | mean |`, `|---|---|${sets.map(() => '---:').join('|')}|---:|`);
    for (const m of ordered) {
      const cells = sets.map((s) => {
        const c = t.results[m][s];
        return `${pm(c.accuracy, c.accuracy_sd)}${c.collapsed ? ' ⚠' : ''}`;
      });
      const b = means[m];
      out.push(`| ${name(m)} | ${seedsText(m)} | ${cells.join(' | ')} | ${pm(b.accuracy, b.accuracy_sd)}${b.collapsed > 0 ? ` (${b.collapsed} ⚠)` : ''} |`);
    }
    out.push('');
    const metricTables: [string, (m: string, s: string) => string][] = [
      ['ECE (%)', (m, s) => pct(t.results[m][s].ece)],
      ['NLL', (m, s) => num(t.results[m][s].nll)],
      ['Worst seed: smallest class recall (%) / largest share of predictions on one class (%)', (m, s) => `${pct(t.results[m][s].min_class_recall, 0)} / ${pct(t.results[m][s].max_class_share, 0)}`],
      [`OOD AUROC (${t.ood_score})`, (m, s) => num(t.results[m][s].auroc)],
    ];
    if (t.results[baseline]) {
      metricTables.push([
        `Relative error reduction vs ${baseline} (%)`,
        (m, s) => relativeErrorReduction(t.results[m][s].accuracy, t.results[baseline][s].accuracy).toFixed(1),
      ]);
    }
    for (const [mt, get] of metricTables) {
      out.push(`### ${mt}`, '', `| method | ${sets.join(' | ')} |`, `|---|${sets.map(() => '---:').join('|')}|`);
      for (const m of ordered) out.push(`| ${name(m)} | ${sets.map((s) => get(m, s)).join(' | ')} |`);
      out.push('');
    }
  }
  const all = [...t.domains.dev, ...t.domains.test];
  if (ordered.some((m) => t.results[m].source_test)) {
    out.push(
      '## Forgetting: source_test accuracy (%) of each domain-adapted model',
      '',
      `| method | mean | ${all.join(' | ')} |`,
      `|---|---:|${all.map(() => '---:').join('|')}|`,
    );
    for (const m of ordered) {
      const c = t.results[m].source_test;
      out.push(`| ${name(m)} | ${c ? pm(c.accuracy, c.accuracy_sd) : '–'} | ${all.map((d) => pct(t.forgetting[m][d])).join(' | ')} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
