/**
 * `npm run bench`: jemda against PyTorch on this machine, side by side in one run. Rows are
 * `{name, unit, jemda, peer, peer_value, ratio}` with ratio > 1 meaning jemda is better (faster, or
 * more per second). A peer that is not installed is skipped and says why. Writes
 * <out>/results.json and <out>/results.md.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.ts';
import { log } from '../util/log.ts';
import { benchAudio, benchMfcc } from '../features/bench.ts';
import { writeWav16 } from '../audio/wav.ts';
import { buildModel, defaultFrontEnd, DEFAULT_KWS_LABELS } from '../model/builders/index.ts';
import { encodeModel, saveModel, type ModelProto } from '../model/onnx-io.ts';
import { OrtRunner } from '../model/ort-runner.ts';
import { resolveConfig, type AdaptConfig } from '../adapt/config.ts';
import { benchAdaptSteps, benchTrainSteps, JEMDA_CLI, timedProcess, writeBenchDataDir } from './product.ts';
import { aggregateRuns, type BenchRow } from './aggregate.ts';
import { Rng } from '../util/rng.ts';

export type { BenchRow } from './aggregate.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const PEER = path.join(here, '../../scripts/torch_peer.py');
/** The default recipe's sizes: source training and per-domain adaptation utterances. */
const N_SOURCE = 1200;
const N_TARGET = 360;
/** Plain JEM (Grathwohl et al. 2019) on top of the recipe's budget: every parameter, 20 SGLD steps of 64 chains, 5 % re-initialised. */
const PLAIN_JEM: Partial<AdaptConfig> = { ebmParams: 'all', ebmWeight: 1, marginalWeight: 0, sgldSteps: 20, sgldBatchSize: 64, bufferReinit: 0.05, bufferMix: 0 };

interface PeerRun {
  value: Record<string, number> | null;
  reason?: string;
}

const peerEnv = (): NodeJS.ProcessEnv => ({ ...process.env, LD_LIBRARY_PATH: ['/usr/lib/x86_64-linux-gnu/openblas-openmp', process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') });

/** The peer under /usr/bin/time: its result plus the process's wall clock and peak memory. */
function timedPeer(python: string, args: string[]): PeerRun & { wallSeconds: number; peakRssMb: number } {
  try {
    const r = timedProcess(python, [PEER, ...args], peerEnv());
    return { value: JSON.parse(r.stdout.trim().split('\n').pop() as string) as Record<string, number>, wallSeconds: r.wallSeconds, peakRssMb: r.peakRssMb };
  } catch (e) {
    const msg = (e as Error).message;
    return { value: null, reason: /No module named/.test(msg) ? `PyTorch peer not installed (${msg})` : `PyTorch peer failed: ${msg}`, wallSeconds: NaN, peakRssMb: NaN };
  }
}

/** Run scripts/torch_peer.py with Debian's python3-torch and the OpenMP OpenBLAS (a fair peer). */
export function runTorchPeer(python: string, args: string[]): PeerRun {
  const env = peerEnv();
  const r = spawnSync(python, [PEER, ...args], { env, encoding: 'utf8', timeout: 600_000 });
  if (r.error) return { value: null, reason: `cannot run ${python} (${r.error.message})` };
  if (r.status !== 0) {
    const last = (r.stderr || '').trim().split('\n').pop() ?? '';
    return { value: null, reason: /No module named/.test(last) ? `PyTorch peer not installed (${last})` : `PyTorch peer failed: ${last}` };
  }
  return { value: JSON.parse(r.stdout.trim().split('\n').pop() as string) as Record<string, number> };
}

function row(name: string, unit: string, jemda: number, peer: PeerRun, key: string, higherIsBetter: boolean, note?: string): BenchRow {
  const pv = peer.value ? peer.value[key] : null;
  const ratio = pv === null || pv === undefined ? null : higherIsBetter ? jemda / pv : pv / jemda;
  return { name, unit, jemda, peer: peer.value ? `PyTorch ${peer.value.torch ?? ''}`.trim() : `skipped: ${peer.reason}`, peer_value: pv ?? null, ratio, note };
}

export interface BenchOptions {
  out: string;
  python: string;
  quick: boolean;
  /** Whole bench runs; the table gives medians and the ratios' range (default 3). */
  runs?: number;
}

/** `runs` whole bench runs → medians, each ratio's range, every run's values; results.{json,md}. */
export async function runBench(o: BenchOptions): Promise<BenchRow[]> {
  const n = o.runs ?? 3;
  const all: BenchRow[][] = [];
  for (let i = 0; i < n; i++) {
    log(`bench: run ${i + 1} of ${n}`);
    all.push(await benchOnce(o));
  }
  const rows = aggregateRuns(all);
  writeJsonAtomic(path.join(o.out, 'results.json'), rows);
  writeFileAtomic(path.join(o.out, 'results.md'), benchMarkdown(rows, n));
  return rows;
}

async function benchOnce(o: BenchOptions): Promise<BenchRow[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-bench-'));
  const rows: BenchRow[] = [];
  const reps = o.quick ? 3 : 7;
  try {
    // Models: the recipe's default KWS CNN and a default TDNN, as ONNX files both sides read.
    const cnn = buildModel('kws-cnn', {}, defaultFrontEnd('B1TF', { featDim: 40, numFrames: 98 }), DEFAULT_KWS_LABELS, 1);
    const tdnn = buildModel('tdnn', {}, defaultFrontEnd('BFT', { featDim: 40, numFrames: 98 }), DEFAULT_KWS_LABELS, 1);
    const files: Record<string, string> = { cnn: path.join(tmp, 'cnn.onnx'), tdnn: path.join(tmp, 'tdnn.onnx') };
    saveModel(files.cnn, cnn);
    saveModel(files.tdnn, tdnn);
    const shapes: Record<string, number[]> = { cnn: [1, 98, 40], tdnn: [40, 98] };
    const peerArgs = (m: 'cnn' | 'tdnn') => ['--model', files[m], '--logits', 'logits', '--example-shape', JSON.stringify(shapes[m])];
    const models: Record<string, ModelProto> = { cnn, tdnn };

    // 1. MFCC, one thread each, 10-s and 1-s utterances.
    for (const secs of [10, 1]) {
      const wav = path.join(tmp, `mfcc-${secs}s.wav`);
      writeWav16(wav, benchAudio(16000 * secs), 16000);
      log(`bench: MFCC frames/s on ${secs}-s utterances`);
      const j = benchMfcc(o.quick ? 1 : 3, 'fft', secs);
      const p = runTorchPeer(o.python, ['mfcc', '--wav', wav, '--reps', String(reps * 3)]);
      rows.push(row(secs === 10 ? 'mfcc_frames_per_s' : 'mfcc_frames_per_s_1s_utts', 'frames/s', j.framesPerSec, p, 'frames_per_s', true, `Kaldi MFCC 13 ceps / 23 bins, ${secs}-s utterances, 1 thread each (torchaudio.compliance.kaldi.mfcc)`));
    }

    // 2. Evaluation throughput: the KWS CNN forward pass, batch 64, one thread each.
    {
      log('bench: evaluation utterances/s (KWS CNN forward, batch 64, 1 thread)');
      const runner = await OrtRunner.create(encodeModel(cnn), { threads: 1 });
      const B = 64;
      const x = new Rng(3).fillNormal(new Float32Array(B * 98 * 40));
      const times: number[] = [];
      for (let i = 0; i < 3 + reps * 3; i++) {
        const t = performance.now();
        await runner.run({ input: { data: x, dims: [B, 1, 98, 40] } });
        if (i >= 3) times.push(performance.now() - t);
      }
      await runner.dispose();
      times.sort((a, b) => a - b);
      const ms = times[Math.floor(times.length / 2)];
      const p = runTorchPeer(o.python, ['eval', '--model', files.cnn, '--logits', 'logits', '--example-shape', JSON.stringify(shapes.cnn), '--threads', '1', '--reps', String(reps * 3)]);
      rows.push(row('eval_utts_per_s', 'utts/s', (B / ms) * 1000, p, 'utts_per_s', true, 'KWS CNN forward pass on 1-s inputs, batch 64, 1 thread each (onnxruntime-node vs eager PyTorch)'));
    }

    // 3. The product's own loops, 2 threads each: updates of `jemda adapt` (adapt(), the recipe's
    // jem configuration and plain-JEM settings) and steps of `jemda train` (trainModel()), timed
    // from the metrics.jsonl they write; the peer computes the same update (scripts/torch_peer.py).
    const srcDir = path.join(tmp, 'data/source');
    const tgtDir = path.join(tmp, 'data/target');
    writeBenchDataDir(srcDir, DEFAULT_KWS_LABELS, N_SOURCE, 1);
    writeBenchDataDir(tgtDir, DEFAULT_KWS_LABELS, N_TARGET, 2);
    const warmup = o.quick ? 1 : 2;
    const timed = o.quick ? 3 : 8;
    const configs: [string, Partial<AdaptConfig>, string][] = [
      ['', {}, "the recipe's jem configuration (conf/adapt_jem.conf): SGLD 10 steps × 32 chains, CE + marginal prior + 0.3 × energy term on BatchNorm affine, eval-mode BatchNorm"],
      ['_plain', PLAIN_JEM, 'plain JEM (Grathwohl et al.): SGLD 20 steps × 64 chains, 5 % re-initialised, CE + energy term on every parameter, eval-mode BatchNorm'],
    ];
    for (const m of ['cnn', 'tdnn'] as const) {
      for (const [suffix, cfg, what] of configs) {
        if (suffix && m === 'tdnn') continue;
        log(`bench: jemda adapt --method jem updates (${m}${suffix}, 2 threads)`);
        const j = await benchAdaptSteps({ modelPath: files[m], sourceDir: srcDir, targetDir: tgtDir, expDir: path.join(tmp, `adapt-${m}${suffix}`), method: 'jem', config: cfg, threads: 2, warmup, timed });
        const peerCfg = { ...resolveConfig(cfg, 'jem'), steps: warmup + timed };
        const p = runTorchPeer(o.python, ['adapt', ...peerArgs(m), '--threads', '2', '--config', JSON.stringify(peerCfg), '--warmup', String(warmup), '--n-source', String(N_SOURCE), '--n-target', String(N_TARGET)]);
        rows.push(row(`jem_update_ms_${m}${suffix}`, 'ms', j.updateMs, p, 'update_ms', false, `one update of jemda adapt --method jem, ${what}; 2 threads each`));
        rows.push(row(`sgld_step_ms_${m}${suffix}`, 'ms', j.sgldStepMs, p, 'sgld_step_ms', false, `one SGLD step inside that update (E, ∂E/∂x, the Langevin move); 2 threads each`));
      }
      log(`bench: jemda train steps (${m}, batch 64, 2 threads)`);
      const t = await benchTrainSteps({ model: models[m], exampleShape: shapes[m], expDir: path.join(tmp, `train-${m}`), threads: 2, warmup, timed, batch: 64 });
      const pt = runTorchPeer(o.python, ['train', ...peerArgs(m), '--threads', '2', '--reps', String(timed)]);
      rows.push(row(`train_step_ms_${m}_b64`, 'ms', t, pt, 'train_step_ms', false, 'one step of jemda train (SpecAugment, train-mode forward + backward, AdamW; the peer: forward + backward + Adam); 2 threads each'));
    }

    // 4. A whole `jemda adapt --method jem` (the recommended configuration) as users run it: one
    // process from start to adapted.onnx, wall clock and peak memory, against the peer's process.
    {
      const steps = o.quick ? 20 : resolveConfig({}, 'jem').steps;
      log(`bench: a whole jemda adapt --method jem run (${steps} updates, 2 threads)`);
      const run = timedProcess(process.execPath, [JEMDA_CLI, 'adapt', '--method', 'jem', '--steps', String(steps), '--threads', '2', '--model', files.cnn, '--source', srcDir, '--target', tgtDir, path.join(tmp, 'adapt-process')]);
      const pr = timedPeer(o.python, ['adapt', ...peerArgs('cnn'), '--threads', '2', '--config', JSON.stringify({ ...resolveConfig({}, 'jem'), steps }), '--warmup', '0', '--n-source', String(N_SOURCE), '--n-target', String(N_TARGET)]);
      const peerRun: PeerRun = pr.value ? { value: { ...pr.value, steps_per_s: steps / pr.wallSeconds, peak_rss_mb: pr.peakRssMb } } : pr;
      rows.push(row('adapt_steps_per_s', 'updates/s', steps / run.wallSeconds, peerRun, 'steps_per_s', true, `a whole jemda adapt --method jem process (${N_SOURCE} source + ${N_TARGET} target utterances, ${steps} updates, loading included), 2 threads each`));
      rows.push(row('adapt_peak_rss_mb', 'MB', run.peakRssMb, peerRun, 'peak_rss_mb', false, 'peak resident memory of that process (/usr/bin/time)'));
    }

    // 5. Memory.
    const dim = shapes.cnn.reduce((a, b) => a * b, 1);
    const jemBuffer = resolveConfig({}, 'jem').bufferSize;
    const bufBytes = jemBuffer * (dim * 4 + 4);
    rows.push({ name: 'replay_buffer_bytes', unit: 'bytes', jemda: bufBytes, peer: 'none', peer_value: null, ratio: null, note: `the recipe's jem buffer: ${jemBuffer} slots × ${dim} float32 + int32 chain step count` });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return rows;
}

export function benchMarkdown(rows: BenchRow[], runs = 1): string {
  const f = (v: number | null, d = 1) => (v === null || !Number.isFinite(v) ? '–' : v >= 1000 ? v.toFixed(0) : v.toFixed(d));
  const range = (r: BenchRow) => (r.ratio_range ? `${r.ratio_range[0].toFixed(2)}–${r.ratio_range[1].toFixed(2)}` : '–');
  const lines = [
    '# jemda bench',
    '',
    `${new Date().toISOString()} · ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown cpu'}) · node ${process.version}`,
    '',
    `ratio > 1: jemda is better (faster, or more per second). Medians over ${runs} whole bench run${runs === 1 ? '' : 's'} (each value itself a median of repeated timings); the ratio's range over the runs shows how much this machine moved.`,
    '',
    '| name | unit | jemda | peer | peer value | ratio | ratio range | what |',
    '|---|---|---:|---|---:|---:|---:|---|',
    ...rows.map((r) => `| ${r.name} | ${r.unit} | ${f(r.jemda)} | ${r.peer} | ${f(r.peer_value)} | ${r.ratio === null ? '–' : r.ratio.toFixed(2)} | ${range(r)} | ${r.note ?? ''} |`),
  ];
  return lines.join('\n') + '\n';
}
