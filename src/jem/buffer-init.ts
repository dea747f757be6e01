/**
 * Initial distributions for SGLD chains (replay-buffer slots), fitted to feature rows:
 * - uniform: x_d = μ_d + U(−k, k)·σ_d per feature dimension (the classic JEM init; k = 3 on
 *   normalised features), σ_d (and μ_d) estimated from data;
 * - class-gaussian (JEM++): per-class mean and diagonal covariance, optionally plus a low-rank
 *   part (top principal directions of the class), x = μ_c + sqrt(d_c)⊙ε + Σ_j sqrt(λ_j) v_j z_j.
 * Interpolation with real data is applied on top of either (see replay-buffer.ts).
 */
import type { Rng } from '../util/rng.ts';
import { ConfigError } from '../util/errors.ts';

export interface UniformInit {
  kind: 'uniform';
  k: number;
  mean: Float32Array;
  std: Float32Array;
}

export interface ClassGaussianInit {
  kind: 'class-gaussian';
  numClasses: number;
  /** Class prior used when no class is requested. */
  prior: Float32Array;
  means: Float32Array[];
  /** Diagonal (residual) variances per class. */
  diagVar: Float32Array[];
  /** Low-rank factors per class: rank × dim rows, already scaled by sqrt(λ). */
  factors: Float32Array[][];
}

export type InitDistribution = UniformInit | ClassGaussianInit;

/** Per-dimension mean and std of `rows` (n × dim). */
export function columnStats(rows: Float32Array, dim: number): { mean: Float32Array; std: Float32Array } {
  const n = rows.length / dim;
  if (n < 1) throw new ConfigError('cannot estimate feature statistics from zero examples');
  const mu = new Float64Array(dim);
  const sq = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) mu[d] += rows[i * dim + d];
  for (let d = 0; d < dim; d++) mu[d] /= n;
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) sq[d] += (rows[i * dim + d] - mu[d]) ** 2;
  const std = new Float32Array(dim);
  for (let d = 0; d < dim; d++) std[d] = Math.sqrt(sq[d] / Math.max(1, n - 1));
  return { mean: Float32Array.from(mu), std };
}

/** Uniform ±k·σ around μ (center = false → around 0, as the reference recipes on normalised features). */
export function fitUniformInit(rows: Float32Array, dim: number, k = 3, center = true): UniformInit {
  const { mean, std } = columnStats(rows, dim);
  return { kind: 'uniform', k, mean: center ? mean : new Float32Array(dim), std };
}

/** Top-`rank` principal directions of centred rows (power iteration with deflation), scaled by sqrt(λ). */
function principalFactors(centred: Float32Array, n: number, dim: number, rank: number, rng: Rng): { factors: Float32Array[]; lambdas: number[] } {
  const factors: Float32Array[] = [];
  const lambdas: number[] = [];
  const dirs: Float32Array[] = [];
  for (let r = 0; r < Math.min(rank, n - 1); r++) {
    let v = rng.fillNormal(new Float32Array(dim));
    let lambda = 0;
    for (let it = 0; it < 30; it++) {
      for (const u of dirs) {
        let p = 0;
        for (let d = 0; d < dim; d++) p += v[d] * u[d];
        for (let d = 0; d < dim; d++) v[d] -= p * u[d];
      }
      let nrm = 0;
      for (let d = 0; d < dim; d++) nrm += v[d] * v[d];
      nrm = Math.sqrt(nrm) || 1;
      for (let d = 0; d < dim; d++) v[d] /= nrm;
      const w = new Float64Array(dim);
      for (let i = 0; i < n; i++) {
        let p = 0;
        for (let d = 0; d < dim; d++) p += centred[i * dim + d] * v[d];
        for (let d = 0; d < dim; d++) w[d] += p * centred[i * dim + d];
      }
      lambda = 0;
      for (let d = 0; d < dim; d++) lambda += w[d] * v[d];
      lambda /= Math.max(1, n - 1);
      v = Float32Array.from(w);
    }
    let nrm = 0;
    for (let d = 0; d < dim; d++) nrm += v[d] * v[d];
    nrm = Math.sqrt(nrm) || 1;
    for (let d = 0; d < dim; d++) v[d] /= nrm;
    dirs.push(v);
    lambdas.push(Math.max(0, lambda));
    factors.push(v.map((x) => x * Math.sqrt(Math.max(0, lambda))));
  }
  return { factors, lambdas };
}

/** Per-class Gaussians fitted to labeled rows. rank = 0 → diagonal covariance. */
export function fitClassGaussians(rows: Float32Array, labels: ArrayLike<number>, dim: number, numClasses: number, rank: number, rng: Rng, varFloor = 1e-4): ClassGaussianInit {
  const n = rows.length / dim;
  const counts = new Float32Array(numClasses);
  for (let i = 0; i < n; i++) counts[labels[i]]++;
  const all = columnStats(rows, dim);
  const means: Float32Array[] = [];
  const diagVar: Float32Array[] = [];
  const factors: Float32Array[][] = [];
  for (let c = 0; c < numClasses; c++) {
    const idx: number[] = [];
    for (let i = 0; i < n; i++) if (labels[i] === c) idx.push(i);
    if (idx.length < 2) {
      // Too few examples: fall back to the pooled statistics.
      means.push(Float32Array.from(all.mean));
      diagVar.push(all.std.map((s) => Math.max(varFloor, s * s)));
      factors.push([]);
      continue;
    }
    const sub = new Float32Array(idx.length * dim);
    idx.forEach((i, r) => sub.set(rows.subarray(i * dim, (i + 1) * dim), r * dim));
    const st = columnStats(sub, dim);
    for (let r = 0; r < idx.length; r++) for (let d = 0; d < dim; d++) sub[r * dim + d] -= st.mean[d];
    const pf = rank > 0 ? principalFactors(sub, idx.length, dim, rank, rng) : { factors: [], lambdas: [] };
    const dv = new Float32Array(dim);
    for (let d = 0; d < dim; d++) {
      let explained = 0;
      for (const f of pf.factors) explained += f[d] * f[d];
      dv[d] = Math.max(varFloor, st.std[d] * st.std[d] - explained);
    }
    means.push(st.mean);
    diagVar.push(dv);
    factors.push(pf.factors);
  }
  const prior = counts.map((c) => c / n);
  return { kind: 'class-gaussian', numClasses, prior, means, diagVar, factors };
}

/** Pick a class from a prior. */
export function drawClass(prior: Float32Array, rng: Rng): number {
  let u = rng.uniform();
  for (let c = 0; c < prior.length; c++) {
    u -= prior[c];
    if (u < 0) return c;
  }
  return prior.length - 1;
}

/** Write one draw of the init distribution into out[0..dim). */
export function drawInit(init: InitDistribution, out: Float32Array, rng: Rng, cls?: number): void {
  const dim = out.length;
  if (init.kind === 'uniform') {
    for (let d = 0; d < dim; d++) out[d] = init.mean[d] + (2 * rng.uniform() - 1) * init.k * init.std[d];
    return;
  }
  const c = cls ?? drawClass(init.prior, rng);
  const mu = init.means[c];
  const dv = init.diagVar[c];
  for (let d = 0; d < dim; d++) out[d] = mu[d] + Math.sqrt(dv[d]) * rng.normal();
  for (const f of init.factors[c]) {
    const z = rng.normal();
    for (let d = 0; d < dim; d++) out[d] += z * f[d];
  }
}

/** JSON-friendly form (typed arrays as plain arrays). */
export function initToJson(init: InitDistribution): unknown {
  if (init.kind === 'uniform') return { kind: 'uniform', k: init.k, mean: Array.from(init.mean), std: Array.from(init.std) };
  return {
    kind: 'class-gaussian',
    numClasses: init.numClasses,
    prior: Array.from(init.prior),
    means: init.means.map((m) => Array.from(m)),
    diagVar: init.diagVar.map((m) => Array.from(m)),
    factors: init.factors.map((fs) => fs.map((f) => Array.from(f))),
  };
}

export function initFromJson(j: any): InitDistribution {
  if (j.kind === 'uniform') return { kind: 'uniform', k: j.k, mean: Float32Array.from(j.mean), std: Float32Array.from(j.std) };
  if (j.kind === 'class-gaussian') {
    return {
      kind: 'class-gaussian',
      numClasses: j.numClasses,
      prior: Float32Array.from(j.prior),
      means: j.means.map((m: number[]) => Float32Array.from(m)),
      diagVar: j.diagVar.map((m: number[]) => Float32Array.from(m)),
      factors: j.factors.map((fs: number[][]) => fs.map((f) => Float32Array.from(f))),
    };
  }
  throw new ConfigError(`unknown buffer init kind '${j.kind}'`);
}
