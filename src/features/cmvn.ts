/**
 * Cepstral mean and variance normalisation with Kaldi's stats layout: a 2 × (D+1) double matrix,
 * row 0 = per-dimension sums then the frame count, row 1 = per-dimension sums of squares then 0
 * (Kaldi's AccCmvnStats / ApplyCmvn). Stored row-major in a Float64Array of length 2(D+1).
 */
import { FeatureError } from '../util/errors.ts';
import { type Matrix, makeMatrix } from '../data/matrix.ts';

export function emptyCmvnStats(dim: number): Float64Array {
  return new Float64Array(2 * (dim + 1));
}

export function cmvnDim(stats: Float64Array): number {
  const d = stats.length / 2 - 1;
  if (!Number.isInteger(d) || d < 1) throw new FeatureError('cmvn stats', `length ${stats.length} is not 2×(D+1)`);
  return d;
}

/** Add the frames of m (each with `weight`) to stats in place; returns stats. */
export function accumulate(stats: Float64Array, m: Matrix, weight = 1): Float64Array {
  const d = cmvnDim(stats);
  if (d !== m.cols) throw new FeatureError('cmvn stats', `stats are for dim ${d}, features have dim ${m.cols}`);
  const x = m.data;
  for (let r = 0; r < m.rows; r++) {
    const o = r * d;
    for (let j = 0; j < d; j++) {
      const v = x[o + j];
      stats[j] += weight * v;
      stats[d + 1 + j] += weight * v * v;
    }
  }
  stats[d] += weight * m.rows;
  return stats;
}

/** Kaldi stats of one matrix. */
export function cmvnStats(m: Matrix): Float64Array {
  return accumulate(emptyCmvnStats(m.cols), m);
}

/** Per-dimension mean and standard deviation (variance floored at 1e-10 as Kaldi does). */
export function cmvnMeanStd(stats: Float64Array): { mean: Float64Array; std: Float64Array } {
  const d = cmvnDim(stats);
  const n = stats[d];
  if (!(n >= 1)) throw new FeatureError('cmvn stats', `frame count is ${n}; need at least 1 frame`);
  const mean = new Float64Array(d), std = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    mean[j] = stats[j] / n;
    const v = Math.max(stats[d + 1 + j] / n - mean[j] * mean[j], 1e-10);
    std[j] = Math.sqrt(v);
  }
  return { mean, std };
}

/** A new matrix: (x − mean) and, with normVars, divided by std. */
export function applyCmvn(m: Matrix, stats: Float64Array, opts: { normVars?: boolean } = {}): Matrix {
  const d = cmvnDim(stats);
  if (d !== m.cols) throw new FeatureError('cmvn stats', `stats are for dim ${d}, features have dim ${m.cols}`);
  const { mean, std } = cmvnMeanStd(stats);
  return applyMeanStd(m, mean, opts.normVars ? std : null);
}

/** (x − mean) [/ std] with given per-dimension vectors (std null: means only). */
export function applyMeanStd(m: Matrix, mean: ArrayLike<number>, std: ArrayLike<number> | null): Matrix {
  const d = m.cols;
  const out = new Float32Array(m.data.length);
  const scale = new Float64Array(d);
  for (let j = 0; j < d; j++) scale[j] = std ? 1 / std[j] : 1;
  for (let r = 0; r < m.rows; r++) {
    const o = r * d;
    for (let j = 0; j < d; j++) out[o + j] = (m.data[o + j] - mean[j]) * scale[j];
  }
  return makeMatrix(m.rows, d, out);
}

/** Per-utterance CMVN (Kaldi apply-cmvn with per-utterance stats). */
export function perUttCmvn(m: Matrix, normVars: boolean): Matrix {
  if (m.rows === 0) return m;
  return applyCmvn(m, cmvnStats(m), { normVars });
}

/** Stats as a 2 × (D+1) Matrix (float32 view, e.g. for writing with openMatrixWriter … {double: true}). */
export function statsToMatrix(stats: Float64Array): Matrix {
  const d = cmvnDim(stats);
  return makeMatrix(2, d + 1, Float32Array.from(stats));
}

export function statsFromMatrix(m: Matrix): Float64Array {
  if (m.rows !== 2) throw new FeatureError('cmvn stats', `expected 2 rows, got ${m.rows}`);
  return Float64Array.from(m.data);
}
