/**
 * Classification metrics from logits (pure functions). Logits are row-major n × C float arrays,
 * labels are class indices. All log-probabilities go through a max-shifted log-softmax.
 *
 * Definitions:
 * - NLL: mean over examples of −log softmax(logits)[y] (natural log).
 * - ECE: 15 equal-width bins over confidence = max softmax probability. Bin i covers (i/15, (i+1)/15];
 *   confidence 0 falls into bin 0. ECE = Σ_bins (n_b / n) · |acc_b − conf_b|.
 * - Brier: mean over examples of Σ_c (p_c − 1[c = y])² (the multi-class form, range [0, 2]).
 * - Energy: E(x) = −logsumexp(logits); reported as mean and population std.
 * - AUROC: Mann–Whitney U / (n_pos · n_neg), a tie between a positive and a negative counts 1/2.
 */
import { logSumExp } from '../util/logsumexp.ts';

/** Row-wise log-softmax (stable), float64. */
export function logSoftmax(logits: ArrayLike<number>, C: number): Float64Array {
  const n = logits.length / C;
  const out = new Float64Array(n * C);
  for (let r = 0; r < n; r++) {
    const lse = logSumExp(logits, r * C, C);
    for (let c = 0; c < C; c++) out[r * C + c] = logits[r * C + c] - lse;
  }
  return out;
}

export function softmax(logits: ArrayLike<number>, C: number): Float64Array {
  return logSoftmax(logits, C).map(Math.exp);
}

/** Arg-max per row (first index on ties). */
export function argmaxRows(x: ArrayLike<number>, C: number): Int32Array {
  const n = x.length / C;
  const out = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (x[r * C + c] > x[r * C + best]) best = c;
    out[r] = best;
  }
  return out;
}

export function accuracy(pred: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (labels.length === 0) return NaN;
  let k = 0;
  for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) k++;
  return k / labels.length;
}

/** confusion[true][predicted] counts. */
export function confusionMatrix(labels: ArrayLike<number>, pred: ArrayLike<number>, C: number): number[][] {
  const m = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  for (let i = 0; i < labels.length; i++) m[labels[i]][pred[i]]++;
  return m;
}

/** Recall per true class; null for a class with no examples. */
export function perClassAccuracy(confusion: number[][]): (number | null)[] {
  return confusion.map((row, c) => {
    const n = row.reduce((a, b) => a + b, 0);
    return n === 0 ? null : row[c] / n;
  });
}

export function nll(logits: ArrayLike<number>, labels: ArrayLike<number>, C: number): number {
  let s = 0;
  for (let r = 0; r < labels.length; r++) s += logSumExp(logits, r * C, C) - logits[r * C + labels[r]];
  return s / labels.length;
}

export function brier(probs: ArrayLike<number>, labels: ArrayLike<number>, C: number): number {
  let s = 0;
  for (let r = 0; r < labels.length; r++) {
    for (let c = 0; c < C; c++) {
      const d = probs[r * C + c] - (c === labels[r] ? 1 : 0);
      s += d * d;
    }
  }
  return s / labels.length;
}

/** Bin of a confidence in [0, 1] among `bins` equal-width bins (lo, hi]; 0 goes to bin 0. */
export function confidenceBin(conf: number, bins: number): number {
  let i = Math.ceil(conf * bins) - 1;
  if (i > 0 && conf <= i / bins) i--;
  if (i < bins - 1 && conf > (i + 1) / bins) i++;
  return Math.min(bins - 1, Math.max(0, i));
}

export interface ReliabilityBin {
  lo: number;
  hi: number;
  count: number;
  /** Mean confidence and accuracy of the bin (null when empty). */
  confidence: number | null;
  accuracy: number | null;
}

export function reliabilityBins(conf: ArrayLike<number>, correct: ArrayLike<boolean | number>, bins = 15): ReliabilityBin[] {
  const cnt = new Array<number>(bins).fill(0);
  const sc = new Array<number>(bins).fill(0);
  const sa = new Array<number>(bins).fill(0);
  for (let i = 0; i < conf.length; i++) {
    const b = confidenceBin(conf[i], bins);
    cnt[b]++;
    sc[b] += conf[i];
    sa[b] += correct[i] ? 1 : 0;
  }
  return cnt.map((n, b) => ({ lo: b / bins, hi: (b + 1) / bins, count: n, confidence: n ? sc[b] / n : null, accuracy: n ? sa[b] / n : null }));
}

export function ece(conf: ArrayLike<number>, correct: ArrayLike<boolean | number>, bins = 15): number {
  const n = conf.length;
  let s = 0;
  for (const b of reliabilityBins(conf, correct, bins)) {
    if (b.count > 0) s += (b.count / n) * Math.abs((b.accuracy as number) - (b.confidence as number));
  }
  return s;
}

export function meanStd(x: ArrayLike<number>): { mean: number; std: number } {
  const n = x.length;
  if (n === 0) return { mean: NaN, std: NaN };
  let m = 0;
  for (let i = 0; i < n; i++) m += x[i];
  m /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (x[i] - m) ** 2;
  return { mean: m, std: Math.sqrt(v / n) };
}

/** E(x) = −logsumexp(logits) per row. */
export function energies(logits: ArrayLike<number>, C: number): Float64Array {
  const n = logits.length / C;
  const e = new Float64Array(n);
  for (let r = 0; r < n; r++) e[r] = -logSumExp(logits, r * C, C);
  return e;
}

/** AUROC of `pos` scored above `neg` (Mann–Whitney, ties count 1/2). */
export function auroc(pos: ArrayLike<number>, neg: ArrayLike<number>): number {
  const np = pos.length;
  const nn = neg.length;
  if (np === 0 || nn === 0) return NaN;
  const all: { v: number; p: boolean }[] = [];
  for (let i = 0; i < np; i++) all.push({ v: pos[i], p: true });
  for (let i = 0; i < nn; i++) all.push({ v: neg[i], p: false });
  all.sort((a, b) => a.v - b.v);
  // Sum of mid-ranks (1-based) of the positives.
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1].v === all[i].v) j++;
    const mid = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (all[k].p) rankSum += mid;
    i = j + 1;
  }
  return (rankSum - (np * (np + 1)) / 2) / (np * nn);
}

export interface ClassificationMetrics {
  n: number;
  accuracy: number;
  /** Per-class accuracy (recall), keyed by label. */
  perClass: Record<string, number | null>;
  /** confusion[true][predicted], in label order. */
  confusion: number[][];
  nll: number;
  ece: number;
  brier: number;
  energy: { mean: number; std: number };
  meanConfidence: number;
  reliability: ReliabilityBin[];
}

/** All classification metrics of n × C logits against labels. */
export function classificationMetrics(logits: ArrayLike<number>, labels: ArrayLike<number>, labelNames: string[], bins = 15): ClassificationMetrics {
  const C = labelNames.length;
  const n = labels.length;
  if (logits.length !== n * C) throw new RangeError(`logits have ${logits.length} values, expected ${n}×${C}`);
  const probs = softmax(logits, C);
  const pred = argmaxRows(logits, C);
  const conf = new Float64Array(n);
  const correct = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    conf[r] = probs[r * C + pred[r]];
    correct[r] = pred[r] === labels[r] ? 1 : 0;
  }
  const confusion = confusionMatrix(labels, pred, C);
  const pc = perClassAccuracy(confusion);
  return {
    n,
    accuracy: accuracy(pred, labels),
    perClass: Object.fromEntries(labelNames.map((l, i) => [l, pc[i]])),
    confusion,
    nll: nll(logits, labels, C),
    ece: ece(conf, correct, bins),
    brier: brier(probs, labels, C),
    energy: meanStd(energies(logits, C)),
    meanConfidence: meanStd(conf).mean,
    reliability: reliabilityBins(conf, correct, bins),
  };
}
