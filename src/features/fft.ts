/**
 * Real FFT on typed arrays: an n-point real transform computed as an n/2-point complex radix-2
 * FFT of the even/odd-packed input plus Kaldi-style split post-processing. Twiddles and the
 * bit-reversal permutation are precomputed once per size; no allocation per call.
 * Sizes that are not powers of two fall back to a direct O(n²) DFT with precomputed tables.
 */

export class RealFft {
  readonly n: number;
  private readonly m: number; // complex size n/2 (0 when direct)
  private readonly rev: Int32Array;
  /** Per radix-4 stage (quarter size h): [w^j, w^2j, w^3j] as (re, im) pairs for j < h, w = e^{-2πi/4h}. */
  private readonly stages: { h: number; tw: Float64Array }[];
  private readonly firstRadix2: boolean;
  private readonly cosN: Float64Array; // post-processing twiddles cos(2πk/n), k <= m
  private readonly sinN: Float64Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly direct: boolean;

  constructor(n: number) {
    if (!Number.isInteger(n) || n < 2) throw new RangeError(`FFT size must be an integer >= 2, got ${n}`);
    this.n = n;
    this.direct = (n & (n - 1)) !== 0 || n < 4;
    if (this.direct) {
      this.m = 0;
      this.rev = new Int32Array(0);
      // direct DFT tables cos(2πj/n), sin(2πj/n) for j < n
      this.cosN = new Float64Array(n);
      this.sinN = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        this.cosN[j] = Math.cos((2 * Math.PI * j) / n);
        this.sinN[j] = Math.sin((2 * Math.PI * j) / n);
      }
      this.stages = [];
      this.firstRadix2 = false;
      this.re = new Float64Array((n >> 1) + 1);
      this.im = new Float64Array((n >> 1) + 1);
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
    for (let h = this.firstRadix2 ? 2 : 1; 4 * h <= m; h *= 4) {
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
    this.re = new Float64Array(m);
    this.im = new Float64Array(m);
  }

  /**
   * Spectrum X[k], k = 0..n/2, of x[off .. off+len) zero-padded to n (len <= n), written to
   * outRe/outIm (length >= n/2+1). X[k] = Σ x[j] e^{-2πijk/n}.
   */
  transform(x: Float64Array, off: number, len: number, outRe: Float64Array, outIm: Float64Array): void {
    if (len > this.n) throw new RangeError(`FFT input of ${len} values exceeds size ${this.n}`);
    if (this.direct) return this.dft(x, off, len, outRe, outIm);
    this.pack(x, off, len);
    this.butterflies(false);
    const { m, re, im, cosN, sinN } = this;
    // split: X[k] = (Z[k] + conj Z[m-k])/2 - i/2 · w^k (Z[k] - conj Z[m-k]), w = e^{-2πi/n}
    outRe[0] = re[0] + im[0];
    outIm[0] = 0;
    outRe[m] = re[0] - im[0];
    outIm[m] = 0;
    for (let k = 1; k < m; k++) {
      const zr = re[k], zi = im[k];
      const cr = re[m - k], ci = -im[m - k];
      const er = 0.5 * (zr + cr), ei = 0.5 * (zi + ci); // even part E
      const dr = 0.5 * (zr - cr), di = 0.5 * (zi - ci); // D = (Z - conj)/2 = i·O
      // O = -i·D = (di, -dr); X = E + w^k O, w^k = (c, -s)
      const c = cosN[k], s = sinN[k];
      const or = di, oi = -dr;
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
   * (c = the window's pre-emphasised DC response) without another pass over the frame.
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
      const r = this.re, i = this.im;
      this.dft(x, off, len, r, i);
      for (let k = 0; k <= h; k++) {
        const a = useC ? r[k] - alpha * cRe![k] : r[k], b = useC ? i[k] - alpha * cIm![k] : i[k];
        out[outOff + k] = a * a + b * b;
      }
      return;
    }
    if ((len & 1) === 0) this.packFirstStage(x, off, len);
    else {
      this.pack(x, off, len);
      this.butterflies(false);
    }
    const { m, re, im, cosN, sinN } = this;
    // split pairwise (k and m−k share their loads)
    let x0r = re[0] + im[0], xmr = re[0] - im[0];
    let x0i = 0, xmi = 0;
    if (useC) {
      x0r -= alpha * cRe![0];
      x0i -= alpha * cIm![0];
      xmr -= alpha * cRe![m];
      xmi -= alpha * cIm![m];
    }
    out[outOff] = x0r * x0r + x0i * x0i;
    out[outOff + m] = xmr * xmr + xmi * xmi;
    const half = m >> 1;
    for (let k = 1; k <= half; k++) {
      const q = m - k;
      const zr = re[k], zi = im[k], yr = re[q], yi = im[q];
      // E = (Z[k] + conj Z[q])/2, O = -i (Z[k] - conj Z[q])/2
      const er = 0.5 * (zr + yr), ei = 0.5 * (zi - yi);
      const or = 0.5 * (zi + yi), oi = -0.5 * (zr - yr);
      const c = cosN[k], s = sinN[k];
      // X[k] = E + w^k O with w^k = c - i s
      const tr = c * or + s * oi, ti = c * oi - s * or;
      let ar = er + tr, ai = ei + ti;
      // X[q] = conj(E) + w^q conj(O)... = conj(E - w^k O) since w^q = -conj(w^k)
      let br = er - tr, bi = -(ei - ti);
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

  /** z[j] = x[2j] + i·x[2j+1] (zero beyond len), stored in bit-reversed order. */
  private pack(x: Float64Array, off: number, len: number): void {
    const { m, rev, re, im } = this;

    const full = len >> 1;
    for (let j = 0; j < full; j++) {
      const r = rev[j];
      re[r] = x[off + 2 * j];
      im[r] = x[off + 2 * j + 1];
    }
    for (let j = full; j < m; j++) {
      const r = rev[j];
      re[r] = 2 * j < len ? x[off + 2 * j] : 0;
      im[r] = 0;
    }
  }

  /**
   * pack + the first butterfly stage in one pass (len even): reads the packed input straight from
   * x through the bit-reversal table (zero beyond len) and writes the stage's output.
   */
  private packFirstStage(x: Float64Array, off: number, len: number): void {
    const { m, rev, re, im } = this;
    const half = len >> 1; // complex inputs j < half are x[2j] + i·x[2j+1]; the rest are 0
    if (this.firstRadix2) {
      for (let a = 0; a < m; a += 2) {
        const j0 = rev[a], j1 = rev[a + 1];
        const ar = j0 < half ? x[off + 2 * j0] : 0, ai = j0 < half ? x[off + 2 * j0 + 1] : 0;
        const br = j1 < half ? x[off + 2 * j1] : 0, bi = j1 < half ? x[off + 2 * j1 + 1] : 0;
        re[a] = ar + br;
        im[a] = ai + bi;
        re[a + 1] = ar - br;
        im[a + 1] = ai - bi;
      }
    } else if (half === m) {
      // whole buffer: no zero-padding tests
      for (let a = 0; a < m; a += 4) {
        const j0 = off + 2 * rev[a], j1 = off + 2 * rev[a + 1], j2 = off + 2 * rev[a + 2], j3 = off + 2 * rev[a + 3];
        const f0r = x[j0], f0i = x[j0 + 1], f2r = x[j1], f2i = x[j1 + 1];
        const f1r = x[j2], f1i = x[j2 + 1], f3r = x[j3], f3i = x[j3 + 1];
        const Ar = f0r + f2r, Ai = f0i + f2i, Br = f0r - f2r, Bi = f0i - f2i;
        const Cr = f1r + f3r, Ci = f1i + f3i, Dr = f1r - f3r, Di = f1i - f3i;
        re[a] = Ar + Cr;
        im[a] = Ai + Ci;
        re[a + 2] = Ar - Cr;
        im[a + 2] = Ai - Ci;
        re[a + 1] = Br + Di;
        im[a + 1] = Bi - Dr;
        re[a + 3] = Br - Di;
        im[a + 3] = Bi + Dr;
      }
    } else {
      for (let a = 0; a < m; a += 4) {
        const j0 = rev[a], j1 = rev[a + 1], j2 = rev[a + 2], j3 = rev[a + 3];
        const f0r = j0 < half ? x[off + 2 * j0] : 0, f0i = j0 < half ? x[off + 2 * j0 + 1] : 0;
        const f2r = j1 < half ? x[off + 2 * j1] : 0, f2i = j1 < half ? x[off + 2 * j1 + 1] : 0;
        const f1r = j2 < half ? x[off + 2 * j2] : 0, f1i = j2 < half ? x[off + 2 * j2 + 1] : 0;
        const f3r = j3 < half ? x[off + 2 * j3] : 0, f3i = j3 < half ? x[off + 2 * j3 + 1] : 0;
        const Ar = f0r + f2r, Ai = f0i + f2i, Br = f0r - f2r, Bi = f0i - f2i;
        const Cr = f1r + f3r, Ci = f1i + f3i, Dr = f1r - f3r, Di = f1i - f3i;
        re[a] = Ar + Cr;
        im[a] = Ai + Ci;
        re[a + 2] = Ar - Cr;
        im[a + 2] = Ai - Ci;
        re[a + 1] = Br + Di;
        im[a + 1] = Bi - Dr;
        re[a + 3] = Br - Di;
        im[a + 3] = Bi + Dr;
      }
    }
    this.butterflies(true);
  }

  /**
   * In-place complex FFT of bit-reversed (re, im): an optional radix-2 stage, then radix-4 DIT
   * stages. With bit-reversed input the four quarter-DFTs of a group appear in the order
   * F0, F2, F1, F3, so X[j+qh] = combinations of F0, w^{2j}F2, w^jF1, w^{3j}F3.
   */
  private butterflies(firstDone: boolean): void {
    const { m, re, im } = this;
    if (this.firstRadix2 && !firstDone) {
      for (let i = 0; i < m; i += 2) {
        const ar = re[i], ai = im[i], br = re[i + 1], bi = im[i + 1];
        re[i] = ar + br;
        im[i] = ai + bi;
        re[i + 1] = ar - br;
        im[i + 1] = ai - bi;
      }
    }
    const stages = this.stages;
    let s0 = firstDone && !this.firstRadix2 ? 1 : 0;
    if (!firstDone && stages.length > 0 && stages[0].h === 1) {
      // first radix-4 stage: all twiddles are 1
      for (let a = 0; a < m; a += 4) {
        const f0r = re[a], f0i = im[a], f2r = re[a + 1], f2i = im[a + 1];
        const f1r = re[a + 2], f1i = im[a + 2], f3r = re[a + 3], f3i = im[a + 3];
        const Ar = f0r + f2r, Ai = f0i + f2i, Br = f0r - f2r, Bi = f0i - f2i;
        const Cr = f1r + f3r, Ci = f1i + f3i, Dr = f1r - f3r, Di = f1i - f3i;
        re[a] = Ar + Cr;
        im[a] = Ai + Ci;
        re[a + 2] = Ar - Cr;
        im[a + 2] = Ai - Ci;
        re[a + 1] = Br + Di;
        im[a + 1] = Bi - Dr;
        re[a + 3] = Br - Di;
        im[a + 3] = Bi + Dr;
      }
      s0 = 1;
    }
    for (let si = s0; si < stages.length; si++) {
      const { h, tw } = stages[si];
      const size = 4 * h;
      for (let j = 0; j < h; j++) {
        const t = 6 * j;
        const w1r = tw[t], w1i = tw[t + 1], w2r = tw[t + 2], w2i = tw[t + 3], w3r = tw[t + 4], w3i = tw[t + 5];
        for (let a = j; a < m; a += size) {
          const b = a + h, c = b + h, d = c + h;
          const f0r = re[a], f0i = im[a];
          const br = re[b], bi = im[b], cr = re[c], ci = im[c], dr = re[d], di = im[d];
          const f2r = br * w2r - bi * w2i, f2i = br * w2i + bi * w2r; // w^{2j} F2 (at b)
          const f1r = cr * w1r - ci * w1i, f1i = cr * w1i + ci * w1r; // w^j F1 (at c)
          const f3r = dr * w3r - di * w3i, f3i = dr * w3i + di * w3r; // w^{3j} F3 (at d)
          const Ar = f0r + f2r, Ai = f0i + f2i, Br = f0r - f2r, Bi = f0i - f2i;
          const Cr = f1r + f3r, Ci = f1i + f3i, Dr = f1r - f3r, Di = f1i - f3i;
          re[a] = Ar + Cr;
          im[a] = Ai + Ci;
          re[c] = Ar - Cr;
          im[c] = Ai - Ci;
          // B - iD and B + iD
          re[b] = Br + Di;
          im[b] = Bi - Dr;
          re[d] = Br - Di;
          im[d] = Bi + Dr;
        }
      }
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
