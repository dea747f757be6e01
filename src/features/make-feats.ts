/**
 * Feature extraction for a Kaldi data dir, like Kaldi's make_mfcc.sh / make_fbank.sh: reads
 * DATA/wav.scp (+ DATA/segments when present), splits the sorted utterances into `nj` contiguous
 * jobs, each writing ARKDIR/raw_<type>_<name>.<job>.ark (+ .scp) in Kaldi's binary layout, then
 * writes DATA/feats.scp and DATA/utt2num_frames (sorted, C locale). DATA may be one part of a split
 * (DATA/splitN/k, see data/split.ts) computed by one job of an array; gather-feats.ts merges the parts. Jobs run in worker threads when nj > 1 (tsx is
 * registered inside each worker by a small bootstrap).
 * Bad utterances (unreadable audio, too short for one frame, NaN/Inf) fail the run naming the
 * utterance and its file, or with skipBad are listed in DATA/skipped_utts.txt and left out.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadUtterance, sliceSeconds } from '../audio/load.ts';
import { assertFinite } from '../data/kaldi-matrix.ts';
import { splitPartOf } from '../data/split.ts';
import { openMatrixWriter } from '../data/kaldi-write.ts';
import { readTable, readTableEntries, sortC, writeTable } from '../data/kaldi-text.ts';
import { removeStaleTemps, writeFileAtomic } from '../util/atomic.ts';
import { runJobs, splitJobs } from '../util/job-worker.ts';
import { DataError, FeatureError, JemdaError } from '../util/errors.ts';
import { log, warn } from '../util/log.ts';
import { progress } from '../util/progress.ts';
import { hashString } from '../util/rng.ts';
import { computeFeatures } from './extract.ts';
import { FBANK_DEFAULTS, frameGeometry, MFCC_DEFAULTS, resolveOptions } from './options.ts';
import { siblingModule } from '../util/ts-worker.ts';

export type FeatType = 'mfcc' | 'fbank';

export interface UttJob {
  utt: string;
  /** wav.scp entry of the utterance (or of its recording when segmented). */
  entry: string;
  reco?: string;
  start?: number;
  end?: number;
}

export interface MakeFeatsOptions {
  type: FeatType;
  dataDir: string;
  /** Default DATA/data. */
  arkDir?: string;
  nj?: number;
  /** Kaldi feature options (kebab-case). */
  featOpts?: Record<string, unknown>;
  skipBad?: boolean;
  /** Seed of the dither noise (each utterance gets seed ^ hash(utt), independent of nj). */
  seed?: number;
  /** Show a progress bar (default true). */
  showProgress?: boolean;
}

export interface MakeFeatsResult {
  numDone: number;
  skipped: { utt: string; reason: string }[];
  featsScp: string;
  arks: string[];
  dim: number;
}

/** The utterances of DATA as jobs: wav.scp entries, or segments cut from their recordings. */
export function listUttJobs(dataDir: string): UttJob[] {
  const wavFile = path.join(dataDir, 'wav.scp');
  if (!fs.existsSync(wavFile)) throw new DataError(wavFile, undefined, 'missing (compute-mfcc/compute-fbank need wav.scp)');
  const wav = readTable(wavFile, 'rest');
  const segFile = path.join(dataDir, 'segments');
  if (!fs.existsSync(segFile)) return sortC(wav.keys()).map((utt) => ({ utt, entry: wav.get(utt)! }));
  const jobs: UttJob[] = [];
  for (const { key: utt, fields, line } of readTableEntries(segFile, { count: 3 })) {
    const [reco, s, e] = fields;
    const start = Number(s), end = Number(e);
    if (!Number.isFinite(start) || !Number.isFinite(end)) throw new DataError(segFile, line, `segment '${utt}': start/end must be numbers`);
    const entry = wav.get(reco);
    if (entry === undefined) throw new DataError(segFile, line, `segment '${utt}': recording '${reco}' is not in wav.scp`);
    jobs.push({ utt, entry, reco, start, end });
  }
  const byUtt = new Map(jobs.map((j) => [j.utt, j]));
  return sortC(byUtt.keys()).map((u) => byUtt.get(u)!);
}

/** Split into n contiguous, nearly equal parts (Kaldi split_scp.pl), dropping empty parts. */
export { splitJobs };

export interface JobSpec {
  type: FeatType;
  featOpts: Record<string, unknown>;
  seed: number;
  skipBad: boolean;
  arkFile: string;
  scpFile: string;
  utts: UttJob[];
}

export interface JobResult {
  numDone: number;
  skipped: { utt: string; reason: string }[];
  /** [utt, frames] of every written utterance. */
  numFrames: [string, number][];
}

/** One job: features of each utterance into one ark + scp. `tick` is called per utterance. */
export function runJob(spec: JobSpec, tick: (n: number) => void = () => {}): JobResult {
  const defaults = spec.type === 'mfcc' ? MFCC_DEFAULTS : FBANK_DEFAULTS;
  const o = resolveOptions(defaults, spec.featOpts, `${spec.type} options`);
  const rate = o['sample-frequency'];
  const { windowSize } = frameGeometry(o);
  const minSamples = o['snip-edges'] ? windowSize : Math.ceil(frameGeometry(o).windowShift / 2);
  const w = openMatrixWriter(`ark,scp:${spec.arkFile},${spec.scpFile}`);
  const skipped: JobResult['skipped'] = [];
  const numFrames: JobResult['numFrames'] = [];
  let numDone = 0;
  let cache: { entry: string; samples: Float32Array } | null = null;
  try {
    for (const u of spec.utts) {
      try {
        let samples: Float32Array;
        if (u.reco !== undefined) {
          if (!cache || cache.entry !== u.entry) {
            const l = loadUtterance(u.entry, u.reco, { sampleRate: rate });
            for (const n of l.notes) warn(n);
            cache = { entry: u.entry, samples: l.samples };
          }
          samples = sliceSeconds(cache.samples, rate, u.start!, u.end!);
          if (samples.length < minSamples) throw new FeatureError(u.entry, `segment is shorter than one frame (${samples.length} samples)`, u.utt);
        } else {
          const l = loadUtterance(u.entry, u.utt, { sampleRate: rate, minSamples });
          for (const n of l.notes) warn(n);
          samples = l.samples;
        }
        const m = computeFeatures(spec.type, samples, { ...spec.featOpts, seed: (spec.seed ^ hashString(u.utt)) >>> 0 });
        assertFinite(m, u.utt, u.entry);
        w.write(u.utt, m);
        numFrames.push([u.utt, m.rows]);
        numDone++;
      } catch (e) {
        if (!spec.skipBad || !(e instanceof JemdaError)) throw e;
        skipped.push({ utt: u.utt, reason: e.message.replace(/\s+/g, ' ') });
      }
      tick(1);
    }
  } catch (e) {
    w.abort();
    throw e;
  }
  w.close();
  return { numDone, skipped, numFrames };
}

/** Extract features for a whole data dir; see the file comment. */
export async function makeFeats(opts: MakeFeatsOptions): Promise<MakeFeatsResult> {
  const { type, dataDir } = opts;

  const featOpts = opts.featOpts ?? {};
  const defaults = type === 'mfcc' ? MFCC_DEFAULTS : FBANK_DEFAULTS;
  const o = resolveOptions(defaults, featOpts, `${type} options`); // validate before any work
  const dim = type === 'mfcc' ? (o as typeof MFCC_DEFAULTS)['num-ceps'] : o['num-mel-bins'] + (o['use-energy'] ? 1 : 0);
  const utts = listUttJobs(dataDir);
  if (utts.length === 0) throw new DataError(path.join(dataDir, 'wav.scp'), undefined, 'no utterances');
  const nj = Math.max(1, Math.min(opts.nj ?? 1, utts.length));
  // a part of a split (DATA/splitN/k, one job of an array): its archives are named after DATA and k
  const part = splitPartOf(dataDir);
  const arkDir = opts.arkDir ?? path.join(part ? part.dataDir : dataDir, 'data');
  const name = part ? `${path.basename(part.dataDir)}.${part.k}` : path.basename(path.resolve(dataDir));
  fs.mkdirSync(arkDir, { recursive: true });
  // Temp archives of an earlier run that was killed (kill -9 leaves them): not ours to keep.
  const stale = removeStaleTemps(arkDir, `.raw_${type}_${name}.`);
  if (stale.length > 0) log(`removed ${stale.length} temp file(s) of a killed earlier run from ${arkDir}`);
  const parts = splitJobs(utts, nj);
  const specs: JobSpec[] = parts.map((p, i) => ({
    type,
    featOpts,
    seed: (opts.seed ?? 0) >>> 0,
    skipBad: opts.skipBad ?? false,
    arkFile: path.join(arkDir, `raw_${type}_${name}.${i + 1}.ark`),
    scpFile: path.join(arkDir, `raw_${type}_${name}.${i + 1}.scp`),
    utts: p,
  }));
  const bar = opts.showProgress === false ? null : progress(`compute-${type} ${name}`, utts.length);
  const tick = (n: number) => bar?.tick(n);
  let results: JobResult[];
  try {
    // when one job fails the others are stopped: remove the temp archives they leave behind
    const removeTemps = () => {
      const prefix = `.raw_${type}_${name}.`, mark = `.tmp-${process.pid}-`;
      for (const f of fs.readdirSync(arkDir)) if (f.startsWith(prefix) && f.includes(mark)) fs.rmSync(path.join(arkDir, f), { force: true });
    };
    results = await runJobs(specs, runJob, siblingModule(import.meta.url, 'make-feats-worker'), tick, (s) => `feature worker for ${s.arkFile}`, removeTemps);
  } finally {
    bar?.stop();
  }
  // merge the job scps into DATA/feats.scp
  const feats = new Map<string, string>();
  for (const s of specs) for (const [k, v] of readTable(s.scpFile, 'rest')) feats.set(k, v);
  const featsScp = path.join(dataDir, 'feats.scp');
  if (feats.size === 0) throw new FeatureError(dataDir, 'no utterance produced features (see skipped_utts.txt)');
  writeTable(featsScp, feats);
  writeTable(path.join(dataDir, 'utt2num_frames'), new Map(results.flatMap((r) => r.numFrames)));
  const skipped = results.flatMap((r) => r.skipped);
  const skipFile = path.join(dataDir, 'skipped_utts.txt');
  if (skipped.length > 0) {
    writeFileAtomic(skipFile, skipped.map((s) => `${s.utt} ${s.reason}\n`).join(''));
    warn(`${skipped.length} of ${utts.length} utterances skipped; listed in ${skipFile}`);
  } else if (fs.existsSync(skipFile)) fs.rmSync(skipFile);
  const numDone = results.reduce((a, r) => a + r.numDone, 0);
  log(`compute-${type}: ${numDone} utterances → ${featsScp} (${specs.length} job(s), dim ${dim})`);
  return { numDone, skipped, featsScp, arks: specs.map((s) => s.arkFile), dim };
}
