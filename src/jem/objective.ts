/**
 * The JEM objective on a classifier's logits f(x):
 *
 *   L = xent · CE(f(x_src), y_src)
 *     + ebm  · (mean E(x_tgt) − mean E(x_samples))      (maximum likelihood of p(x) on target data)
 *     + l2   · mean(E(x_tgt)² ) + mean(E(x_samples)²)   (energy magnitude regulariser)
 *     + pxy  · (mean E(x_src, y) − mean E(x̃, y))        (optional p(x|y) term, class-conditional samples x̃)
 *
 * E(x) = −logsumexp f(x), E(x, y) = −f(x)[y]. Lowering L lowers the data energy relative to the
 * sample energy. The ebm weight follows a linear warmup then exponential decay (ebmWeightAt).
 *
 * Written once against the engine interface (src/engine/engine.ts): each term is one forward (when
 * its ∂L/∂logits depends on the logits) + one VJP on its own batch, with ∂L/∂logits computed here
 * in JS; the parameter gradients of the terms are summed. BatchNorm 'train' mode: source, target
 * and samples are each normalised with their own batch statistics; running statistics follow the
 * target batch.
 *
 *   E(x) = −logsumexp f(x):   ∂E/∂f = −softmax(f);   E(x, y) = −f(x)[y]:   ∂E/∂f = −onehot(y).
 */
import { softmaxHeadCE } from '../model/vjp-ort.ts';
import type { BnBatchStats, CallOptions, GradEngine, LossFn, VjpResult } from '../engine/engine.ts';
import { MismatchError } from '../util/errors.ts';
import { priorLogRatio } from './marginal-prior.ts';
import { softmaxRows } from '../util/logsumexp.ts';

export interface JemWeights {
  xent: number;
  ebm: number;
  l2: number;
  pxy: number;
  /** Weight of the label-marginal prior KL(mean target prediction ‖ prior) (0 or absent = off). */
  marginal?: number;
  /** The class prior of the marginal term (the source label marginal). */
  prior?: ArrayLike<number>;
  /** Running estimate of the target label marginal and its momentum (see marginalPriorGrad). */
  marginalRunning?: ArrayLike<number> | null;
  marginalMomentum?: number;
  /** Parameters (initializer names) the energy terms train; null/absent = all trainable ones. */
  ebmParams?: ReadonlySet<string> | null;
  /** Return the energy terms' gradient apart (`energyGrads`) for their own optimizer. */
  separateEnergy?: boolean;
  /**
   * With ebmParams: compute the energy terms over every parameter anyway (for `termGrads`, the
   * health metrics), then restrict; otherwise their VJP runs only for the parameters they train.
   */
  energyOverAll?: boolean;
}

export interface JemBatchArrays {
  source?: { x: Float32Array; y: Int32Array };
  target?: Float32Array;
  /**
   * The target batch's logits under the current weights in eval-mode BatchNorm, when the caller
   * already has them (jem's data-energy pass before sampling): the eval-mode target terms then
   * skip their own forward run.
   */
  targetLogits?: Float32Array;
  samples?: Float32Array;
  pxy?: { x: Float32Array; y: Int32Array; samples: Float32Array; sampleY: Int32Array };
}

export interface GradResult {
  loss: number;
  parts: Record<string, number>;
  grads: Map<string, Float32Array>;
  /** Batch statistics of the pass that updates the running statistics (bnMode 'train'), if any. */
  bnStats?: Map<string, BnBatchStats>;
  /** JEM with a marginal prior: the target batch's mean prediction (for the running estimate). */
  batchMarginal?: Float64Array;
  /** With JemWeights.separateEnergy: the energy terms' gradient (energy + E²), not in `grads`. */
  energyGrads?: Map<string, Float32Array>;
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

/**
 * Label-marginal prior KL(p̂ ‖ π) (marginal-prior.ts) on logits: p̄ = mean_b softmax(f_b), and p̂
 * = p̄ or m·r + (1 − m)·p̄ with r a running estimate over earlier batches (momentum m; a 64-row batch
 * alone estimates 12 class rates with ±40% relative noise, which keeps pushing every prediction
 * towards uniform). p̂ is held fixed in the gradient except through p̄: with g_k = log(p̂_k/π_k),
 * ∂/∂f_bj = w · p_bj (g_j − Σ_k p_bk g_k) / B (exact for m = 0). Zero when the predicted classes
 * come at the prior's rates; large when predictions collapse onto few classes.
 */
export function marginalPriorGrad(
  logits: Float32Array,
  B: number,
  K: number,
  prior: ArrayLike<number>,
  w: number,
  running: ArrayLike<number> | null = null,
  momentum = 0,
): { kl: number; batchMean: Float64Array; gLogits: Float32Array } {
  const { p } = softmaxRows(logits, B, K);
  const batchMean = new Float64Array(K);
  for (let b = 0; b < B; b++) for (let k = 0; k < K; k++) batchMean[k] += p[b * K + k] / B;
  const { g, kl } = priorLogRatio(batchMean, prior, running, momentum);
  const out = new Float32Array(B * K);
  for (let b = 0; b < B; b++) {
    let dot = 0;
    for (let k = 0; k < K; k++) dot += p[b * K + k] * g[k];
    for (let j = 0; j < K; j++) out[b * K + j] = (w * p[b * K + j] * (g[j] - dot)) / B;
  }
  return { kl, batchMean, gLogits: out };
}

/** Only the entries of `m` named in `keep` (all of them when keep is null). */
function restrict(m: Map<string, Float32Array>, keep: ReadonlySet<string> | null | undefined): Map<string, Float32Array> {
  return keep ? new Map([...m].filter(([k]) => keep.has(k))) : m;
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
export async function crossEntropyTerm(engine: GradEngine, x: Float32Array, y: Int32Array, K: number, w: number, opts: CallOptions): Promise<VjpResult & { loss: number }> {
  const { coef, target } = softmaxHeadCE(y, K);
  for (let i = 0; i < coef.length; i++) coef[i] *= w;
  for (let i = 0; i < target.length; i++) target[i] *= w;
  const r = await engine.vjpSoftmax(x, y.length, coef, target, opts);
  const { lse } = softmaxRows(r.logits, y.length, K);
  let loss = 0;
  y.forEach((c, b) => (loss += lse[b] - r.logits[b * K + c]));
  return { ...r, loss: loss / y.length };
}

/**
 * a·mean E over a batch (E = −logsumexp f, no E² term) in ONE run: ∂L/∂f = −(a/B)·softmax(f) is
 * the 'softmax' head with coef −a/B and target 0, so no forward pass has to come first; mean E and
 * mean E² come from the logits the run returns.
 */
export async function energySoftmaxTerm(engine: GradEngine, x: Float32Array, B: number, K: number, a: number, opts: CallOptions): Promise<VjpResult & { meanE: number; meanE2: number }> {
  const r = await engine.vjpSoftmax(x, B, new Float32Array(B).fill(-a / B), new Float32Array(B * K), opts);
  const { lse } = softmaxRows(r.logits, B, K);
  let s = 0;
  let s2 = 0;
  for (let b = 0; b < B; b++) {
    s -= lse[b];
    s2 += lse[b] * lse[b];
  }
  return { ...r, meanE: s / B, meanE2: s2 / B };
}

/**
 * lossAndGrad, or, given the logits of x under the current weights (eval-mode BatchNorm only:
 * train-mode statistics must come from the pass itself), one VJP run on them.
 */
async function termGrad(engine: GradEngine, x: Float32Array, B: number, K: number, lossFn: LossFn, opts: CallOptions, logits?: Float32Array): Promise<VjpResult & { loss: number }> {
  if (!logits || opts.bnMode !== 'eval') return engine.lossAndGrad(x, B, lossFn, opts);
  const { loss, gLogits } = lossFn(logits, B, K);
  return { ...(await engine.vjp(x, B, gLogits, opts)), loss };
}

function accumulate(into: Map<string, Float32Array>, add: Map<string, Float32Array>): void {
  for (const [k, g] of add) {
    const acc = into.get(k);
    if (!acc) into.set(k, Float32Array.from(g));
    else for (let i = 0; i < g.length; i++) acc[i] += g[i];
  }
}

/**
 * The JEM loss and its parameter gradients on any engine. `training` selects BatchNorm batch statistics; bnStats are those of the target pass.
 * With `termGrads`, each term's own parameter gradient (weight included; over every parameter, the
 * energy terms over the --ebm-params set they train) is copied into it: `xent`, `prior`, `eData`, `eSamples`,
 * `pxy` (`eData+prior` when the prior rides on the data-energy pass).
 */
export async function jemLoss(
  engine: GradEngine,
  K: number,
  dim: number,
  b: JemBatchArrays,
  w: JemWeights,
  training: boolean,
  samplesTraining = training,
  termGrads?: Record<string, Map<string, Float32Array>>,
): Promise<GradResult> {
  const keep = (name: string, g: Map<string, Float32Array>): void => {
    if (!termGrads) return;
    const prev = termGrads[name];
    termGrads[name] = new Map([...g].map(([k, a]) => [k, Float32Array.from(a)]));
    if (prev) accumulate(termGrads[name], prev);
  };
  const opts: CallOptions = { bnMode: training ? 'train' : 'eval' };
  const sampleOpts: CallOptions = { bnMode: samplesTraining ? 'train' : 'eval' };
  const grads = new Map<string, Float32Array>();
  const parts = { xent: 0, ebm: 0, l2: 0, pxy: 0, marginal: 0, eData: 0, eSamples: 0 };
  let loss = 0;
  let bnStats: Map<string, BnBatchStats> | undefined;
  if (b.source && w.xent > 0) {
    const r = await crossEntropyTerm(engine, b.source.x, b.source.y, K, w.xent, opts);
    parts.xent = r.loss;
    loss += w.xent * r.loss;
    accumulate(grads, r.grads);
    keep('xent', r.grads);
  }
  const marginal = (w.marginal ?? 0) > 0 && w.prior ? { w: w.marginal as number, prior: w.prior } : null;
  let batchMarginal: Float64Array | undefined;
  const marginalGrad = (m: { w: number; prior: ArrayLike<number> }, logits: Float32Array, Bt: number): Float32Array => {
    const r = marginalPriorGrad(logits, Bt, K, m.prior, m.w, w.marginalRunning ?? null, w.marginalMomentum ?? 0);
    parts.marginal = r.kl;
    batchMarginal = r.batchMean;
    return r.gLogits;
  };
  const ebmOnly = w.ebmParams ?? null;
  const energyOn = b.target && b.samples && (w.ebm > 0 || w.l2 > 0);
  // The marginal term trains every parameter: it rides on the target energy pass unless the energy
  // term is restricted to some parameters (--ebm-params), then it has a pass of its own.
  const separate = w.separateEnergy === true;
  const energyGrads = separate ? new Map<string, Float32Array>() : grads;
  // the prior's ∂L/∂logits is added to the data-energy pass (one VJP run for both)
  const priorOnDataPass = marginal !== null && energyOn && !ebmOnly && !separate;
  if (b.target && marginal && !priorOnDataPass) {
    const Bt = b.target.length / dim;
    const rm = await termGrad(engine, b.target, Bt, K, (logits) => ({ loss: 0, gLogits: marginalGrad(marginal, logits, Bt) }), opts, b.targetLogits);
    if (!energyOn) bnStats = rm.bnStats;
    accumulate(grads, rm.grads);
    keep('prior', rm.grads);
    loss += marginal.w * parts.marginal;
  }
  if (energyOn && b.target && b.samples) {
    const Bt = b.target.length / dim;
    const Bs = b.samples.length / dim;
    let eD = 0;
    let eD2 = 0;
    // The energy terms' gradient only where it is used (--ebm-params): a cheaper graph on
    // onnxruntime. With energyOverAll, over every parameter (the health metrics), restricted after.
    const only = ebmOnly && !w.energyOverAll ? ebmOnly : undefined;
    const energyOpts: CallOptions = only ? { ...opts, gradFor: only } : opts;
    const energySampleOpts: CallOptions = only ? { ...sampleOpts, gradFor: only } : sampleOpts;
    // Without the E² term or the prior on this pass, and without logits to reuse, the energy term
    // is one 'softmax'-head run (no forward pass first); likewise for the samples below.
    const softData = w.l2 === 0 && !priorOnDataPass && !(b.targetLogits && energyOpts.bnMode === 'eval');
    let rt: VjpResult;
    if (softData) {
      const r = await energySoftmaxTerm(engine, b.target, Bt, K, w.ebm, energyOpts);
      [rt, eD, eD2] = [r, r.meanE, r.meanE2];
    } else {
      rt = await termGrad(engine, b.target, Bt, K, (logits) => {
        const t = energyTermGrad(logits, Bt, K, w.ebm, w.l2);
        eD = t.meanE;
        eD2 = t.meanE2;
        if (marginal && priorOnDataPass) {
          const gm = marginalGrad(marginal, logits, Bt);
          for (let i = 0; i < gm.length; i++) t.gLogits[i] += gm[i];
        }
        return { loss: 0, gLogits: t.gLogits };
      }, energyOpts, b.targetLogits);
    }
    bnStats = rt.bnStats;
    accumulate(energyGrads, restrict(rt.grads, ebmOnly));
    keep(priorOnDataPass ? 'eData+prior' : 'eData', rt.grads);
    let eS = 0;
    let eS2 = 0;
    let rs: VjpResult;
    if (w.l2 === 0) {
      const r = await energySoftmaxTerm(engine, b.samples, Bs, K, -w.ebm, energySampleOpts);
      [rs, eS, eS2] = [r, r.meanE, r.meanE2];
    } else {
      rs = await engine.lossAndGrad(b.samples, Bs, (logits) => {
        const t = energyTermGrad(logits, Bs, K, -w.ebm, w.l2);
        eS = t.meanE;
        eS2 = t.meanE2;
        return { loss: 0, gLogits: t.gLogits };
      }, energySampleOpts);
    }
    accumulate(energyGrads, restrict(rs.grads, ebmOnly));
    keep('eSamples', rs.grads);
    parts.eData = eD;
    parts.eSamples = eS;
    parts.ebm = eD - eS;
    parts.l2 = eD2 + eS2;
    loss += w.ebm * parts.ebm + w.l2 * parts.l2 + (marginal && priorOnDataPass ? marginal.w * parts.marginal : 0);
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
      keep('pxy', r.grads);
    }
    parts.pxy = means[0] - means[1];
    loss += w.pxy * parts.pxy;
  }
  return { loss, parts, grads, bnStats, batchMarginal, energyGrads: separate ? energyGrads : undefined };
}

/** ebm weight at update `step` (0-based): linear warmup over `warmup` updates, then w·exp(−decay·(step − warmup)). */
export function ebmWeightAt(step: number, s: { weight: number; warmup: number; decay: number }): number {
  if (s.warmup > 0 && step < s.warmup) return (s.weight * step) / s.warmup;
  return s.weight * Math.exp(-s.decay * (step - Math.max(0, s.warmup)));
}
