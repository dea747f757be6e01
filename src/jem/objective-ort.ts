/**
 * The objectives of objective.ts on the onnxruntime VJP engine (src/model/vjp-ort.ts): each term
 * is one forward (when its ∂L/∂logits depends on the logits) + one VJP run on its own batch, with
 * ∂L/∂logits computed here in JS; the parameter gradients of the terms are summed. The per-term
 * batches keep the semantics of jemLoss in BatchNorm 'train' mode (source, target and samples
 * each normalised with their own batch statistics; running statistics follow the target batch).
 *
 *   E(x) = −logsumexp f(x):   ∂E/∂f = −softmax(f);   E(x, y) = −f(x)[y]:   ∂E/∂f = −onehot(y).
 */
import { softmaxHeadCE, type BnBatchStats, type CallOptions, type VjpOrt, type VjpResult } from '../model/vjp-ort.ts';
import { MismatchError } from '../util/errors.ts';
import type { JemWeights } from './objective.ts';

export interface JemBatchArrays {
  source?: { x: Float32Array; y: Int32Array };
  target?: Float32Array;
  samples?: Float32Array;
  pxy?: { x: Float32Array; y: Int32Array; samples: Float32Array; sampleY: Int32Array };
}

export interface GradResult {
  loss: number;
  parts: Record<string, number>;
  grads: Map<string, Float32Array>;
  /** Batch statistics of the pass that updates the running statistics (bnMode 'train'), if any. */
  bnStats?: Map<string, BnBatchStats>;
}

/** Row-wise log-softmax pieces: lse[b] and softmax p[b, k] (float64 sums). */
export function softmaxRows(logits: Float32Array, B: number, K: number): { lse: Float64Array; p: Float64Array } {
  const lse = new Float64Array(B);
  const p = new Float64Array(B * K);
  for (let b = 0; b < B; b++) {
    let mx = -Infinity;
    for (let k = 0; k < K; k++) mx = Math.max(mx, logits[b * K + k]);
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(logits[b * K + k] - mx);
    lse[b] = mx + Math.log(s);
    for (let k = 0; k < K; k++) p[b * K + k] = Math.exp(logits[b * K + k] - lse[b]);
  }
  return { lse, p };
}

/** Mean prediction entropy and its gradient: ∂H_b/∂f_k = −p_k (log p_k + H_b), divided by B. */
export function entropyGrad(logits: Float32Array, B: number, K: number): { loss: number; gLogits: Float32Array } {
  const { lse, p } = softmaxRows(logits, B, K);
  const g = new Float32Array(B * K);
  let total = 0;
  for (let b = 0; b < B; b++) {
    let h = 0;
    for (let k = 0; k < K; k++) {
      const pk = p[b * K + k];
      if (pk > 0) h -= pk * (logits[b * K + k] - lse[b]);
    }
    total += h;
    for (let k = 0; k < K; k++) {
      const pk = p[b * K + k];
      g[b * K + k] = pk > 0 ? (-pk * (logits[b * K + k] - lse[b] + h)) / B : 0;
    }
  }
  return { loss: total / B, gLogits: g };
}

/** Mean cross-entropy and its gradient (softmax − onehot)/B, times w. */
export function crossEntropyGrad(logits: Float32Array, y: Int32Array, K: number, w = 1): { loss: number; gLogits: Float32Array } {
  const B = y.length;
  const { lse, p } = softmaxRows(logits, B, K);
  const g = new Float32Array(B * K);
  let loss = 0;
  for (let b = 0; b < B; b++) {
    const t = y[b];
    if (!(t >= 0 && t < K)) throw new MismatchError(`label ${t} of example ${b} out of range [0, ${K})`);
    loss += lse[b] - logits[b * K + t];
    for (let k = 0; k < K; k++) g[b * K + k] = (w * (p[b * K + k] - (k === t ? 1 : 0))) / B;
  }
  return { loss: loss / B, gLogits: g };
}

/**
 * Energies E_b = −lse_b of a batch and ∂L/∂f for L = a·mean(E) + l2·mean(E²):
 * ∂L/∂f_bk = −(a + 2·l2·E_b)/B · p_bk.
 */
export function energyTermGrad(logits: Float32Array, B: number, K: number, a: number, l2: number): { meanE: number; meanE2: number; gLogits: Float32Array } {
  const { lse, p } = softmaxRows(logits, B, K);
  const g = new Float32Array(B * K);
  let s = 0;
  let s2 = 0;
  for (let b = 0; b < B; b++) {
    const e = -lse[b];
    s += e;
    s2 += e * e;
    const c = -(a + 2 * l2 * e) / B;
    for (let k = 0; k < K; k++) g[b * K + k] = c * p[b * K + k];
  }
  return { meanE: s / B, meanE2: s2 / B, gLogits: g };
}

/**
 * w · mean cross-entropy in ONE run (the 'softmax' head: ∂L/∂f = w·(softmax − onehot)/B inside the
 * graph; the loss is computed here from the logits it returns).
 */
export async function crossEntropyTerm(engine: VjpOrt, x: Float32Array, y: Int32Array, K: number, w: number, opts: CallOptions): Promise<VjpResult & { loss: number }> {
  const { coef, target } = softmaxHeadCE(y, K);
  for (let i = 0; i < coef.length; i++) coef[i] *= w;
  for (let i = 0; i < target.length; i++) target[i] *= w;
  const r = await engine.vjpSoftmax(x, y.length, coef, target, opts);
  const { lse } = softmaxRows(r.logits, y.length, K);
  let loss = 0;
  y.forEach((c, b) => (loss += lse[b] - r.logits[b * K + c]));
  return { ...r, loss: loss / y.length };
}

function accumulate(into: Map<string, Float32Array>, add: Map<string, Float32Array>): void {
  for (const [k, g] of add) {
    const acc = into.get(k);
    if (!acc) into.set(k, Float32Array.from(g));
    else for (let i = 0; i < g.length; i++) acc[i] += g[i];
  }
}

/**
 * The JEM loss of jemLoss (same terms, weights and BatchNorm semantics) and its parameter
 * gradients. `training` selects BatchNorm batch statistics; bnStats are those of the target pass.
 */
export async function jemLossOrt(engine: VjpOrt, K: number, dim: number, b: JemBatchArrays, w: JemWeights, training: boolean, samplesTraining = training): Promise<GradResult> {
  const opts: CallOptions = { bnMode: training ? 'train' : 'eval' };
  const sampleOpts: CallOptions = { bnMode: samplesTraining ? 'train' : 'eval' };
  const grads = new Map<string, Float32Array>();
  const parts = { xent: 0, ebm: 0, l2: 0, pxy: 0, eData: 0, eSamples: 0 };
  let loss = 0;
  let bnStats: Map<string, BnBatchStats> | undefined;
  if (b.source && w.xent > 0) {
    const r = await crossEntropyTerm(engine, b.source.x, b.source.y, K, w.xent, opts);
    parts.xent = r.loss;
    loss += w.xent * r.loss;
    accumulate(grads, r.grads);
  }
  if (b.target && b.samples && (w.ebm > 0 || w.l2 > 0)) {
    const Bt = b.target.length / dim;
    const Bs = b.samples.length / dim;
    let eD = 0;
    let eD2 = 0;
    const rt = await engine.lossAndGrad(b.target, Bt, (logits) => {
      const t = energyTermGrad(logits, Bt, K, w.ebm, w.l2);
      eD = t.meanE;
      eD2 = t.meanE2;
      return { loss: 0, gLogits: t.gLogits };
    }, opts);
    bnStats = rt.bnStats;
    accumulate(grads, rt.grads);
    let eS = 0;
    let eS2 = 0;
    const rs = await engine.lossAndGrad(b.samples, Bs, (logits) => {
      const t = energyTermGrad(logits, Bs, K, -w.ebm, w.l2);
      eS = t.meanE;
      eS2 = t.meanE2;
      return { loss: 0, gLogits: t.gLogits };
    }, sampleOpts);
    accumulate(grads, rs.grads);
    parts.eData = eD;
    parts.eSamples = eS;
    parts.ebm = eD - eS;
    parts.l2 = eD2 + eS2;
    loss += w.ebm * parts.ebm + w.l2 * parts.l2;
  }
  if (b.pxy && w.pxy > 0) {
    const terms: [Float32Array, Int32Array, number][] = [
      [b.pxy.x, b.pxy.y, 1],
      [b.pxy.samples, b.pxy.sampleY, -1],
    ];
    const means: number[] = [];
    for (const [x, y, sign] of terms) {
      const termOpts = sign < 0 ? sampleOpts : opts;
      const B = y.length;
      // E(x, y) = −f[y]: ∂(sign·pxy·mean E)/∂f = −sign·pxy·onehot/B (independent of the logits: one run).
      const g = new Float32Array(B * K);
      y.forEach((c, i) => {
        if (!(c >= 0 && c < K)) throw new MismatchError(`class ${c} of example ${i} out of range [0, ${K})`);
        g[i * K + c] = (-sign * w.pxy) / B;
      });
      const r = await engine.vjp(x, B, g, termOpts);
      let s = 0;
      y.forEach((c, i) => (s -= r.logits[i * K + c]));
      means.push(s / B);
      accumulate(grads, r.grads);
    }
    parts.pxy = means[0] - means[1];
    loss += w.pxy * parts.pxy;
  }
  return { loss, parts, grads, bnStats };
}
