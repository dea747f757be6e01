/**
 * Prior matching (--prior-match): after adaptation, shift the classifier head's bias by b so that
 * the adapted model's mean prediction over the unlabeled target data equals a class prior π (the
 * source label marginal, or uniform): (1/n) Σ_i softmax(f(x_i) + b) = π. This is the fixed point of
 * the label-marginal prior KL(p̄ ‖ π) that jem and entropy-ce train towards (../jem/marginal-prior.ts),
 * reached exactly and without touching any other parameter; it assumes the target's label marginal
 * is the source's (no label shift), the same assumption as that term.
 *
 * The bias is found by the multiplicative update b ← b + log π − log p̄(b) (iterative proportional
 * fitting on the columns of the prediction matrix), centred to mean 0 after each update (softmax
 * ignores a common shift). The logits are those of the exported model, running BatchNorm statistics
 * as `jemda eval` computes them.
 */
import { ortLogits } from '../model/ort-logits.ts';
import { exportModel } from '../model/exporter.ts';
import { classifierHeadBias } from '../model/head.ts';
import { tensorToArray, type ModelProto } from '../model/onnx-io.ts';
import { MismatchError } from '../util/errors.ts';
import type { UnlabeledSet } from './types.ts';

export interface PriorMatch {
  /** The bias shift b (length C, mean 0). */
  bias: Float64Array;
  iterations: number;
  /** max_k |p̄_k(b) − π_k| at the end. */
  deviation: number;
  /** max_k p̄_k before the shift (mean-prediction share of the most predicted class). */
  largestShareBefore: number;
}

/** Mean softmax(l_i + b) over the rows of `logits` (n × C, row-major), in float64. */
export function meanPrediction(logits: ArrayLike<number>, C: number, b: ArrayLike<number>): Float64Array {
  const n = logits.length / C;
  const m = new Float64Array(C);
  const e = new Float64Array(C);
  for (let i = 0; i < n; i++) {
    let mx = -Infinity;
    for (let k = 0; k < C; k++) mx = Math.max(mx, logits[i * C + k] + b[k]);
    let s = 0;
    for (let k = 0; k < C; k++) {
      e[k] = Math.exp(logits[i * C + k] + b[k] - mx);
      s += e[k];
    }
    for (let k = 0; k < C; k++) m[k] += e[k] / s;
  }
  return m.map((v) => v / n);
}

/** The bias shift that makes the mean prediction of `logits` equal `prior` (to `tol`, max abs). */
export function matchPriorBias(logits: ArrayLike<number>, C: number, prior: ArrayLike<number>, o: { maxIters?: number; tol?: number } = {}): PriorMatch {
  if (prior.length !== C) throw new MismatchError(`prior matching: the prior has ${prior.length} classes, the model ${C}`);
  if (logits.length === 0 || logits.length % C !== 0) throw new MismatchError(`prior matching: ${logits.length} logits are not n × ${C} with n ≥ 1`);
  let sum = 0;
  for (let k = 0; k < C; k++) {
    if (!(prior[k] > 0)) throw new MismatchError(`prior matching: class ${k} has prior ${prior[k]}; every class needs a positive prior`);
    sum += prior[k];
  }
  if (Math.abs(sum - 1) > 1e-6) throw new MismatchError(`prior matching: the prior sums to ${sum}, not 1`);
  const maxIters = o.maxIters ?? 2000;
  const tol = o.tol ?? 1e-6;
  const b = new Float64Array(C);
  let p = meanPrediction(logits, C, b);
  const largestShareBefore = Math.max(...p);
  const dev = (q: Float64Array) => Math.max(...Array.from(q, (v, k) => Math.abs(v - prior[k])));
  let it = 0;
  while (it < maxIters && dev(p) > tol) {
    for (let k = 0; k < C; k++) b[k] += Math.log(prior[k] / Math.max(p[k], 1e-300));
    const mean = b.reduce((a, v) => a + v, 0) / C;
    for (let k = 0; k < C; k++) b[k] -= mean;
    p = meanPrediction(logits, C, b);
    it++;
  }
  return { bias: b, iterations: it, deviation: dev(p), largestShareBefore };
}

/**
 * Prior matching on a model with adapted `weights`: the exported model's logits on `target`, the
 * bias shift, and the weights with the head bias shifted (every other entry shared, unchanged).
 */
export async function priorMatchWeights(
  proto: ModelProto,
  weights: Map<string, Float32Array>,
  o: { target: UnlabeledSet; exampleShape: number[]; prior: ArrayLike<number>; logitsName: string; threads?: number; source: string },
): Promise<{ weights: Map<string, Float32Array>; match: PriorMatch; biasName: string }> {
  const head = classifierHeadBias(proto, o.logitsName);
  const size = o.exampleShape.reduce((a, b) => a * b, 1);
  const inputs = Array.from({ length: o.target.n }, (_, i) => o.target.x.subarray(i * size, (i + 1) * size));
  const logits = await ortLogits(exportModel(proto, weights), { inputs, labels: new Int32Array(0), exampleShape: o.exampleShape }, { threads: o.threads, logits: o.logitsName, source: o.source });
  const C = logits.length / o.target.n;
  if (C !== head.size) throw new MismatchError(`${o.source}: the head bias '${head.name}' has ${head.size} entries but the model has ${C} logits`);
  const match = matchPriorBias(logits, C, o.prior);
  const old = weights.get(head.name) ?? Float32Array.from(tensorToArray(head.tensor).data as ArrayLike<number>);
  const out = new Map(weights);
  out.set(head.name, Float32Array.from(old, (v, k) => v + match.bias[k]));
  return { weights: out, match, biasName: head.name };
}
