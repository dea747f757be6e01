/**
 * Sampler and objective health of a JEM update, as numbers for metrics.jsonl:
 * - per-term parameter-gradient norms (each term's gradient as it enters the update, weight
 *   included) over all parameters and over the set the term actually trains, and the cosines
 *   between terms (do the energy terms pull with or against the cross-entropy and the prior?);
 * - how far SGLD moved the chains (RMS displacement per feature value);
 * - a gap monitor: E(samples) − E(data) after SGLD. A sampler that wins every time (samples far
 *   below the data) makes the contrastive term push the whole landscape instead of shaping it;
 *   the monitor says so once, in the log, when it happens.
 */

export type ParamGrads = Map<string, Float32Array>;

/** ‖g‖ over the parameters in `only` (all of g's when null). */
export function gradNorm(g: ParamGrads, only: ReadonlySet<string> | null = null): number {
  let s = 0;
  for (const [k, a] of g) {
    if (only && !only.has(k)) continue;
    for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  }
  return Math.sqrt(s);
}

/** ⟨a, b⟩ over the parameters both have (a parameter missing in one counts as a zero gradient). */
export function gradDot(a: ParamGrads, b: ParamGrads): number {
  let s = 0;
  for (const [k, x] of a) {
    const y = b.get(k);
    if (!y) continue;
    for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  }
  return s;
}

/** Cosine between two gradients; NaN when either is zero. */
export function gradCosine(a: ParamGrads, b: ParamGrads): number {
  const na = gradNorm(a), nb = gradNorm(b);
  return na > 0 && nb > 0 ? gradDot(a, b) / (na * nb) : NaN;
}

/** Elementwise sum of gradients (the energy term = data part + samples part). */
export function gradSum(...gs: ParamGrads[]): ParamGrads {
  const out: ParamGrads = new Map();
  for (const g of gs) {
    for (const [k, a] of g) {
      const acc = out.get(k);
      if (!acc) out.set(k, Float32Array.from(a));
      else for (let i = 0; i < a.length; i++) acc[i] += a[i];
    }
  }
  return out;
}

/**
 * Metrics of the per-term gradients: `gradNorm.<term>` (all parameters), `gradNormTrained.<term>`
 * (the parameters the term trains: `trained[term]`, all when null or absent) and
 * `cos.<a>.<b>` for every pair of terms, in the order given.
 */
export function termGradMetrics(terms: Record<string, ParamGrads>, trained: Record<string, ReadonlySet<string> | null> = {}): Record<string, number> {
  const out: Record<string, number> = {};
  const names = Object.keys(terms);
  for (const t of names) {
    out[`gradNorm.${t}`] = gradNorm(terms[t]);
    out[`gradNormTrained.${t}`] = gradNorm(terms[t], trained[t] ?? null);
  }
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) out[`cos.${names[i]}.${names[j]}`] = gradCosine(terms[names[i]], terms[names[j]]);
  }
  return out;
}

/** RMS of x1 − x0 per value: how far SGLD moved the chains (in feature units). */
export function rmsDisplacement(x0: Float32Array, x1: Float32Array): number {
  if (x0.length !== x1.length) throw new RangeError(`rmsDisplacement: ${x0.length} vs ${x1.length} values`);
  if (x0.length === 0) return 0;
  let s = 0;
  for (let i = 0; i < x0.length; i++) s += (x1[i] - x0[i]) ** 2;
  return Math.sqrt(s / x0.length);
}

export interface GapMonitorOptions {
  /** Warn when E(samples) − E(data) stays below −threshold (energy units)… */
  threshold: number;
  /** …for this many consecutive updates. */
  patience: number;
}

export const defaultGapMonitor: GapMonitorOptions = { threshold: 10, patience: 10 };

/**
 * Watches the gap E(samples) − E(data) over updates. `add` returns a warning message the first
 * time the gap has stayed below −threshold for `patience` updates (null otherwise); `summary`
 * describes the whole run (first and last gap, the most negative one, updates below threshold).
 */
export class GapMonitor {
  private run = 0;
  private warned = false;
  private readonly gaps: number[] = [];
  constructor(private readonly o: GapMonitorOptions = defaultGapMonitor) {}

  get threshold(): number {
    return this.o.threshold;
  }

  add(step: number, gap: number): string | null {
    this.gaps.push(gap);
    this.run = gap < -this.o.threshold ? this.run + 1 : 0;
    if (this.warned || this.run < this.o.patience) return null;
    this.warned = true;
    return (
      `SGLD samples have stayed more than ${this.o.threshold} energy units below the data for ${this.run} updates ` +
      `(gap E(samples) − E(data) = ${gap.toFixed(1)} at step ${step}): the sampler wins, and the energy term lowers ` +
      'the energy everywhere instead of shaping it. Consider fewer or smaller SGLD steps, adaptive stopping (--sgld-threshold) ' +
      'or chains that start nearer the data (--buffer-mix, --buffer-reinit).'
    );
  }

  summary(): { first: number; last: number; min: number; below: number; n: number } | null {
    if (this.gaps.length === 0) return null;
    return {
      first: this.gaps[0],
      last: this.gaps[this.gaps.length - 1],
      min: Math.min(...this.gaps),
      below: this.gaps.filter((g) => g < -this.o.threshold).length,
      n: this.gaps.length,
    };
  }
}

/**
 * Gap control of the SGLD step size (--sgld-gap-control r): after an update whose samples ended
 * below E(data) + target the next update's step size is divided by r, otherwise multiplied by r,
 * kept within [min, max]. Samples that keep winning get ever smaller steps until they sit near
 * the data's energy; samples above it get larger ones.
 */
export function nextStepSize(step: number, gap: number, o: { target: number; rate: number; min: number; max: number }): number {
  if (!(o.rate > 1)) return step;
  const next = gap < o.target ? step / o.rate : step * o.rate;
  return Math.min(o.max, Math.max(o.min, next));
}
