/**
 * The power spectrum through meyda (the design card's choice): meyda's `powerSpectrum` of the
 * windowed frame zero-padded to the FFT size, with meyda's own window set to 'rect' (the Kaldi
 * window is already applied). Meyda returns n/2 bins (no Nyquist bin; Kaldi's mel bank does not
 * use it) in float32. Slower than the built-in FFT; kept as `--spectrum meyda`.
 */
import Meyda from 'meyda';
import { ConfigError } from '../util/errors.ts';

interface MeydaLike {
  bufferSize: number;
  sampleRate: number;
  windowingFunction: string;
  extract(feature: string, signal: Float32Array): unknown;
}

export class MeydaPowerSpectrum {
  readonly n: number;
  private readonly buf: Float32Array;
  private readonly meyda: MeydaLike;

  constructor(n: number, sampleRate: number) {
    if ((n & (n - 1)) !== 0) throw new ConfigError(`--spectrum meyda needs a power-of-two FFT size (got ${n}; keep round-to-power-of-two=true)`);
    this.n = n;
    this.buf = new Float32Array(n);
    this.meyda = Meyda as unknown as MeydaLike;
    this.meyda.sampleRate = sampleRate;
  }

  /** |X[k]|² for k = 0..n/2-1 into out[outOff ..]; out[outOff + n/2] = 0 (not computed by meyda). */
  powerSpectrum(x: Float64Array, off: number, len: number, out: Float64Array, outOff: number): void {
    const b = this.buf;
    for (let i = 0; i < len; i++) b[i] = x[off + i];
    b.fill(0, len);
    const m = this.meyda;
    m.bufferSize = this.n;
    m.windowingFunction = 'rect';
    const p = m.extract('powerSpectrum', b) as Float32Array;
    const h = this.n >> 1;
    for (let k = 0; k < h; k++) out[outOff + k] = p[k];
    out[outOff + h] = 0;
  }
}
