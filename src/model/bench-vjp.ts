/**
 * Time one cross-entropy training step on onnxruntime through the VJP graph: forward (BatchNorm in
 * the chosen mode) → ∂CE/∂logits in JS → VJP (logits + parameter gradients) → Adam update in JS →
 * setWeights. Medians over `steps` timed steps after `warmup` untimed ones. Used by the bench
 * harness next to the PyTorch peer (scripts/torch_peer.py `train`).
 */
import type { ModelProto } from './onnx-io.ts';
import { VjpOrt, crossEntropyLoss, updateRunningStats } from './vjp-ort.ts';
import type { BnMode } from './vjp-graph.ts';
import { inputDims } from './ort-runner.ts';
import { findLogits } from './logits.ts';
import type { Trainable } from './types.ts';
import { Rng } from '../util/rng.ts';
import { AdamW } from '../engine/adamw.ts';

export interface BenchVjpOptions {
  batch: number;
  threads: number;
  steps?: number;
  warmup?: number;
  exampleShape?: number[];
  logitsName?: string;
  trainable?: Trainable | string[];
  bnMode?: BnMode;
  /** 'one-run' (default): logits and gradients from one run of the softmax-head graph (VjpOrt.crossEntropyGrad);
   * 'two-pass': forward, loss in JS, then vjp. */
  mode?: 'one-run' | 'two-pass';
  /** Also compute ∂L/∂x (default false). */
  wantInputGrad?: boolean;
  seed?: number;
}

export interface BenchVjpResult {
  /** Median ms of a whole training step (forward + loss + VJP + Adam + setWeights). */
  stepMs: number;
  /** Separate forward pass ('two-pass' mode; ~0 in 'one-run'). */
  forwardMs: number;
  vjpMs: number;
  /** Adam update + setWeights. */
  updateMs: number;
  /** Loss of the first and last step (the step does train). */
  firstLoss: number;
  lastLoss: number;
  batch: number;
  threads: number;
  exampleShape: number[];
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

export async function benchVjp(model: ModelProto, opts: BenchVjpOptions): Promise<BenchVjpResult> {
  const steps = opts.steps ?? 10;
  const warmup = opts.warmup ?? 4;
  const dims = inputDims(model).dims.slice(1);
  const ex = dims.map((d, i) => opts.exampleShape?.[i] ?? d ?? 0);
  if (ex.some((d) => d <= 0)) throw new Error(`benchVjp: give exampleShape for the dynamic input axes [${dims.join(', ')}]`);
  const bnMode = opts.bnMode ?? 'train';
  const v = await VjpOrt.create(model, {
    logitsName: opts.logitsName ?? findLogits(model).name,
    trainable: opts.trainable ?? 'all',
    bnMode,
    wantInputGrad: opts.wantInputGrad,
    threads: opts.threads,
    exampleShape: ex,
  });
  const rng = new Rng(opts.seed ?? 1);
  const per = ex.reduce((a, b) => a * b, 1);
  const x = rng.fillNormal(new Float32Array(opts.batch * per));
  const labels = Int32Array.from({ length: opts.batch }, () => rng.int(12));
  const adam = new AdamW(); // the product's optimizer, lr 1e-3
  const w = new Map([...v.getWeights()].map(([n, a]) => [n, a.slice()]));
  const fw: number[] = [];
  const vj: number[] = [];
  const up: number[] = [];
  const tot: number[] = [];
  let firstLoss = NaN;
  let lastLoss = NaN;
  try {
    for (let k = 0; k < warmup + steps; k++) {
      const t0 = performance.now();
      let t1: number;
      let r: Awaited<ReturnType<VjpOrt['vjp']>>;
      let loss: number;
      if ((opts.mode ?? 'one-run') === 'one-run') {
        t1 = performance.now();
        ({ loss, ...r } = await v.crossEntropyGrad(x, opts.batch, labels, { bnMode }));
      } else {
        const logits = await v.forward(x, opts.batch, { bnMode });
        t1 = performance.now();
        const K = logits.length / opts.batch;
        const lg = crossEntropyLoss(labels)(logits, opts.batch, K);
        loss = lg.loss;
        r = await v.vjp(x, opts.batch, lg.gLogits, { bnMode });
      }
      const t2 = performance.now();
      adam.step(w, r.grads, 1e-3);
      if (r.bnStats) updateRunningStats(w, r.bnStats);
      v.setWeights(w);
      const t3 = performance.now();
      if (k === 0) firstLoss = loss;
      lastLoss = loss;
      if (k >= warmup) {
        fw.push(t1 - t0);
        vj.push(t2 - t1);
        up.push(t3 - t2);
        tot.push(t3 - t0);
      }
    }
  } finally {
    await v.dispose();
  }
  return { stepMs: median(tot), forwardMs: median(fw), vjpMs: median(vj), updateMs: median(up), firstLoss, lastLoss, batch: opts.batch, threads: opts.threads, exampleShape: ex };
}
