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
import { benchSgldStep } from '../model/bench-sgld.ts';
import { benchVjp } from '../model/bench-vjp.ts';
import { benchJemUpdate } from './jem-update.ts';
import { defaultAdaptConfig } from '../adapt/config.ts';
import { Rng } from '../util/rng.ts';

export interface BenchRow {
  name: string;
  unit: string;
  jemda: number;
  peer: string;
  peer_value: number | null;
  ratio: number | null;
  note?: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const PEER = path.join(here, '../../scripts/torch_peer.py');

interface PeerRun {
  value: Record<string, number> | null;
  reason?: string;
}

/** Run scripts/torch_peer.py with Debian's python3-torch and the OpenMP OpenBLAS (a fair peer). */
export function runTorchPeer(python: string, args: string[]): PeerRun {
  const env = { ...process.env, LD_LIBRARY_PATH: ['/usr/lib/x86_64-linux-gnu/openblas-openmp', process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') };
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
}

export async function runBench(o: BenchOptions): Promise<BenchRow[]> {
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

    // 3. SGLD steps, full JEM updates and supervised training steps, batch 64, 2 threads each.
    for (const m of ['cnn', 'tdnn'] as const) {
      log(`bench: SGLD step and JEM update (${m}, batch 64, K=20, 2 threads)`);
      const s = await benchSgldStep(models[m], { batch: 64, threads: 2, steps: reps * 2, exampleShape: shapes[m] });
      const j = await benchJemUpdate(models[m], { batch: 64, threads: 2, k: 20, exampleShape: shapes[m], updates: o.quick ? 2 : 3 });
      const p = runTorchPeer(o.python, ['sgld', '--model', files[m], '--logits', 'logits', '--example-shape', JSON.stringify(shapes[m]), '--threads', '2', '--k', '20', '--reps', String(reps * 2)]);
      rows.push(row(`sgld_step_ms_${m}_b64`, 'ms', s.stepMs, p, 'sgld_step_ms', false, 'E(x), ∂E/∂x and the Langevin update; 2 threads each'));
      if (m === 'cnn') {
        // the sampler of --bn-mode train (batch statistics, ∂E/∂x through them; issue 22 "one landscape")
        const st = await benchSgldStep(models[m], { batch: 64, threads: 2, steps: reps * 2, exampleShape: shapes[m], bnMode: 'train' });
        rows.push(row(`sgld_step_ms_${m}_b64_train_bn`, 'ms', st.stepMs, p, 'sgld_step_ms_train_bn', false, 'the same step with train-mode BatchNorm (chain-batch statistics, gradient through them); 2 threads each'));
      }
      rows.push(row(`jem_update_ms_${m}_b64`, 'ms', j.updateMs, p, 'jem_update_ms', false, 'K=20 SGLD steps + one Adam update on CE + E(data) − E(samples) (train-mode BatchNorm); 2 threads each'));
      log(`bench: supervised training step (${m}, batch 64, 2 threads)`);
      const t = await benchVjp(models[m], { batch: 64, threads: 2, steps: reps * 2, exampleShape: shapes[m] });
      const pt = runTorchPeer(o.python, ['train', '--model', files[m], '--logits', 'logits', '--example-shape', JSON.stringify(shapes[m]), '--threads', '2', '--reps', String(reps * 2)]);
      rows.push(row(`train_step_ms_${m}_b64`, 'ms', t.stepMs, pt, 'train_step_ms', false, 'cross-entropy forward + backward + Adam, train-mode BatchNorm; 2 threads each'));
    }

    // 4. Memory.
    const dim = shapes.cnn.reduce((a, b) => a * b, 1);
    const bufBytes = defaultAdaptConfig.bufferSize * (dim * 4 + 4);
    rows.push({ name: 'replay_buffer_bytes', unit: 'bytes', jemda: bufBytes, peer: 'none', peer_value: null, ratio: null, note: `default buffer: ${defaultAdaptConfig.bufferSize} slots × ${dim} float32 + int32 chain step count` });
    rows.push({ name: 'peak_rss_mb', unit: 'MB', jemda: process.resourceUsage().maxRSS / 1024, peer: 'none', peer_value: null, ratio: null, note: 'peak resident memory of this bench process' });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  writeJsonAtomic(path.join(o.out, 'results.json'), rows);
  writeFileAtomic(path.join(o.out, 'results.md'), benchMarkdown(rows));
  return rows;
}

export function benchMarkdown(rows: BenchRow[]): string {
  const f = (v: number | null, d = 1) => (v === null || !Number.isFinite(v) ? '–' : v >= 1000 ? v.toFixed(0) : v.toFixed(d));
  const lines = [
    '# jemda bench',
    '',
    `${new Date().toISOString()} · ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown cpu'}) · node ${process.version}`,
    '',
    'ratio > 1: jemda is better (faster, or more per second). Medians; the machine may be shared, so compare ratios.',
    '',
    '| name | unit | jemda | peer | peer value | ratio | what |',
    '|---|---|---:|---|---:|---:|---|',
    ...rows.map((r) => `| ${r.name} | ${r.unit} | ${f(r.jemda)} | ${r.peer} | ${f(r.peer_value)} | ${r.ratio === null ? '–' : r.ratio.toFixed(2)} | ${r.note ?? ''} |`),
  ];
  return lines.join('\n') + '\n';
}
