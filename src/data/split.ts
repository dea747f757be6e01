/**
 * Split a data dir into N parts for a job array, as Kaldi's utils/split_data.sh does: the parts
 * are DATA/splitN/1..N (DATA/splitNutt/1..N with `perUtt`), each a complete data dir restricted
 * to its utterances. By default the split is by speaker (no speaker is cut across two parts, so
 * per-speaker statistics stay whole) with the utterance counts as even as the speakers allow;
 * `perUtt` cuts the sorted utterance list into N contiguous, nearly equal parts.
 */
import * as path from 'node:path';
import { ConfigError, DataError } from '../util/errors.ts';
import { utterances, type DataDir } from './datadir.ts';
import { sortC } from './kaldi-text.ts';
import { restrictDataDir } from './subset.ts';

/** The folder of part k (1-based) of an N-way split of `dataDir`. */
export function splitPartDir(dataDir: string, n: number, k: number, perUtt = false): string {
  return path.join(dataDir, `split${n}${perUtt ? 'utt' : ''}`, String(k));
}

/** When `dir` is part k of an N-way split (…/DATA/splitN[utt]/k), which one; null otherwise. */
export function splitPartOf(dir: string): { dataDir: string; n: number; k: number; perUtt: boolean } | null {
  const abs = path.resolve(dir);
  const k = Number(path.basename(abs));
  const m = /^split([1-9][0-9]*)(utt)?$/.exec(path.basename(path.dirname(abs)));
  if (!m || !Number.isInteger(k) || k < 1 || k > Number(m[1]) || String(k) !== path.basename(abs)) return null;
  return { dataDir: path.dirname(path.dirname(abs)), n: Number(m[1]), k, perUtt: m[2] === 'utt' };
}

/**
 * Boundaries of `n` contiguous groups over items of the given sizes (every group non-empty): the
 * cut after group j lies where the running total is closest to (j+1)/n of the whole, while enough
 * items are left for the remaining groups. Returns the n + 1 cut indices (0 … sizes.length).
 */
export function balancedCuts(sizes: number[], n: number): number[] {
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`number of parts must be a positive integer, got ${n}`);
  if (sizes.length < n) throw new ConfigError(`cannot split ${sizes.length} groups into ${n} non-empty parts`);
  const total = sizes.reduce((a, b) => a + b, 0);
  const cuts = [0];
  let i = 0;
  let run = 0;
  for (let j = 0; j < n - 1; j++) {
    const goal = (total * (j + 1)) / n;
    // take at least one group, and leave at least one for each later part
    run += sizes[i++];
    const last = sizes.length - (n - 1 - j);
    while (i < last && Math.abs(run + sizes[i] - goal) < Math.abs(run - goal)) run += sizes[i++];
    cuts.push(i);
  }
  cuts.push(sizes.length);
  return cuts;
}

/** The utterances of each of the n parts (sorted order kept within and across parts). */
export function splitUtterances(d: DataDir, n: number, perUtt = false): string[][] {
  const utts = utterances(d);
  if (perUtt) {
    if (utts.length < n) throw new DataError(d.dir, undefined, `${utts.length} utterances cannot be split into ${n} non-empty parts`);
    const cuts = balancedCuts(utts.map(() => 1), n);
    return cuts.slice(0, -1).map((c, j) => utts.slice(c, cuts[j + 1]));
  }
  // speakers in the order their first utterance appears, each with all its utterances
  const bySpk = new Map<string, string[]>();
  for (const u of utts) {
    const s = d.utt2spk.get(u);
    if (s === undefined) throw new DataError(d.dir, undefined, `utterance '${u}' has no speaker in utt2spk`);
    let list = bySpk.get(s);
    if (!list) bySpk.set(s, (list = []));
    list.push(u);
  }
  const groups = [...bySpk.values()];
  if (groups.length < n) {
    throw new DataError(d.dir, undefined, `${groups.length} speaker(s) cannot be split into ${n} parts by speaker; use fewer jobs or split per utterance`);
  }
  const cuts = balancedCuts(groups.map((g) => g.length), n);
  return cuts.slice(0, -1).map((c, j) => sortC(groups.slice(c, cuts[j + 1]).flat()));
}

/** The n part data dirs (not written): part k lives in splitPartDir(d.dir, n, k). */
export function splitDataDir(d: DataDir, n: number, perUtt = false): DataDir[] {
  return splitUtterances(d, n, perUtt).map((utts, j) => restrictDataDir(d, utts, splitPartDir(d.dir, n, j + 1, perUtt)));
}
