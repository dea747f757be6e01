/**
 * A labeled data dir → model-input examples, computed with the model's own front end: from
 * feats.scp when the dir has one (and no wave augmentation is asked for, and the front end is not
 * raw), else from wav.scp
 * (resampled to the front end's rate; Kaldi segments honoured). Labels (utt2label, else text)
 * must all be in the model's label set — checked before any audio is read. `nj` > 1 spreads the
 * utterances over worker threads; the result is identical for any nj.
 */
import type { Worker } from 'node:worker_threads';
import { readDataDir, readUnlabeledDataDir, utterances, type DataDir, type UnlabeledDataDir } from '../data/datadir.ts';
import { assertValidDataDir } from '../data/validate.ts';
import type { FrontEnd } from '../model/frontend.ts';
import { ConfigError, DataError, MismatchError } from '../util/errors.ts';
import { progress } from '../util/progress.ts';
import { fromWorkerError, siblingModule, startTsWorker, type WorkerError } from '../util/ts-worker.ts';
import type { WaveAugmentOptions } from '../audio/wave-augment.ts';
import type { ExampleSet } from '../model/ort-logits.ts';
import { computeExample, type ExampleJob, type ExampleOut, type JobContext } from './example-job.ts';

export interface LoadExamplesOptions {
  /** Precompute wave-augmented copies per utterance (training); forces reading wav.scp. */
  wave?: { options: WaveAugmentOptions; seed: number };
  /** Progress bar title (default none). */
  title?: string;
  /** Do not read labels (OOD sets, adaptation targets): utt2label and text are never opened
   * (readUnlabeledDataDir); labels are then all −1. */
  unlabeled?: boolean;
  /** Worker threads (default 1 = in-process). */
  nj?: number;
}

export interface LoadedExamples extends ExampleSet {
  /** Per utterance: the extra (augmented) examples, when `wave` was given. */
  extra?: Float32Array[][];
  source: 'feats' | 'wav';
}

/** Label indices of every utterance, or a MismatchError naming the unknown labels. */
export function labelIndices(d: DataDir, utts: string[], labels: string[]): Int32Array {
  if (!d.utt2label) throw new DataError(d.dir, undefined, 'no utt2label or text file: evaluation and training need labels');
  const index = new Map(labels.map((l, i) => [l, i]));
  const out = new Int32Array(utts.length);
  const unknown = new Map<string, string>();
  utts.forEach((u, i) => {
    const l = d.utt2label!.get(u);
    if (l === undefined) throw new DataError(`${d.dir}/utt2label`, undefined, `utterance ${u} has no label`);
    const k = index.get(l.trim());
    if (k === undefined) {
      if (!unknown.has(l)) unknown.set(l, u);
    } else out[i] = k;
  });
  if (unknown.size > 0) {
    const list = [...unknown].slice(0, 5).map(([l, u]) => `'${l}' (e.g. utterance ${u})`).join(', ');
    throw new MismatchError(`${d.dir}: ${unknown.size} label(s) not in the model's label set [${labels.join(', ')}]: ${list}`);
  }
  return out;
}

function makeJob(d: UnlabeledDataDir, utt: string, useFeats: boolean, cmvnScp: boolean): ExampleJob {
  if (useFeats) {
    const entry = d.featsScp!.get(utt);
    if (entry === undefined) throw new DataError(`${d.dir}/feats.scp`, undefined, `no entry for utterance ${utt}`);
    if (!cmvnScp) return { utt, kind: 'feats', entry };
    // Kaldi's apply-cmvn lookup: the utterance's own stats, else its speaker's, else the global ones
    const cmvn = d.cmvnScp?.get(utt) ?? d.cmvnScp?.get(d.utt2spk.get(utt) ?? '') ?? d.cmvnScp?.get('global');
    if (cmvn === undefined) throw new DataError(`${d.dir}/cmvn.scp`, undefined, `no stats for utterance ${utt}, its speaker or 'global' (the front end's cmvn is 'scp')`);
    return { utt, kind: 'feats', entry, cmvn };
  }
  const seg = d.segments?.get(utt);
  const key = seg ? seg.reco : utt;
  const entry = d.wavScp.get(key);
  if (entry === undefined) throw new DataError(`${d.dir}/wav.scp`, undefined, `no entry for ${seg ? `recording ${key} of ` : ''}utterance ${utt}`);
  return seg ? { utt, kind: 'wav', entry, segment: { start: seg.start, end: seg.end } } : { utt, kind: 'wav', entry };
}

function runWorkers(jobs: ExampleJob[], ctx: JobContext, nj: number, onResult: (i: number, o: ExampleOut) => void): Promise<void> {
  const workerUrl = siblingModule(import.meta.url, 'example-worker');
  const parts: { index: number; job: ExampleJob }[][] = Array.from({ length: nj }, () => []);
  jobs.forEach((job, index) => parts[index % nj].push({ index, job }));
  const workers: Worker[] = [];
  const all = parts.map(
    (part) =>
      new Promise<void>((resolve, reject) => {
        const w = startTsWorker(workerUrl, { jobs: part, ctx });
        workers.push(w);
        let settled = false;
        w.on('message', (m: { kind: string; index?: number; out?: ExampleOut; error?: WorkerError }) => {
          if (m.kind === 'result') onResult(m.index as number, m.out as ExampleOut);
          else if (m.kind === 'done') {
            settled = true;
            resolve();
          } else if (m.kind === 'error') {
            settled = true;
            reject(fromWorkerError(m.error!));
          }
        });
        w.on('error', (e) => {
          if (!settled) reject(e);
          settled = true;
        });
        w.on('exit', (code) => {
          if (!settled) reject(new Error(`example worker exited with code ${code}`));
        });
      }),
  );
  return Promise.all(all).then(
    () => undefined,
    async (e) => {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    },
  );
}

export async function loadExamples(dir: string, fe: FrontEnd, labels: string[], opts: LoadExamplesOptions = {}): Promise<LoadedExamples> {
  assertValidDataDir(dir, { labels: !opts.unlabeled });
  const d: UnlabeledDataDir = opts.unlabeled ? readUnlabeledDataDir(dir) : readDataDir(dir);
  const utts = utterances(d);
  if (utts.length === 0) throw new DataError(dir, undefined, 'no utterances');
  const y = opts.unlabeled ? new Int32Array(utts.length).fill(-1) : labelIndices(d as DataDir, utts, labels);
  if (fe.featureType === 'precomputed') {
    if (!d.featsScp) throw new DataError(dir, undefined, "the model's front end is 'precomputed', but there is no feats.scp: write the features with your tool (Kaldi, lhotse's Kaldi export) or jemda copy-feats");
    if (opts.wave) throw new ConfigError('wave augmentation needs audio; the front end is precomputed features');
    if (fe.cmvn === 'scp' && !d.cmvnScp) throw new DataError(dir, undefined, "the front end's cmvn is 'scp', but there is no cmvn.scp (jemda compute-cmvn-stats writes one)");
  }
  // a raw-waveform model reads the audio even when the dir has features (of another front end)
  const useFeats = !!d.featsScp && !opts.wave && fe.featureType !== 'raw';
  const jobs = utts.map((u) => makeJob(d, u, useFeats, fe.cmvn === 'scp'));
  const ctx: JobContext = { fe, ...(opts.wave ? { wave: opts.wave } : {}) };
  const outs: ExampleOut[] = new Array(utts.length);
  const bar = opts.title ? progress(opts.title, utts.length) : null;
  const nj = Math.max(1, Math.min(opts.nj ?? 1, utts.length));
  try {
    if (nj === 1) {
      jobs.forEach((j, i) => {
        outs[i] = computeExample(j, ctx);
        bar?.tick();
      });
    } else {
      await runWorkers(jobs, ctx, nj, (i, o) => {
        outs[i] = o;
        bar?.tick();
      });
    }
  } finally {
    bar?.stop();
  }
  const shapes = outs.map((o) => o.shape);
  const same = shapes.every((s) => s.join('x') === shapes[0].join('x'));
  return {
    inputs: outs.map((o) => o.data),
    labels: y,
    exampleShape: shapes[0],
    ...(same ? {} : { shapes }),
    utts,
    ...(opts.wave ? { extra: outs.map((o) => o.extra ?? []) } : {}),
    source: useFeats ? 'feats' : 'wav',
  };
}
