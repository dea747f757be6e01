/**
 * Band-limited resampling with a Kaiser-windowed sinc kernel (arbitrary ratios). The cutoff is
 * placed at `rolloff` × the lower of the two Nyquist frequencies, so energy above the new
 * Nyquist is suppressed when downsampling.
 */

export interface ResampleOptions {
  /** Half-width of the kernel in zero crossings of the lower-rate sinc (default 16). */
  zeros?: number;
  /** Cutoff as a fraction of the lower Nyquist frequency (default 0.94). */
  rolloff?: number;
  /** Kaiser window beta (default 8.6, about 90 dB stop-band). */
  beta?: number;
}

/** Zeroth-order modified Bessel function of the first kind (series). */
export function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Resample `x` from `fromRate` to `toRate` (both integers, Hz). Returns a new array. */
export function resample(x: Float32Array, fromRate: number, toRate: number, opts: ResampleOptions = {}): Float32Array {
  if (!(fromRate > 0) || !(toRate > 0) || !Number.isInteger(fromRate) || !Number.isInteger(toRate)) {
    throw new RangeError(`resample: rates must be positive integers, got ${fromRate} → ${toRate}`);
  }
  if (fromRate === toRate) return x.slice();
  const zeros = opts.zeros ?? 16;
  const rolloff = opts.rolloff ?? 0.94;
  const beta = opts.beta ?? 8.6;
  const g = gcd(fromRate, toRate);
  const up = toRate / g; // output phases
  const down = fromRate / g;
  // Work in units of input samples. Cutoff relative to the input rate's Nyquist.
  const scale = Math.min(1, toRate / fromRate) * rolloff; // fc / (fromRate/2)
  const halfWidth = zeros / scale; // in input samples
  const outLen = Math.ceil((x.length * toRate) / fromRate);
  const out = new Float32Array(outLen);
  const i0b = besselI0(beta);
  // Precompute one kernel per output phase when the number of phases is small.
  const taps = Math.ceil(halfWidth) * 2 + 1;
  const usePhaseTable = up <= 4096 && up * taps <= 4_000_000;
  const kernelAt = (d: number): number => {
    // d: distance in input samples from the output instant
    const ad = Math.abs(d);
    if (ad >= halfWidth) return 0;
    const r = ad / halfWidth;
    const w = besselI0(beta * Math.sqrt(1 - r * r)) / i0b;
    const t = d * scale;
    const s = t === 0 ? 1 : Math.sin(Math.PI * t) / (Math.PI * t);
    return scale * s * w;
  };
  const hw = Math.ceil(halfWidth);
  let table: Float64Array | null = null;
  if (usePhaseTable) {
    table = new Float64Array(up * taps);
    for (let p = 0; p < up; p++) {
      const frac = ((p * down) % up) / up; // fractional input position for phase p
      for (let k = -hw; k <= hw; k++) table[p * taps + (k + hw)] = kernelAt(k - frac);
    }
  }
  for (let n = 0; n < outLen; n++) {
    const num = n * down; // input position = num / up
    const base = Math.floor(num / up);
    const frac = (num - base * up) / up;
    let acc = 0;
    const lo = Math.max(0, base - hw);
    const hi = Math.min(x.length - 1, base + hw);
    if (table) {
      const off = (n % up) * taps + hw - base;
      for (let i = lo; i <= hi; i++) acc += x[i] * table[off + i];
    } else {
      for (let i = lo; i <= hi; i++) acc += x[i] * kernelAt(i - base - frac);
    }
    out[n] = acc;
  }
  return out;
}
