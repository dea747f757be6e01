/**
 * Merge the features of a split's parts into the whole data dir (Kaldi's make_fbank.sh does this
 * after its job array): DATA/splitN/k/{feats.scp, utt2num_frames, skipped_utts.txt} for k = 1..N
 * become DATA/feats.scp, DATA/utt2num_frames and DATA/skipped_utts.txt. Every part must have its
 * feats.scp (a missing one names the part: its job failed or did not run), and every utterance of
 * DATA must have features or be listed as skipped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readTable, writeTable } from '../data/kaldi-text.ts';
import { readUnlabeledDataDir, utterances } from '../data/datadir.ts';
import { splitPartDir } from '../data/split.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { DataError, FeatureError } from '../util/errors.ts';
import { log, warn } from '../util/log.ts';

export interface GatherResult {
  utterances: number;
  skipped: number;
}

export function gatherFeats(dataDir: string, n: number, perUtt = false): GatherResult {
  const feats = new Map<string, string>();
  const frames = new Map<string, string>();
  const skippedLines: string[] = [];
  for (let k = 1; k <= n; k++) {
    const part = splitPartDir(dataDir, n, k, perUtt);
    const scp = path.join(part, 'feats.scp');
    if (!fs.existsSync(scp)) throw new FeatureError(part, `part ${k} of ${n} has no feats.scp: its feature job failed or did not run`);
    for (const [u, v] of readTable(scp, 'rest')) {
      if (feats.has(u)) throw new DataError(scp, undefined, `utterance '${u}' is in two parts of the split`);
      feats.set(u, v);
    }
    const nf = path.join(part, 'utt2num_frames');
    if (fs.existsSync(nf)) for (const [u, v] of readTable(nf)) frames.set(u, v);
    const sk = path.join(part, 'skipped_utts.txt');
    if (fs.existsSync(sk)) skippedLines.push(...fs.readFileSync(sk, 'utf8').split('\n').filter((l) => l.trim() !== ''));
  }
  const skipped = new Set(skippedLines.map((l) => l.split(/\s+/)[0]));
  const all = utterances(readUnlabeledDataDir(dataDir));
  const missing = all.filter((u) => !feats.has(u) && !skipped.has(u));
  if (missing.length > 0) {
    throw new FeatureError(dataDir, `${missing.length} utterance(s) have no features in ${path.dirname(splitPartDir(dataDir, n, 1, perUtt))} (first: '${missing[0]}'); was the split made from this data dir?`);
  }
  const known = new Set(all);
  const extra = [...feats.keys()].find((u) => !known.has(u));
  if (extra !== undefined) throw new FeatureError(dataDir, `the split has utterance '${extra}', which the data dir does not; split it again`);
  writeTable(path.join(dataDir, 'feats.scp'), feats);
  writeTable(path.join(dataDir, 'utt2num_frames'), frames);
  const skipFile = path.join(dataDir, 'skipped_utts.txt');
  if (skippedLines.length > 0) {
    writeFileAtomic(skipFile, skippedLines.sort().map((l) => `${l}\n`).join(''));
    warn(`${skippedLines.length} of ${all.length} utterances skipped; listed in ${skipFile}`);
  } else fs.rmSync(skipFile, { force: true });
  log(`gather-feats: ${feats.size} utterances from ${n} parts → ${path.join(dataDir, 'feats.scp')}`);
  return { utterances: feats.size, skipped: skippedLines.length };
}
