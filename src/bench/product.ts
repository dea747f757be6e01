/**
 * The bench's product-path measurements: they run the code `jemda adapt` and `jemda train` run,
 * not a copy of it. A per-update time is read from the metrics.jsonl the product writes (the
 * adaptation trainer's `seconds` / `sgldSeconds` per update, the training loop's `stepSeconds`),
 * and a whole `jemda adapt` is timed as a child process under /usr/bin/time (wall clock and peak
 * resident memory).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeWav16 } from '../audio/wav.ts';
import { writeDataDir } from '../data/datadir.ts';
import { adapt } from '../adapt/adapt.ts';
import type { AdaptConfig, Method } from '../adapt/config.ts';
import { DEFAULT_TRAIN_CONFIG, trainModel, type TrainSet } from '../train/trainer.ts';
import type { ModelProto } from '../model/onnx-io.ts';
import { Rng } from '../util/rng.ts';
import { MismatchError } from '../util/errors.ts';
import { median } from './aggregate.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const JEMDA_CLI = path.join(here, '../../scripts/jemda.mjs');

/**
 * A labeled Kaldi data dir of `n` one-second 16-kHz utterances: a tone per label plus noise, so
 * the front end, the loaders and the model see real audio of the recipe's shape.
 */
export function writeBenchDataDir(dir: string, labels: string[], n: number, seed: number): void {
  const rng = new Rng(seed);
  const wavDir = path.join(dir, 'wav');
  fs.mkdirSync(wavDir, { recursive: true });
  const wavScp = new Map<string, string>();
  const utt2spk = new Map<string, string>();
  const utt2label = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    const k = i % labels.length;
    const utt = `bench-${String(i).padStart(5, '0')}`;
    const x = new Float32Array(16000);
    const f = 200 + 150 * k;
    for (let t = 0; t < x.length; t++) x[t] = 0.2 * Math.sin((2 * Math.PI * f * t) / 16000) + 0.05 * rng.normal();
    const file = path.join(wavDir, `${utt}.wav`);
    writeWav16(file, x, 16000);
    wavScp.set(utt, file);
    utt2spk.set(utt, utt);
    utt2label.set(utt, labels[k]);
  }
  writeDataDir(dir, { dir, wavScp, utt2spk, spk2utt: new Map(), utt2label });
}

export interface AdaptStepTimes {
  /** Median wall time of one update (the trainer's `seconds`), after the warm-up updates. */
  updateMs: number;
  /** Median time of one SGLD step inside an update (sgldSeconds / sgldSteps); NaN without a sampler. */
  sgldStepMs: number;
  steps: number;
}

/**
 * Run `adapt()` (what `jemda adapt` calls) for warmup + timed updates of `method` with `config`
 * over the recommended defaults, and read the per-update times back from its metrics.jsonl.
 */
export async function benchAdaptSteps(o: {
  modelPath: string;
  sourceDir: string;
  targetDir: string;
  expDir: string;
  method: Method;
  config: Partial<AdaptConfig>;
  threads: number;
  warmup: number;
  timed: number;
}): Promise<AdaptStepTimes> {
  const steps = o.warmup + o.timed;
  await adapt({
    method: o.method,
    modelPath: o.modelPath,
    sourceDir: o.sourceDir,
    targetDir: o.targetDir,
    expDir: o.expDir,
    config: { ...o.config, steps, checkpointEvery: steps },
    threads: o.threads,
    seed: 1,
  });
  const recs = readJsonl(path.join(o.expDir, 'metrics.jsonl')).filter((r) => typeof r.step === 'number' && r.event === undefined && (r.step as number) > o.warmup);
  if (recs.length !== o.timed) throw new MismatchError(`${o.expDir}/metrics.jsonl: ${recs.length} timed updates, expected ${o.timed}`);
  const sgld = recs.filter((r) => typeof r.sgldSeconds === 'number' && (r.sgldSteps as number) > 0).map((r) => ((r.sgldSeconds as number) * 1000) / (r.sgldSteps as number));
  return { updateMs: median(recs.map((r) => (r.seconds as number) * 1000)), sgldStepMs: median(sgld), steps };
}

/**
 * Run `trainModel()` (what `jemda train` runs: augmentation, forward + backward, AdamW, the
 * recommended training config) for warmup + timed steps of batch 64 on random examples, and read
 * the per-step times back from its metrics.jsonl.
 */
export async function benchTrainSteps(o: { model: ModelProto; exampleShape: number[]; expDir: string; threads: number; warmup: number; timed: number; batch: number }): Promise<number> {
  const steps = o.warmup + o.timed;
  const per = o.exampleShape.reduce((a, b) => a * b, 1);
  const rng = new Rng(5);
  const n = steps * o.batch;
  const K = JSON.parse((o.model.metadataProps ?? []).find((p) => p.key === 'jemda.labels')?.value ?? '[]').length as number;
  const train: TrainSet = { copies: Array.from({ length: n }, () => [rng.fillNormal(new Float32Array(per))]), labels: Int32Array.from({ length: n }, () => rng.int(K)), exampleShape: o.exampleShape };
  const dev = { inputs: train.copies.slice(0, o.batch).map((c) => c[0]), labels: train.labels.slice(0, o.batch), exampleShape: o.exampleShape };
  await trainModel({
    model: o.model,
    train,
    dev,
    expDir: o.expDir,
    handleSignals: false,
    config: { ...DEFAULT_TRAIN_CONFIG, epochs: 1, batchSize: o.batch, logEvery: 1, evalEvery: steps, checkpointEvery: steps, averageLast: 1, keepCheckpoints: 1, patience: 0, threads: o.threads, engine: 'ort' },
  });
  const recs = readJsonl(path.join(o.expDir, 'metrics.jsonl')).filter((r) => typeof r.stepSeconds === 'number' && (r.step as number) > o.warmup);
  if (recs.length !== o.timed) throw new MismatchError(`${o.expDir}/metrics.jsonl: ${recs.length} timed steps, expected ${o.timed}`);
  return median(recs.map((r) => (r.stepSeconds as number) * 1000));
}

export interface ProcessRun {
  wallSeconds: number;
  peakRssMb: number;
  stdout: string;
}

/** Run a command under /usr/bin/time: its wall clock and peak resident memory (its own and its children's largest). */
export function timedProcess(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): ProcessRun {
  const r = spawnSync('/usr/bin/time', ['-f', 'JEMDA_TIME %e %M', cmd, ...args], { env, encoding: 'utf8', timeout: 900_000, maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`cannot run /usr/bin/time ${cmd} (${r.error.message})`);
  const line = (r.stderr ?? '').split('\n').reverse().find((l) => l.startsWith('JEMDA_TIME '));
  if (r.status !== 0 || !line) {
    const tail = (r.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
    throw new Error(`${cmd} ${args.slice(0, 2).join(' ')} failed (exit ${r.status}): ${tail}`);
  }
  const [, wall, rssKb] = line.split(' ');
  return { wallSeconds: Number(wall), peakRssMb: Number(rssKb) / 1024, stdout: r.stdout ?? '' };
}

function readJsonl(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
