/**
 * CMVN over Kaldi tables: stats per utterance, per speaker or global from DATA/feats.scp into
 * ARKDIR/cmvn_<name>.ark (double `DM` 2×(D+1) matrices, Kaldi's layout) and DATA/cmvn.scp, and
 * applying stats to a feature rspecifier.
 * cmvn.scp keys: utterance ids (per-utt), speaker ids (per-spk, via utt2spk), or the single key
 * `global`. When applying, an utterance's stats are looked up by its id, then by its speaker
 * (utt2spk), then under `global`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KaldiMatrix } from '../data/kaldi-matrix.ts';
import { readMatrices, readMatrixMap } from '../data/kaldi-read.ts';
import { openMatrixWriter } from '../data/kaldi-write.ts';
import { readTable, sortC } from '../data/kaldi-text.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { DataError, FeatureError } from '../util/errors.ts';
import { accumulate, applyCmvn, cmvnStats, emptyCmvnStats } from './cmvn.ts';
import type { Matrix } from '../data/matrix.ts';

export type CmvnMode = 'per-utt' | 'per-spk' | 'global';

export const GLOBAL_KEY = 'global';

export interface CmvnStatsResult {
  cmvnScp: string;
  ark: string;
  numKeys: number;
  numUtts: number;
}

function statsOf(m: KaldiMatrix): Float64Array {
  if (m.rows !== 2) throw new FeatureError('cmvn stats', `expected a 2-row stats matrix, got ${m.rows}×${m.cols}`);
  return m.data64 ? Float64Array.from(m.data64) : Float64Array.from(m.data);
}

/** Accumulate and write CMVN stats for DATA (needs feats.scp; per-spk needs utt2spk). */
export function computeCmvnStatsForDir(dataDir: string, mode: CmvnMode, arkDir = path.join(dataDir, 'data')): CmvnStatsResult {
  const featsScp = path.join(dataDir, 'feats.scp');
  if (!fs.existsSync(featsScp)) throw new DataError(featsScp, undefined, 'missing (run compute-mfcc or compute-fbank first)');
  let utt2spk: Map<string, string> | undefined;
  if (mode === 'per-spk') {
    const f = path.join(dataDir, 'utt2spk');
    if (!fs.existsSync(f)) throw new DataError(f, undefined, 'missing (needed for --per-spk)');
    utt2spk = readTable(f, 'one');
  }
  const stats = new Map<string, Float64Array>();
  let numUtts = 0;
  for (const [utt, m] of readMatrices(`scp:${featsScp}`)) {
    let key = utt;
    if (mode === 'global') key = GLOBAL_KEY;
    else if (utt2spk) {
      const spk = utt2spk.get(utt);
      if (spk === undefined) throw new DataError(path.join(dataDir, 'utt2spk'), undefined, `utterance '${utt}' of feats.scp has no speaker`);
      key = spk;
    }
    let s = stats.get(key);
    if (!s) stats.set(key, (s = emptyCmvnStats(m.cols)));
    else if (s.length !== 2 * (m.cols + 1)) throw new FeatureError(featsScp, `dimension ${m.cols} differs from earlier utterances`, utt);
    accumulate(s, m);
    numUtts++;
  }
  const name = path.basename(path.resolve(dataDir));
  const ark = path.join(arkDir, `cmvn_${name}.ark`);
  const scpTmp = path.join(arkDir, `cmvn_${name}.scp`);
  const w = openMatrixWriter(`ark,scp:${ark},${scpTmp}`);
  try {
    for (const key of sortC(stats.keys())) {
      const s = stats.get(key)!;
      w.write(key, { rows: 2, cols: s.length / 2, data: s }, { double: true });
    }
  } catch (e) {
    w.abort();
    throw e;
  }
  w.close();
  const cmvnScp = path.join(dataDir, 'cmvn.scp');
  writeFileAtomic(cmvnScp, fs.readFileSync(scpTmp));
  return { cmvnScp, ark, numKeys: stats.size, numUtts };
}

export interface ApplyCmvnOptions {
  normVars: boolean;
  /** Stats rspecifier (e.g. scp:DATA/cmvn.scp); omitted → per-utterance stats computed on the fly. */
  cmvnRspec?: string;
  /** utt → speaker map for per-speaker stats. */
  utt2spk?: Map<string, string>;
}

/** Apply CMVN to every matrix of featsRspec and write them to wspec; returns the count. */
export function applyCmvnTables(featsRspec: string, wspec: string, opts: ApplyCmvnOptions): number {
  const table = opts.cmvnRspec ? readMatrixMap(opts.cmvnRspec) : null;
  const w = openMatrixWriter(wspec);
  let n = 0;
  try {
    for (const [utt, m] of readMatrices(featsRspec)) {
      let stats: Float64Array;
      if (!table) stats = cmvnStats(m);
      else {
        const spk = opts.utt2spk?.get(utt);
        const s = table.get(utt) ?? (spk !== undefined ? table.get(spk) : undefined) ?? table.get(GLOBAL_KEY);
        if (!s) throw new FeatureError(opts.cmvnRspec!, `no CMVN stats for utterance${spk ? ` or speaker '${spk}'` : ''} (nor '${GLOBAL_KEY}')`, utt);
        stats = statsOf(s);
      }
      const out: Matrix = m.rows === 0 ? m : applyCmvn(m, stats, { normVars: opts.normVars });
      w.write(utt, out);
      n++;
    }
  } catch (e) {
    w.abort();
    throw e;
  }
  w.close();
  return n;
}
