/**
 * Result files of `jemda eval`: DIR/<set>.json (all numbers), DIR/<set>.md (a readable summary),
 * DIR/<set>-reliability.svg and DIR/<set>-confusion.svg; and the methods × sets table of
 * `jemda compare-results`. All writes are atomic.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.ts';
import { DataError } from '../util/errors.ts';
import type { ClassificationMetrics } from '../engine/metrics.ts';
import type { OodAuroc } from './ood.ts';
import { confusionSvg, reliabilitySvg } from '../engine/plots.ts';

export interface EvalResult extends ClassificationMetrics {
  set: string;
  data: string;
  model: string;
  labels: string[];
  /** Present with --ood: AUROC of this set (in-domain, positive) against the OOD set. */
  ood?: { data: string; n: number; auroc: OodAuroc };
  /** Utterances per second of the onnxruntime forward pass (features excluded) and overall. */
  speed?: { forwardUttsPerSec: number; totalUttsPerSec: number; threads: number; batchSize: number };
}

const pct = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : (100 * v).toFixed(2));
const num = (v: number | undefined, d = 4) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));

export function resultMarkdown(r: EvalResult): string {
  const lines = [
    `# ${r.set}`,
    '',
    `model: \`${r.model}\`  `,
    `data: \`${r.data}\` (${r.n} utterances)`,
    '',
    '| metric | value |',
    '|---|---|',
    `| accuracy (%) | ${pct(r.accuracy)} |`,
    `| NLL | ${num(r.nll)} |`,
    `| ECE (%, 15 bins) | ${pct(r.ece)} |`,
    `| Brier | ${num(r.brier)} |`,
    `| mean confidence (%) | ${pct(r.meanConfidence)} |`,
    `| energy mean ± std | ${num(r.energy.mean, 3)} ± ${num(r.energy.std, 3)} |`,
  ];
  if (r.ood) {
    for (const [k, v] of Object.entries(r.ood.auroc)) lines.push(`| OOD AUROC ${k} vs \`${r.ood.data}\` | ${num(v)} |`);
  }
  if (r.speed) lines.push(`| utterances/s (forward / total) | ${r.speed.forwardUttsPerSec.toFixed(0)} / ${r.speed.totalUttsPerSec.toFixed(0)} |`);
  lines.push('', '## Per-class accuracy (%)', '', `| ${r.labels.join(' | ')} |`, `|${r.labels.map(() => '---').join('|')}|`);
  lines.push(`| ${r.labels.map((l) => pct(r.perClass[l])).join(' | ')} |`);
  lines.push('', '## Confusion (rows: true, columns: predicted)', '', `| | ${r.labels.join(' | ')} |`, `|---|${r.labels.map(() => '---').join('|')}|`);
  r.confusion.forEach((row, i) => lines.push(`| **${r.labels[i]}** | ${row.join(' | ')} |`));
  return lines.join('\n') + '\n';
}

/** Write <set>.json, <set>.md and the two SVG plots into `dir`; returns the written paths. */
export function writeEvalResult(dir: string, r: EvalResult): string[] {
  const base = path.join(dir, r.set);
  const files = [`${base}.json`, `${base}.md`, `${base}-reliability.svg`, `${base}-confusion.svg`];
  writeJsonAtomic(files[0], r);
  writeFileAtomic(files[1], resultMarkdown(r));
  writeFileAtomic(files[2], reliabilitySvg(r.reliability, `${r.set}: reliability`, r.ece));
  writeFileAtomic(files[3], confusionSvg(r.confusion, r.labels, `${r.set}: confusion`));
  return files;
}

export function readEvalResult(file: string): EvalResult {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as EvalResult;
    if (typeof r.accuracy !== 'number') throw new Error('no accuracy field');
    return r;
  } catch (e) {
    throw new DataError(file, undefined, `not an eval result (${(e as Error).message})`);
  }
}

export interface ExpResults {
  name: string;
  results: Map<string, EvalResult>;
}

/** <exp>/results/*.json of one experiment dir (the method name is the dir's basename). */
export function readExpResults(expDir: string): ExpResults {
  const dir = path.join(expDir, 'results');
  if (!fs.existsSync(dir)) throw new DataError(dir, undefined, 'no results directory (run jemda eval --out <exp>/results first)');
  const results = new Map<string, EvalResult>();
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const r = readEvalResult(path.join(dir, f));
    results.set(r.set ?? f.replace(/\.json$/, ''), r);
  }
  return { name: path.basename(path.resolve(expDir)), results };
}

/**
 * Row names for experiment dirs: their paths relative to the dirs' common parent; a last
 * component that prefixes every one of its set names (exp/jem/telephone with telephone_test) is
 * dropped, so that per-domain dirs of one method merge into one row ("jem").
 */
export function rowNames(expDirs: string[], sets: string[][]): string[] {
  const abs = expDirs.map((d) => path.resolve(d).split(path.sep));
  let common = 0;
  if (abs.length > 1) {
    while (abs.every((p) => p.length > common + 1 && p[common] === abs[0][common])) common++;
  } else common = abs[0].length - 1;
  return abs.map((p, i) => {
    let parts = p.slice(common);
    const last = parts[parts.length - 1];
    if (parts.length > 1 && sets[i].length > 0 && sets[i].every((s) => s.startsWith(last + '_') || s === last)) parts = parts.slice(0, -1);
    return parts.join('/');
  });
}

/** Results of several experiment dirs as rows (dirs that map to the same row are merged). */
export function readComparison(expDirs: string[]): ExpResults[] {
  const exps = expDirs.map(readExpResults);
  const names = rowNames(expDirs, exps.map((e) => [...e.results.keys()]));
  const rows = new Map<string, ExpResults>();
  exps.forEach((e, i) => {
    const row = rows.get(names[i]) ?? { name: names[i], results: new Map() };
    for (const [k, v] of e.results) {
      if (row.results.has(k)) throw new DataError(expDirs[i], undefined, `row '${names[i]}' already has results for set '${k}' from another dir`);
      row.results.set(k, v);
    }
    rows.set(names[i], row);
  });
  return [...rows.values()];
}

/** Markdown: one table per metric (accuracy, NLL, ECE), methods as rows, sets as columns. */
export function compareMarkdown(exps: ExpResults[]): string {
  const sets = [...new Set(exps.flatMap((e) => [...e.results.keys()]))].sort();
  const metrics: [string, (r: EvalResult) => string][] = [
    ['accuracy (%)', (r) => pct(r.accuracy)],
    ['NLL', (r) => num(r.nll, 3)],
    ['ECE (%)', (r) => pct(r.ece)],
  ];
  const out: string[] = [];
  for (const [title, get] of metrics) {
    out.push(`## ${title}`, '', `| method | ${sets.join(' | ')} |`, `|---|${sets.map(() => '---:').join('|')}|`);
    for (const e of exps) out.push(`| ${e.name} | ${sets.map((s) => (e.results.has(s) ? get(e.results.get(s) as EvalResult) : '–')).join(' | ')} |`);
    out.push('');
  }
  return out.join('\n');
}
