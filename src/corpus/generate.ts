/**
 * `synth_kws` generation: plan → render (optionally on worker threads) → WAV files under
 * <out>/wav/<dataset>/ → Kaldi data dirs <out>/<dataset>/ (each swapped in atomically).
 * Output is byte-identical for any --nj: each utterance depends only on its plan entry.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeDirAtomic } from '../util/atomic.ts';
import { log } from '../util/log.ts';
import { siblingModule, startTsWorker } from '../util/ts-worker.ts';
import { progress } from '../util/progress.ts';
import { encodeWav16 } from '../audio/wav.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { writeDataDir } from '../data/datadir.ts';
import { Synthesizers } from './engines/index.ts';
import { makePlan, type UttJob } from './plan.ts';
import { renderUtt } from './render.ts';
import { CLIP_SAMPLES, DATASETS, SAMPLE_RATE, type CorpusSize } from './spec.ts';

export interface GenerateOptions {
  size: CorpusSize;
  out: string;
  seed?: number;
  nj?: number;
  /** Only these data sets (default all). */
  datasets?: string[];
}

export interface GenerateResult {
  counts: Record<string, number>;
  seconds: number;
  /** Wall seconds spent per engine/channel group (single-threaded runs only). */
  perEngine: Record<string, { clips: number; seconds: number }>;
}

export function wavPath(out: string, job: UttJob): string {
  return path.join(out, 'wav', job.dataset, `${job.utt}.wav`);
}

/** Render and write a list of jobs in order; returns per-engine timing. */
export async function renderJobs(
  jobs: UttJob[],
  out: string,
  onDone?: (job: UttJob) => void,
): Promise<Record<string, { clips: number; seconds: number }>> {
  const synth = new Synthesizers();
  const per: Record<string, { clips: number; seconds: number }> = {};
  for (const job of jobs) {
    const t0 = performance.now();
    const clip = await renderUtt(job, synth);
    writeFileAtomic(wavPath(out, job), encodeWav16(clip, SAMPLE_RATE));
    const key = job.voice ? `${job.voice.engine}${job.channel === 'clean' ? '' : '+' + job.channel}` : `silence${job.channel === 'clean' ? '' : '+' + job.channel}`;
    per[key] ??= { clips: 0, seconds: 0 };
    per[key].clips++;
    per[key].seconds += (performance.now() - t0) / 1000;
    onDone?.(job);
  }
  return per;
}

async function renderParallel(jobs: UttJob[], out: string, nj: number, tick: () => void): Promise<void> {
  const workerUrl = siblingModule(import.meta.url, 'worker');
  const parts: UttJob[][] = Array.from({ length: nj }, () => []);
  jobs.forEach((j, i) => parts[i % nj].push(j));
  await Promise.all(
    parts.map(
      (part) =>
        new Promise<void>((resolve, reject) => {
          const w = startTsWorker(workerUrl, { jobs: part, out });
          w.on('message', (m: { done?: number; error?: string }) => {
            if (m.done) tick();
            if (m.error) reject(new Error(m.error));
          });
          w.on('error', reject);
          w.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`synth worker exited with code ${code}`))));
        }),
    ),
  );
}

/** Delete WAVs left in a data set's wav folder by an earlier run with another size or seed. */
function removeStaleWavs(dir: string, keep: Set<string>): void {
  if (!fs.existsSync(dir)) return;
  for (const f of fs.readdirSync(dir)) if (f.endsWith('.wav') && !keep.has(f)) fs.rmSync(path.join(dir, f));
}

export async function generateCorpus(opts: GenerateOptions): Promise<GenerateResult> {
  const seed = opts.seed ?? 0;
  const nj = Math.max(1, opts.nj ?? 1);
  const out = path.resolve(opts.out);
  const t0 = performance.now();
  const wanted = new Set(opts.datasets ?? DATASETS);
  const jobs = makePlan(opts.size, seed).filter((j) => wanted.has(j.dataset));
  fs.mkdirSync(out, { recursive: true });
  log(`synth-corpus: ${jobs.length} utterances (size ${opts.size}, seed ${seed}, nj ${nj}) → ${out}`);
  const bar = progress('synth', jobs.length);
  let perEngine: GenerateResult['perEngine'] = {};
  try {
    if (nj === 1) perEngine = await renderJobs(jobs, out, () => bar.tick());
    else await renderParallel(jobs, out, nj, () => bar.tick());
  } finally {
    bar.stop();
  }
  const counts: Record<string, number> = {};
  for (const ds of DATASETS.filter((d) => wanted.has(d))) {
    const mine = jobs.filter((j) => j.dataset === ds);
    counts[ds] = mine.length;
    const wavScp = new Map<string, string>(), utt2spk = new Map<string, string>();
    const utt2label = new Map<string, string>(), utt2domain = new Map<string, string>();
    const utt2dur = new Map<string, number>();
    for (const j of mine) {
      wavScp.set(j.utt, wavPath(out, j));
      utt2spk.set(j.utt, j.spk);
      utt2label.set(j.utt, j.label);
      utt2domain.set(j.utt, j.domain);
      utt2dur.set(j.utt, CLIP_SAMPLES / SAMPLE_RATE);
    }
    removeStaleWavs(path.join(out, 'wav', ds), new Set(mine.map((j) => `${j.utt}.wav`)));
    writeDirAtomic(path.join(out, ds), (tmp) =>
      writeDataDir(tmp, { dir: tmp, wavScp, utt2spk, spk2utt: new Map(), utt2label, utt2domain, utt2dur }),
    );
  }
  return { counts, seconds: (performance.now() - t0) / 1000, perEngine };
}
