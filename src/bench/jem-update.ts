/**
 * One full JEM update on onnxruntime, timed: K SGLD steps through the derived ∂E/∂x graph (eval-mode
 * BatchNorm), then one parameter update on CE(source batch) + mean E(target batch) − mean E(samples),
 * each term its own train-mode VJP run (the trainer's semantics), Adam in JS, BatchNorm running
 * statistics updated, and the new weights handed to both sessions. The PyTorch peer
 * (scripts/torch_peer.py `sgld`) does the same computation.
 */
import type { ModelProto } from '../model/onnx-io.ts';
import { EnergyGradOrt } from '../model/energy-grad-ort.ts';
import { VjpOrt, softmaxHeadCE, softmaxHeadEnergy, updateRunningStats } from '../model/vjp-ort.ts';
import { findLogits } from '../model/logits.ts';
import { inputDims } from '../model/ort-runner.ts';
import { Rng } from '../util/rng.ts';
import { fillNormalZiggurat } from '../util/normal-fast.ts';
import { AdamW } from '../engine/adamw.ts';

export interface JemUpdateBenchOptions {
  batch: number;
  threads: number;
  k: number;
  exampleShape?: number[];
  updates?: number;
  warmup?: number;
  stepSize?: number;
  noise?: number;
}

export interface JemUpdateBenchResult {
  updateMs: number;
  sgldStepMs: number;
  paramUpdateMs: number;
  batch: number;
  k: number;
  threads: number;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function addInPlace(acc: Map<string, Float32Array>, g: Map<string, Float32Array>): void {
  for (const [n, a] of g) {
    const t = acc.get(n);
    if (!t) acc.set(n, a.slice());
    else for (let i = 0; i < t.length; i++) t[i] += a[i];
  }
}

export async function benchJemUpdate(model: ModelProto, o: JemUpdateBenchOptions): Promise<JemUpdateBenchResult> {
  const logitsName = findLogits(model).name;
  const dims = inputDims(model).dims.slice(1);
  const ex = dims.map((d, i) => o.exampleShape?.[i] ?? d ?? 0);
  const per = ex.reduce((a, b) => a * b, 1);
  const B = o.batch;
  const eg = await EnergyGradOrt.create(model, { logitsName, threads: o.threads, exampleShape: ex });
  const vj = await VjpOrt.create(model, { logitsName, trainable: 'all', bnMode: 'train', threads: o.threads, exampleShape: ex });
  const rng = new Rng(7);
  const data = rng.fillNormal(new Float32Array(B * per));
  const labels = Int32Array.from({ length: B }, () => rng.int(12));
  const x = new Float32Array(B * per);
  for (let i = 0; i < x.length; i++) x[i] = 6 * rng.uniform() - 3;
  const noise = new Float32Array(x.length);
  const w = new Map([...vj.getWeights()].map(([n, a]) => [n, a.slice()]));
  const adam = new AdamW(); // the product's optimizer, lr 1e-4
  const alpha = o.stepSize ?? 1, sigma = o.noise ?? 0.01;
  const total: number[] = [];
  const sgld: number[] = [];
  const upd: number[] = [];
  try {
    for (let u = 0; u < (o.warmup ?? 1) + (o.updates ?? 3); u++) {
      const t0 = performance.now();
      for (let s = 0; s < o.k; s++) {
        const { grad } = await eg.energyAndGrad(x, B);
        fillNormalZiggurat(rng, noise);
        for (let i = 0; i < x.length; i++) x[i] += -alpha * grad[i] + sigma * noise[i];
      }
      const t1 = performance.now();
      const K = (await vj.graph()).numClasses;
      const ce = softmaxHeadCE(labels, K);
      const grads = new Map<string, Float32Array>();
      const rCe = await vj.vjpSoftmax(data, B, ce.coef, ce.target);
      addInPlace(grads, rCe.grads);
      const eD = softmaxHeadEnergy(B, K, 1 / B);
      addInPlace(grads, (await vj.vjpSoftmax(data, B, eD.coef, eD.target)).grads);
      const eS = softmaxHeadEnergy(B, K, -1 / B);
      addInPlace(grads, (await vj.vjpSoftmax(x, B, eS.coef, eS.target)).grads);
      adam.step(w, grads, 1e-4);
      if (rCe.bnStats) updateRunningStats(w, rCe.bnStats);
      vj.setWeights(w);
      eg.setWeights(w);
      const t2 = performance.now();
      if (u >= (o.warmup ?? 1)) {
        total.push(t2 - t0);
        sgld.push((t1 - t0) / o.k);
        upd.push(t2 - t1);
      }
    }
  } finally {
    await vj.dispose();
    await eg.dispose();
  }
  return { updateMs: median(total), sgldStepMs: median(sgld), paramUpdateMs: median(upd), batch: B, k: o.k, threads: o.threads };
}
