/**
 * Time SGLD steps on onnxruntime: one step = E(x) and ∂E/∂x through the derived gradient graph,
 * then x ← x − α∇E + σ·N(0, I) (noise from the ziggurat generator in util/normal-fast.ts). Medians over `steps` timed steps after warm-up; also the forward
 * pass alone for reference. Used by the bench harness (`npm run bench`).
 */
import type { ModelProto } from './onnx-io.ts';
import { EnergyGradOrt } from './energy-grad-ort.ts';
import { EnergyGradVjp } from './energy-grad-vjp.ts';
import { tensorToArray } from './onnx-io.ts';
import type { EnergyGrad } from './types.ts';
import { OrtRunner, inputDims } from './ort-runner.ts';
import { findLogits } from './logits.ts';
import { Rng } from '../util/rng.ts';
import { fillNormalZiggurat } from '../util/normal-fast.ts';

export interface BenchSgldOptions {
  batch: number;
  threads: number;
  /** Timed steps (default 10); `warmup` (default 6) untimed steps come first (onnxruntime needs a few runs to settle). */
  steps?: number;
  warmup?: number;
  logitsName?: string;
  /** Per-example shape; required for dynamic non-batch axes (e.g. TDNN time). */
  exampleShape?: number[];
  seed?: number;
  /** Weights as graph inputs (default) or baked initializers (session rebuilt after setWeights). */
  weights?: 'inputs' | 'baked';
  /** Call setWeights (slightly changed weights) before every `updateEvery`-th step, like a JEM update after K SGLD steps. */
  updateEvery?: number;
  /**
   * BatchNorm mode of the sampler: 'eval' (default; the derived ∂E/∂x graph, running statistics) or
   * 'train' (the VJP-graph sampler `jemda adapt` uses with --bn-mode train: batch statistics, ∂E/∂x through them).
   */
  bnMode?: 'eval' | 'train';
}

export interface BenchSgldResult {
  /** Median ms of one energy+gradient call. */
  gradMs: number;
  /** Median ms of a whole SGLD step (gradient call + update with fresh Gaussian noise). */
  stepMs: number;
  /** Mean ms per step over the timed steps, including the setWeights cost when updateEvery is set. */
  meanStepMs: number;
  /** Median ms of one forward pass of the original model (same batch, same threads). */
  forwardMs: number;
  batch: number;
  threads: number;
  exampleShape: number[];
  logitsName: string;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

export async function benchSgldStep(model: ModelProto, opts: BenchSgldOptions): Promise<BenchSgldResult> {
  const steps = opts.steps ?? 10;
  const warmup = opts.warmup ?? 6;
  const logitsName = opts.logitsName ?? findLogits(model).name;
  const dims = inputDims(model).dims.slice(1);
  const ex = dims.map((d, i) => opts.exampleShape?.[i] ?? d ?? 0);
  if (ex.some((d) => d <= 0)) throw new Error(`benchSgldStep: give exampleShape for the dynamic input axes [${dims.join(', ')}]`);
  let eg: EnergyGrad;
  let w0: Map<string, Float32Array>;
  if ((opts.bnMode ?? 'eval') === 'eval') {
    const o = await EnergyGradOrt.create(model, { logitsName, threads: opts.threads, exampleShape: ex, maxChunk: Math.max(256, opts.batch), weights: opts.weights });
    w0 = new Map([...o.graph.weights].map(([n, w]) => [n, w.data]));
    eg = o;
  } else {
    eg = await EnergyGradVjp.create(model, { logitsName, threads: opts.threads, exampleShape: ex, bnMode: 'train' });
    w0 = new Map((model.graph!.initializer ?? []).filter((t) => t.dataType === 1).map((t) => [t.name!, tensorToArray(t).data as Float32Array]));
  }
  const rng = new Rng(opts.seed ?? 1);
  const per = ex.reduce((a, b) => a * b, 1);
  const x = rng.fillNormal(new Float32Array(opts.batch * per));
  const noise = new Float32Array(x.length);
  const alpha = 1;
  const sigma = 0.01;
  const gradTimes: number[] = [];
  const stepTimes: number[] = [];
  let totalMs = 0;
  try {
    for (let k = 0; k < warmup + steps; k++) {
      const t0 = performance.now();
      if (opts.updateEvery && k > 0 && k % opts.updateEvery === 0) {
        const f = 1 + 1e-3 * (k % 7);
        eg.setWeights(new Map([...w0].map(([n, w]) => [n, w.map((v) => v * f)])));
      }
      const { grad } = await eg.energyAndGrad(x, opts.batch);
      const t1 = performance.now();
      fillNormalZiggurat(rng, noise);
      for (let i = 0; i < x.length; i++) x[i] += -alpha * grad[i] + sigma * noise[i];
      const t2 = performance.now();
      if (k >= warmup) {
        gradTimes.push(t1 - t0);
        stepTimes.push(t2 - t0);
        totalMs += t2 - t0;
      }
    }
  } finally {
    await eg.dispose();
  }
  const fwd = await OrtRunner.create(model, { threads: opts.threads });
  const fwdTimes: number[] = [];
  try {
    const name = fwd.inputNames[0];
    for (let k = 0; k < warmup + steps; k++) {
      const t0 = performance.now();
      await fwd.run({ [name]: { data: x, dims: [opts.batch, ...ex] } });
      if (k >= warmup) fwdTimes.push(performance.now() - t0);
    }
  } finally {
    await fwd.dispose();
  }
  return {
    gradMs: median(gradTimes),
    stepMs: median(stepTimes),
    meanStepMs: totalMs / steps,
    forwardMs: median(fwdTimes),
    batch: opts.batch,
    threads: opts.threads,
    exampleShape: ex,
    logitsName,
  };
}
