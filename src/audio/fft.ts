/**
 * Real FFT on typed arrays: an n-point real transform computed as an n/2-point complex FFT of
 * the even/odd-packed input (z[j] = x[2j] + i·x[2j+1]) plus the split post-processing
 * X[k] = E[k] + e^{-2πik/n}·O[k]. The complex FFT is decimation in time on bit-reversed input:
 * an optional radix-2 stage, then radix-4 stages; the first stage reads the input straight
 * through the bit-reversal table. Complex values are interleaved (re, im) in one Float64Array;
 * twiddles and the permutation are precomputed once per size; nothing is allocated per call.
 * Sizes that are not powers of two fall back to a direct O(n²) DFT with precomputed tables.
 * `inverseTransform` maps the half spectrum back to the n real values through the same complex
 * FFT. This is the project's one FFT: the feature front end (features/extract.ts) and the FFT
 * convolution of the reverb (audio/effects/reverb.ts) both use it.
 */

export class RealFft {
  readonly n: number;
  private readonly m: number; // complex size n/2 (0 when direct)
  private readonly rev: Int32Array;
  /** Per radix-4 stage (quarter size h): [w^j, w^2j, w^3j] as (re, im) pairs for j < h, w = e^{-2πi/4h}. */
  private readonly stages: { h: number; tw: Float64Array }[];
  private readonly firstRadix2: boolean;
  private readonly cosN: Float64Array; // cos(2πk/n), k <= m (direct: k < n)
  private readonly sinN: Float64Array;
  /** Interleaved complex work buffer, 2m values. */
  private readonly z: Float64Array;
  private readonly direct: boolean;
  private readonly dRe: Float64Array;
  private readonly dIm: Float64Array;
  /** Input buffer of the inverse transform (2m values), allocated on its first use. */
  private inv: Float64Array | null = null;

  constructor(n: number) {
    if (!Number.isInteger(n) || n < 2) throw new RangeError(`FFT size must be an integer >= 2, got ${n}`);
    this.n = n;
    this.direct = (n & (n - 1)) !== 0 || n < 4;
    if (this.direct) {
      this.m = 0;
      this.rev = new Int32Array(0);
      this.stages = [];
      this.firstRadix2 = false;
      this.cosN = new Float64Array(n);
      this.sinN = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        this.cosN[j] = Math.cos((2 * Math.PI * j) / n);
        this.sinN[j] = Math.sin((2 * Math.PI * j) / n);
      }
      this.z = new Float64Array(0);
      this.dRe = new Float64Array((n >> 1) + 1);
      this.dIm = new Float64Array((n >> 1) + 1);
      return;
    }
    const m = n >> 1;
    this.m = m;
    let bits = 0;
    while (1 << bits < m) bits++;
    this.rev = new Int32Array(m);
    for (let i = 0; i < m; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) if (i & (1 << b)) r |= 1 << (bits - 1 - b);
      this.rev[i] = r;
    }
    this.firstRadix2 = bits % 2 === 1;
    this.stages = [];
    for (let h = this.firstRadix2 ? 2 : 4; 4 * h <= m; h *= 4) {
      const tw = new Float64Array(6 * h);
      for (let j = 0; j < h; j++) {
        for (let q = 1; q <= 3; q++) {
          const a = (-2 * Math.PI * q * j) / (4 * h);
          tw[6 * j + 2 * (q - 1)] = Math.cos(a);
          tw[6 * j + 2 * (q - 1) + 1] = Math.sin(a);
        }
      }
      this.stages.push({ h, tw });
    }
    this.cosN = new Float64Array(m + 1);
    this.sinN = new Float64Array(m + 1);
    for (let k = 0; k <= m; k++) {
      this.cosN[k] = Math.cos((2 * Math.PI * k) / n);
      this.sinN[k] = Math.sin((2 * Math.PI * k) / n);
    }
    this.z = new Float64Array(2 * m);
    this.dRe = this.dIm = new Float64Array(0);
  }

  /**
   * Spectrum X[k], k = 0..n/2, of x[off .. off+len) zero-padded to n (len <= n), written to
   * outRe/outIm (length >= n/2+1). X[k] = Σ x[j] e^{-2πijk/n}.
   */
  transform(x: Float64Array, off: number, len: number, outRe: Float64Array, outIm: Float64Array): void {
    if (len > this.n) throw new RangeError(`FFT input of ${len} values exceeds size ${this.n}`);
    if (this.direct) return this.dft(x, off, len, outRe, outIm);
    this.complexFft(x, off, len);
    const { m, z, cosN, sinN } = this;
    outRe[0] = z[0] + z[1];
    outIm[0] = 0;
    outRe[m] = z[0] - z[1];
    outIm[m] = 0;
    for (let k = 1; k < m; k++) {
      const q = m - k;
      const zr = z[2 * k], zi = z[2 * k + 1], yr = z[2 * q], yi = z[2 * q + 1];
      const er = 0.5 * (zr + yr), ei = 0.5 * (zi - yi);
      const or = 0.5 * (zi + yi), oi = -0.5 * (zr - yr);
      const c = cosN[k], s = sinN[k];
      outRe[k] = er + c * or + s * oi;
      outIm[k] = ei + c * oi - s * or;
    }
  }

  /** |X[k]|², k = 0..n/2, of x[off .. off+len) zero-padded to n, into out[outOff ..]. */
  powerSpectrum(x: Float64Array, off: number, len: number, out: Float64Array, outOff: number): void {
    this.powerSpectrumMinus(x, off, len, out, outOff, null, null, 0);
  }

  /**
   * |X[k] − alpha·C[k]|² for k = 0..n/2, where X is the spectrum of x (as in powerSpectrum) and C a
   * precomputed spectrum (re, im of length n/2+1). By linearity this is the power spectrum of
   * x − alpha·c: the feature code uses it to subtract the frame mean after windowing
   * (c = the window) without another pass over the frame.
   */
  powerSpectrumMinus(
    x: Float64Array,
    off: number,
    len: number,
    out: Float64Array,
    outOff: number,
    cRe: Float64Array | null,
    cIm: Float64Array | null,
    alpha: number,
  ): void {
    if (len > this.n) throw new RangeError(`FFT input of ${len} values exceeds size ${this.n}`);
    const useC = cRe !== null && cIm !== null && alpha !== 0;
    if (this.direct) {
      const h = this.n >> 1;
      const r = this.dRe, i = this.dIm;
      this.dft(x, off, len, r, i);
      for (let k = 0; k <= h; k++) {
        const a = useC ? r[k] - alpha * cRe![k] : r[k], b = useC ? i[k] - alpha * cIm![k] : i[k];
        out[outOff + k] = a * a + b * b;
      }
      return;
    }
    this.complexFft(x, off, len);
    const { m, z, cosN, sinN } = this;
    let x0r = z[0] + z[1], xmr = z[0] - z[1];
    let x0i = 0, xmi = 0;
    if (useC) {
      x0r -= alpha * cRe![0];
      x0i -= alpha * cIm![0];
      xmr -= alpha * cRe![m];
      xmi -= alpha * cIm![m];
    }
    out[outOff] = x0r * x0r + x0i * x0i;
    out[outOff + m] = xmr * xmr + xmi * xmi;
    // split pairwise: X[k] = E + w^k·O and X[m−k] = conj(E − w^k·O), w = e^{-2πi/n}
    const half = m >> 1;
    for (let k = 1; k <= half; k++) {
      const q = m - k;
      const zr = z[2 * k], zi = z[2 * k + 1], yr = z[2 * q], yi = z[2 * q + 1];
      const er = 0.5 * (zr + yr), ei = 0.5 * (zi - yi); // E = (Z[k] + conj Z[q]) / 2
      const or = 0.5 * (zi + yi), oi = -0.5 * (zr - yr); // O = −i (Z[k] − conj Z[q]) / 2
      const c = cosN[k], s = sinN[k];
      const tr = c * or + s * oi, ti = c * oi - s * or;
      let ar = er + tr, ai = ei + ti;
      let br = er - tr, bi = ti - ei;
      if (useC) {
        ar -= alpha * cRe![k];
        ai -= alpha * cIm![k];
        br -= alpha * cRe![q];
        bi -= alpha * cIm![q];
      }
      out[outOff + k] = ar * ar + ai * ai;
      if (q !== k) out[outOff + q] = br * br + bi * bi;
    }
  }

  /**
   * Inverse of `transform`: the n real values x[j] = (1/n) Σ_{k<n} X[k] e^{+2πijk/n} of the
   * Hermitian spectrum whose half X[k], k = 0..n/2, is in re/im (length >= n/2+1), written to
   * out[outOff .. outOff+n). The imaginary parts of X[0] and (n even) X[n/2] are ignored, as for
   * the spectrum of a real signal. Computed through the same n/2-point complex FFT: the half
   * spectrum is folded back into the spectrum Z of the packed sequence z[j] = x[2j] + i·x[2j+1]
   * (Z[k] = E[k] + i·O[k], E = (X[k] + conj X[m−k])/2, O = (X[k] − conj X[m−k])·e^{+2πik/n}/2),
   * and z = conj(FFT(conj Z))/m. re and im are not modified.
   */
  inverseTransform(re: Float64Array, im: Float64Array, out: Float64Array, outOff = 0): void {
    if (this.direct) return this.idft(re, im, out, outOff);
    const { m, cosN, sinN } = this;
    const w = (this.inv ??= new Float64Array(2 * m));
    // conj Z, interleaved, as the input of the forward complex FFT
    const x0 = re[0], xm = re[m];
    w[0] = 0.5 * (x0 + xm);
    w[1] = -0.5 * (x0 - xm);
    for (let k = 1; k < m; k++) {
      const q = m - k;
      const ar = re[k], ai = im[k], br = re[q], bi = -im[q]; // X[k] and conj X[m−k]
      const er = 0.5 * (ar + br), ei = 0.5 * (ai + bi);
      const dr = 0.5 * (ar - br), di = 0.5 * (ai - bi);
      const c = cosN[k], s = sinN[k]; // O = D·e^{+2πik/n}
      const or = dr * c - di * s, oi = dr * s + di * c;
      w[2 * k] = er - oi; // Z = E + i·O
      w[2 * k + 1] = -(ei + or); // conj
    }
    this.complexFft(w, 0, 2 * m);
    const z = this.z, g = 1 / m;
    for (let j = 0; j < m; j++) {
      out[outOff + 2 * j] = z[2 * j] * g;
      out[outOff + 2 * j + 1] = -z[2 * j + 1] * g;
    }
  }

  /** The m-point complex FFT of the packed input into z, natural order. */
  private complexFft(x: Float64Array, off: number, len: number): void {
    const { m, rev, z } = this;
    if (len === this.n && !this.firstRadix2) {
      // the whole buffer is input: first radix-4 stage (twiddles 1) straight from x through the
      // bit-reversal table; bit-reversed order gives the quarter-DFTs as F0, F2, F1, F3
      for (let a = 0; a < m; a += 4) {
        const j0 = off + 2 * rev[a], j1 = off + 2 * rev[a + 1], j2 = off + 2 * rev[a + 2], j3 = off + 2 * rev[a + 3];
        const f0r = x[j0], f0i = x[j0 + 1], f2r = x[j1], f2i = x[j1 + 1];
        const f1r = x[j2], f1i = x[j2 + 1], f3r = x[j3], f3i = x[j3 + 1];
        const Ar = f0r + f2r, Ai = f0i + f2i, Br = f0r - f2r, Bi = f0i - f2i;
        const Cr = f1r + f3r, Ci = f1i + f3i, Dr = f1r - f3r, Di = f1i - f3i;
        const p = 2 * a;
        z[p] = Ar + Cr;
        z[p + 1] = Ai + Ci;
        z[p + 4] = Ar - Cr;
        z[p + 5] = Ai - Ci;
        z[p + 2] = Br + Di; // B − iD
        z[p + 3] = Bi - Dr;
        z[p + 6] = Br - Di; // B + iD
        z[p + 7] = Bi + Dr;
      }
    } else {
      this.packFirstStageGeneral(x, off, len);
    }

    // twiddled radix-4 stages: X[j+qh] from F0, w^{2j}F2, w^jF1, w^{3j}F3 (bit-reversed input
    // puts the quarter-DFTs of a group in the order F0, F2, F1, F3)
    const stages = this.stages;
    const m2 = 2 * m;
    for (let si = 0; si < stages.length; si++) {
      const { h, tw } = stages[si];
      const h2 = 2 * h, size2 = 8 * h;
      for (let j = 0; j < h; j++) {
        const t = 6 * j;
        const w1r = tw[t], w1i = tw[t + 1], w2r = tw[t + 2], w2i = tw[t + 3], w3r = tw[t + 4], w3i = tw[t + 5];
        for (let a = 2 * j; a < m2; a += size2) {
          const b = a + h2, c = b + h2, d = c + h2;
          const f0r = z[a], f0i = z[a + 1];
          const br = z[b], bi = z[b + 1], cr = z[c], ci = z[c + 1], dr = z[d], di = z[d + 1];
          const f2r = br * w2r - bi * w2i, f2i = br * w2i + bi * w2r; // w^{2j} F2 (at b)
          const f1r = cr * w1r - ci * w1i, f1i = cr * w1i + ci * w1r; // w^j F1 (at c)
          const f3r = dr * w3r - di * w3i, f3i = dr * w3i + di * w3r; // w^{3j} F3 (at d)
          const Ar = f0r + f2r, Ai = f0i + f2i, Br = f0r - f2r, Bi = f0i - f2i;
          const Cr = f1r + f3r, Ci = f1i + f3i, Dr = f1r - f3r, Di = f1i - f3i;
          z[a] = Ar + Cr;
          z[a + 1] = Ai + Ci;
          z[c] = Ar - Cr;
          z[c + 1] = Ai - Ci;
          z[b] = Br + Di;
          z[b + 1] = Bi - Dr;
          z[d] = Br - Di;
          z[d + 1] = Bi + Dr;
        }
      }
    }
  }

  /** Packed input value j (part 0 = re, 1 = im) of x[off .. off+len) zero-padded. */
  private static packed(x: Float64Array, off: number, len: number, j: number, part: number): number {
    const i = 2 * j + part;
    return i < len ? x[off + i] : 0;
  }

  /** First stage (radix-2 or radix-4) for any len <= n, with zero-padding tests. */
  private packFirstStageGeneral(x: Float64Array, off: number, len: number): void {
    const { m, rev, z } = this;
    const P = RealFft.packed;
    if (this.firstRadix2) {
      for (let a = 0; a < m; a += 2) {
        const j0 = rev[a], j1 = rev[a + 1];
        const ar = P(x, off, len, j0, 0), ai = P(x, off, len, j0, 1), br = P(x, off, len, j1, 0), bi = P(x, off, len, j1, 1);
        const p = 2 * a;
        z[p] = ar + br;
        z[p + 1] = ai + bi;
        z[p + 2] = ar - br;
        z[p + 3] = ai - bi;
      }
      return;
    }
    for (let a = 0; a < m; a += 4) {
      const j0 = rev[a], j1 = rev[a + 1], j2 = rev[a + 2], j3 = rev[a + 3];
      const f0r = P(x, off, len, j0, 0), f0i = P(x, off, len, j0, 1), f2r = P(x, off, len, j1, 0), f2i = P(x, off, len, j1, 1);
      const f1r = P(x, off, len, j2, 0), f1i = P(x, off, len, j2, 1), f3r = P(x, off, len, j3, 0), f3i = P(x, off, len, j3, 1);
      const Ar = f0r + f2r, Ai = f0i + f2i, Br = f0r - f2r, Bi = f0i - f2i;
      const Cr = f1r + f3r, Ci = f1i + f3i, Dr = f1r - f3r, Di = f1i - f3i;
      const p = 2 * a;
      z[p] = Ar + Cr;
      z[p + 1] = Ai + Ci;
      z[p + 4] = Ar - Cr;
      z[p + 5] = Ai - Ci;
      z[p + 2] = Br + Di;
      z[p + 3] = Bi - Dr;
      z[p + 6] = Br - Di;
      z[p + 7] = Bi + Dr;
    }
  }

  private dft(x: Float64Array, off: number, len: number, outRe: Float64Array, outIm: Float64Array): void {
    const { n, cosN, sinN } = this;
    for (let k = 0; k <= n >> 1; k++) {
      let sr = 0, si = 0, idx = 0;
      for (let j = 0; j < len; j++) {
        const v = x[off + j];
        sr += v * cosN[idx];
        si -= v * sinN[idx];
        idx += k;
        if (idx >= n) idx -= n;
      }
      outRe[k] = sr;
      outIm[k] = si;
    }
  }
  private idft(re: Float64Array, im: Float64Array, out: Float64Array, outOff: number): void {
    const { n, cosN, sinN } = this;
    const h = n >> 1, even = (n & 1) === 0;
    const top = even ? h - 1 : h; // bins with a distinct mirror image
    for (let j = 0; j < n; j++) {
      let s = re[0], idx = 0;
      for (let k = 1; k <= top; k++) {
        idx += j;
        if (idx >= n) idx -= n;
        s += 2 * (re[k] * cosN[idx] - im[k] * sinN[idx]);
      }
      if (even) s += j & 1 ? -re[h] : re[h];
      out[outOff + j] = s / n;
    }
  }

}

/** The smallest power of two >= n (1 for n <= 1). */
export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Naive O(n²) DFT (float64), for tests. */
export function naiveDft(x: ArrayLike<number>, n: number): { re: Float64Array; im: Float64Array } {
  const re = new Float64Array((n >> 1) + 1), im = new Float64Array((n >> 1) + 1);
  for (let k = 0; k <= n >> 1; k++) {
    let sr = 0, si = 0;
    for (let j = 0; j < x.length; j++) {
      const a = (-2 * Math.PI * j * k) / n;
      sr += x[j] * Math.cos(a);
      si += x[j] * Math.sin(a);
    }
    re[k] = sr;
    im[k] = si;
  }
  return { re, im };
}
