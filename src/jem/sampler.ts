/**
 * SGLD sampler against the EnergyGrad contract (onnxruntime or tfjs):
 *
 *   x ← x − α_i · g_i + σ_i · ε,   g_i = ∂E/∂x_i (+ wd · x_i), ε ~ N(0, I)
 *
 * Samples move DOWN the energy. Per chain i, α_i = α / n_i^c with n_i the number of SGLD steps
 * the chain has taken since its (re)initialisation, counting this one (replay correction; c = 0
 * disables it). Noise: a fixed σ, or 'langevin' with σ_i = sqrt(2 α_i) (the exact Langevin
 * discretisation). Optional per-sample (or whole-batch) gradient-norm clipping, an L2 pull of x
 * towards 0 (`weightDecay`), Adam-preconditioned steps, and the "accelerated" step that scales
 * each chain's step so that its energy would reach the data energy linearly. Optionally every step
 * ends by clamping the chains into a box per value (--sgld-clamp data: the range of the data).
 * Fixed number of steps, or adaptive: keep stepping while the mean sample energy is more than a
 * relative threshold above the data energy, at least `steps` and at most `maxSteps` steps.
 * The EnergyGrad evaluates the model in eval mode (BatchNorm running statistics).
 */
import type { EnergyGrad } from '../model/types.ts';
import type { Rng } from '../util/rng.ts';
import { ConfigError } from '../util/errors.ts';
import { mean } from './energy.ts';

export type SgldOptimizer = 'sgd' | 'adam' | 'accelerated';

export interface SgldOptions {
  /** Step size α. */
  stepSize: number;
  /** Noise std σ, or 'langevin' for σ = sqrt(2α) (after replay correction). */
  noise: number | 'langevin';
  /** Fixed number of steps; with `adaptive` the minimum number of steps. */
  steps: number;
  /** Adaptive stopping: stop when (mean E(samples) − E_data) / |E_data| ≤ threshold, at most maxSteps. */
  adaptive: { threshold: number; maxSteps: number } | null;
  /** Clip each sample's gradient to this L2 norm (0 = off). */
  clip: number;
  /** 'per-sample' (default) or 'batch' (one norm over the whole batch, as torch clip_grad_norm_). */
  clipMode: 'per-sample' | 'batch';
  /** Replay-correction exponent c: step ÷ chainSteps^c (0 = off). */
  replayCorrection: number;
  /** Divide an explicit σ by chainSteps^c as well (langevin mode always follows α). */
  noiseReplayCorrection: boolean;
  /** Adds weightDecay · x to the gradient (a Gaussian prior pulling samples to 0). */
  weightDecay: number;
  optimizer: SgldOptimizer;
  adam: { beta1: number; beta2: number; eps: number };
  /** 'accelerated': aim at E_data − overshoot·|E_data|; tiny steps (epsilon/‖g‖²) once below it. */
  accelerated: { overshoot: number; epsilon: number };
  /** Box per value of an example (length = example size): chains are clamped into it after every step. */
  clamp: { lo: Float32Array; hi: Float32Array } | null;
}

export const defaultSgldOptions: SgldOptions = {
  stepSize: 1,
  noise: 0.01,
  steps: 20,
  adaptive: null,
  clip: 0,
  clipMode: 'per-sample',
  replayCorrection: 0,
  noiseReplayCorrection: false,
  weightDecay: 0,
  optimizer: 'sgd',
  adam: { beta1: 0.9, beta2: 0.999, eps: 1e-8 },
  accelerated: { overshoot: 0.1, epsilon: 1e-4 },
  clamp: null,
};

export function sgldOptions(o: Partial<SgldOptions> = {}): SgldOptions {
  const r = { ...defaultSgldOptions, ...o };
  if (!(r.stepSize > 0)) throw new ConfigError(`SGLD step size must be > 0 (got ${r.stepSize})`);
  if (r.noise !== 'langevin' && !(r.noise >= 0)) throw new ConfigError(`SGLD noise must be >= 0 or 'langevin' (got ${r.noise})`);
  if (!(r.steps >= 0) || !Number.isInteger(r.steps)) throw new ConfigError(`SGLD steps must be an integer >= 0 (got ${r.steps})`);
  if (r.adaptive && !(r.adaptive.maxSteps >= Math.max(1, r.steps))) {
    throw new ConfigError(`SGLD max steps (${r.adaptive.maxSteps}) must be >= steps (${r.steps}) and >= 1`);
  }
  if (r.optimizer === 'accelerated' && !r.adaptive) throw new ConfigError("SGLD optimizer 'accelerated' needs adaptive stopping (a data energy to aim at)");
  if (r.clamp && (r.clamp.lo.length !== r.clamp.hi.length || r.clamp.lo.some((v, j) => !(v <= r.clamp!.hi[j])))) {
    throw new ConfigError('SGLD clamp box: lo and hi must have the same length and lo ≤ hi');
  }
  return r;
}

export interface SgldContext {
  /** Steps each chain has already taken (replay buffer); updated copy is returned. */
  chainSteps?: Float32Array;
  /** Class per sample for class-conditional energies −f[y]. */
  classes?: Int32Array;
  /** Mean energy of the data batch (adaptive stopping, accelerated steps). */
  dataEnergy?: number;
  /**
   * false: no evaluation after the last step (with a fixed number of steps). That run's gradient is
   * never used; a caller that scores the final samples itself anyway (jem's loss pass, on the same
   * weights in the same BatchNorm mode) saves one of the K + 1 runs. `energy` is then null and
   * `energyTrace` ends before the last step. Default true; adaptive stopping always evaluates.
   */
  finalEnergy?: boolean;
}

export interface SgldResult {
  x: Float32Array;
  /** Energy of each final sample; null with `finalEnergy: false` (SgldContext). */
  energy: Float32Array | null;
  /** SGLD steps taken in this call. */
  steps: number;
  chainSteps: Float32Array;
  /** Mean sample energy before each step and after the last one (length steps + 1; steps without the final evaluation). */
  energyTrace: number[];
  /** Mean per-sample gradient norm (before clipping) over all steps. */
  gradNorm: number;
  /** Fraction of (sample, step) gradients that were clipped. */
  clippedFraction: number;
  /** With a clamp box: fraction of the final samples' values sitting on a bound (0 without). */
  clampedFraction: number;
}

/** Clamp each row of x (batch × dim) into [lo, hi] (per value); returns how many values sit on a bound afterwards. */
export function clampRows(x: Float32Array, lo: Float32Array, hi: Float32Array): number {
  const dim = lo.length;
  let at = 0;
  for (let i = 0; i < x.length; i++) {
    const j = i % dim;
    if (x[i] <= lo[j]) {
      x[i] = lo[j];
      at++;
    } else if (x[i] >= hi[j]) {
      x[i] = hi[j];
      at++;
    }
  }
  return at;
}

/**
 * The clamp box of --sgld-clamp data: per value of an example, [min − m·std, max + m·std] over the
 * given rows (the target data), so chains stay in the range real features take.
 */
export function dataClampBox(rows: Float32Array, dim: number, margin: number): { lo: Float32Array; hi: Float32Array } {
  const n = rows.length / dim;
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`clamp box: ${rows.length} values do not form rows of ${dim}`);
  const lo = new Float32Array(dim).fill(Infinity), hi = new Float32Array(dim).fill(-Infinity);
  const sum = new Float64Array(dim), sq = new Float64Array(dim);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < dim; j++) {
      const v = rows[r * dim + j];
      if (v < lo[j]) lo[j] = v;
      if (v > hi[j]) hi[j] = v;
      sum[j] += v;
      sq[j] += v * v;
    }
  }
  for (let j = 0; j < dim; j++) {
    const m = sum[j] / n;
    const sd = Math.sqrt(Math.max(0, sq[j] / n - m * m));
    lo[j] -= margin * sd;
    hi[j] += margin * sd;
  }
  return { lo, hi };
}

/** Relative gap (E_samples − E_data) / |E_data| used by adaptive stopping. */
export function relativeEnergyGap(sampleEnergy: number, dataEnergy: number): number {
  return (sampleEnergy - dataEnergy) / Math.max(Math.abs(dataEnergy), 1e-12);
}

/** Step multiplier of the replay correction: 1 / n^c. */
export function replayFactor(chainSteps: number, c: number): number {
  return c === 0 ? 1 : 1 / Math.pow(Math.max(chainSteps, 1), c);
}

/** Scale factors (≤ 1) that clip each row of g (batch × dim) to norm `clip`; also returns norms. */
export function clipFactors(g: Float32Array, batch: number, clip: number, mode: 'per-sample' | 'batch'): { factors: Float32Array; norms: Float32Array } {
  const dim = g.length / batch;
  const norms = new Float32Array(batch);
  for (let b = 0; b < batch; b++) {
    let s = 0;
    for (let j = b * dim; j < (b + 1) * dim; j++) s += g[j] * g[j];
    norms[b] = Math.sqrt(s);
  }
  const factors = new Float32Array(batch).fill(1);
  if (clip > 0) {
    if (mode === 'batch') {
      let s = 0;
      for (let b = 0; b < batch; b++) s += norms[b] * norms[b];
      const total = Math.sqrt(s);
      if (total > clip) factors.fill(clip / (total + 1e-6));
    } else {
      for (let b = 0; b < batch; b++) if (norms[b] > clip) factors[b] = clip / (norms[b] + 1e-6);
    }
  }
  return { factors, norms };
}

/** Run SGLD from x0 (batch × dim, not modified). */
export async function sgldSample(eg: EnergyGrad, x0: Float32Array, batch: number, opts: SgldOptions, rng: Rng, ctx: SgldContext = {}): Promise<SgldResult> {
  const dim = x0.length / batch;
  if (!Number.isInteger(dim)) throw new ConfigError(`SGLD: ${x0.length} values do not split into ${batch} samples`);
  const x = Float32Array.from(x0);
  const chainSteps = ctx.chainSteps ? Float32Array.from(ctx.chainSteps) : new Float32Array(batch);
  const adaptive = opts.adaptive;
  if (adaptive && ctx.dataEnergy === undefined) throw new ConfigError('SGLD adaptive stopping needs the data energy');
  const cap = adaptive ? adaptive.maxSteps : opts.steps;
  const m = opts.optimizer === 'adam' ? new Float32Array(x.length) : null;
  const v = opts.optimizer === 'adam' ? new Float32Array(x.length) : null;
  // The next step's noise is drawn while onnxruntime computes the gradient (workers or its own
  // threads): the draws come in the same order as drawn just before each move.
  let noise = new Float32Array(x.length);
  let spare = new Float32Array(x.length);
  let noiseReady = false;
  const gradWithNoise = async (next: boolean): Promise<{ energy: Float32Array; grad: Float32Array }> => {
    const pending = eg.energyAndGrad(x, batch, ctx.classes);
    if (next) {
      rng.fillNormal(spare);
      noiseReady = true;
    }
    try {
      return await pending;
    } finally {
      if (next) [noise, spare] = [spare, noise];
    }
  };
  let { energy, grad } = await gradWithNoise(!adaptive && opts.steps > 0);
  let finalEnergy: Float32Array | null = energy;
  const skipFinal = ctx.finalEnergy === false && !adaptive;
  const trace = [mean(energy)];
  let k = 0;
  let gradNormSum = 0;
  let clipped = 0;
  let atClamp = 0;
  if (opts.clamp && opts.clamp.lo.length !== dim) throw new ConfigError(`SGLD clamp box has ${opts.clamp.lo.length} values per example, the samples ${dim}`);
  const target = ctx.dataEnergy !== undefined ? ctx.dataEnergy - opts.accelerated.overshoot * Math.abs(ctx.dataEnergy) : 0;
  const keepGoing = (): boolean => {
    if (k >= cap) return false;
    if (k < opts.steps) return true;
    return adaptive !== null && relativeEnergyGap(trace[trace.length - 1], ctx.dataEnergy as number) > adaptive.threshold;
  };
  while (keepGoing()) {
    if (opts.weightDecay !== 0) for (let j = 0; j < x.length; j++) grad[j] += opts.weightDecay * x[j];
    const { factors, norms } = clipFactors(grad, batch, opts.clip, opts.clipMode);
    if (!noiseReady) rng.fillNormal(noise);
    noiseReady = false;
    k++;
    for (let b = 0; b < batch; b++) {
      gradNormSum += norms[b];
      if (factors[b] < 1) clipped++;
      chainSteps[b] += 1;
      const rc = replayFactor(chainSteps[b], opts.replayCorrection);
      const alpha = opts.stepSize * rc;
      const sigma = opts.noise === 'langevin' ? Math.sqrt(2 * alpha) : opts.noise * (opts.noiseReplayCorrection ? rc : 1);
      const f = factors[b];
      const lo = b * dim;
      const hi = lo + dim;
      if (opts.optimizer === 'sgd') {
        for (let j = lo; j < hi; j++) x[j] += -alpha * f * grad[j] + sigma * noise[j];
      } else if (opts.optimizer === 'accelerated') {
        const n2 = Math.max(opts.accelerated.epsilon, (norms[b] * f) ** 2);
        const gap = energy[b] - target;
        const mult = gap > 0 ? gap / n2 : opts.accelerated.epsilon / n2;
        for (let j = lo; j < hi; j++) x[j] += -alpha * mult * f * grad[j] + sigma * noise[j];
      } else {
        const { beta1, beta2, eps } = opts.adam;
        const bc1 = 1 - Math.pow(beta1, k);
        const bc2 = Math.sqrt(1 - Math.pow(beta2, k));
        const mm = m as Float32Array;
        const vv = v as Float32Array;
        for (let j = lo; j < hi; j++) {
          const gj = f * grad[j];
          mm[j] = beta1 * mm[j] + (1 - beta1) * gj;
          vv[j] = beta2 * vv[j] + (1 - beta2) * gj * gj;
          x[j] += (-alpha / bc1) * (mm[j] / (Math.sqrt(vv[j]) / bc2 + eps)) + sigma * noise[j];
        }
      }
    }
    if (opts.clamp) atClamp = clampRows(x, opts.clamp.lo, opts.clamp.hi);
    if (skipFinal && k >= opts.steps) {
      finalEnergy = null;
      break;
    }
    ({ energy, grad } = await gradWithNoise(!adaptive && k < opts.steps));
    finalEnergy = energy;
    trace.push(mean(energy));
    if (!Number.isFinite(trace[trace.length - 1])) break;
  }
  return {
    x,
    energy: finalEnergy,
    steps: k,
    chainSteps,
    energyTrace: trace,
    gradNorm: k > 0 ? gradNormSum / (k * batch) : 0,
    clippedFraction: k > 0 ? clipped / (k * batch) : 0,
    clampedFraction: k > 0 ? atClamp / x.length : 0,
  };
}
