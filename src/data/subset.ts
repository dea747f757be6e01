/**
 * Subsets of a data dir (like Kaldi's utils/subset_data_dir.sh): the first or last N utterances,
 * an utterance list, a speaker list, or N utterances per label (seeded random choice).
 * Every table is restricted consistently (wav.scp keeps only recordings still used by segments;
 * cmvn.scp only the remaining speakers/utterances).
 */
import * as fs from 'node:fs';
import { ConfigError, DataError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { spk2uttFromUtt2spk, utterances, type DataDir } from './datadir.ts';
import { sortC } from './kaldi-text.ts';

export interface SubsetOptions {
  first?: number;
  last?: number;
  uttList?: string[];
  spkList?: string[];
  perLabel?: number;
  /** Seed of the per-label choice (default 0). */
  seed?: number;
}

function filterMap<V>(m: Map<string, V> | undefined, keep: (k: string) => boolean): Map<string, V> | undefined {
  if (!m) return undefined;
  const out = new Map<string, V>();
  for (const [k, v] of m) if (keep(k)) out.set(k, v);
  return out;
}

/** Choose the utterances a subset keeps. */
export function selectUtterances(d: DataDir, opts: SubsetOptions): string[] {
  const given = ['first', 'last', 'uttList', 'spkList', 'perLabel'].filter((k) => opts[k as keyof SubsetOptions] !== undefined);
  if (given.length !== 1) throw new ConfigError(`give exactly one of --first, --last, --utt-list, --spk-list, --per-label (got ${given.length})`);
  const all = utterances(d);
  const count = (n: number, what: string) => {
    if (!Number.isInteger(n) || n < 0) throw new ConfigError(`--${what} must be a non-negative integer, got ${n}`);
    return n;
  };
  if (opts.first !== undefined) return all.slice(0, count(opts.first, 'first'));
  if (opts.last !== undefined) {
    const n = count(opts.last, 'last');
    return n === 0 ? [] : all.slice(-n);
  }
  if (opts.uttList) {
    const have = new Set(all);
    return sortC(new Set(opts.uttList.filter((u) => have.has(u))));
  }
  if (opts.spkList) {
    const spks = new Set(opts.spkList);
    return all.filter((u) => spks.has(d.utt2spk.get(u) ?? ''));
  }
  const n = count(opts.perLabel!, 'per-label');
  if (!d.utt2label) throw new DataError(d.dir, undefined, '--per-label needs labels (utt2label or text)');
  const byLabel = new Map<string, string[]>();
  for (const u of all) {
    const l = d.utt2label.get(u);
    if (l === undefined) throw new DataError(d.dir, undefined, `utterance '${u}' has no label`);
    let list = byLabel.get(l);
    if (!list) byLabel.set(l, (list = []));
    list.push(u);
  }
  const rng = new Rng(opts.seed ?? 0);
  const chosen: string[] = [];
  for (const l of sortC(byLabel.keys())) chosen.push(...rng.shuffle(byLabel.get(l)!.slice()).slice(0, n));
  return sortC(chosen);
}

/** The data dir restricted to the given utterances. */
export function restrictDataDir(d: DataDir, utts: Iterable<string>, dir = d.dir): DataDir {
  const keep = new Set(utts);
  const k = (u: string) => keep.has(u);
  const utt2spk = filterMap(d.utt2spk, k)!;
  const spks = new Set(utt2spk.values());
  const segments = filterMap(d.segments, k);
  const recos = segments ? new Set([...segments.values()].map((s) => s.reco)) : keep;
  const out: DataDir = {
    dir,
    wavScp: filterMap(d.wavScp, (r) => recos.has(r))!,
    utt2spk,
    spk2utt: spk2uttFromUtt2spk(utt2spk),
  };
  if (d.utt2label) out.utt2label = filterMap(d.utt2label, k);
  if (segments) out.segments = segments;
  if (d.utt2dur) out.utt2dur = filterMap(d.utt2dur, k);
  if (d.utt2domain) out.utt2domain = filterMap(d.utt2domain, k);
  if (d.featsScp) out.featsScp = filterMap(d.featsScp, k);
  if (d.cmvnScp) out.cmvnScp = filterMap(d.cmvnScp, (x) => spks.has(x) || keep.has(x));
  return out;
}

export function subsetDataDir(d: DataDir, opts: SubsetOptions): DataDir {
  return restrictDataDir(d, selectUtterances(d, opts));
}

/** Read a list file: the first field of every non-empty line. */
export function readIdList(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataError(file, undefined, `cannot read: ${(e as Error).message}`, { cause: e });
  }
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((x) => x !== undefined && x !== '');
}
