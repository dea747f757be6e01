/**
 * Kaldi's triangular mel filterbank (mel-computations.cc MelBanks, VTLN off): bins equally spaced
 * on mel = 1127·ln(1 + f/700) between low-freq and high-freq (<= 0: offset from Nyquist),
 * weights evaluated at FFT bin centres 0 .. n/2-1 (the Nyquist bin gets no weight).
 * Stored sparsely: per bin, the first FFT index with non-zero weight and the weights from there.
 */
import { ConfigError } from '../util/errors.ts';

export function melScale(f: number): number {
  return 1127 * Math.log(1 + f / 700);
}

export function inverseMelScale(mel: number): number {
  return 700 * (Math.exp(mel / 1127) - 1);
}

export interface MelBanks {
  numBins: number;
  /** FFT size the bank is for; the power spectrum has fftSize/2+1 values. */
  fftSize: number;
  /** Per bin: first FFT index with weight. */
  offsets: Int32Array;
  /** Per bin: weights starting at offsets[b]. */
  weights: Float64Array[];
  /** Centre frequency of each bin in Hz. */
  centerFreqs: Float64Array;
  /** All weights concatenated (bin b at flatStart[b] .. flatStart[b+1]), for the hot loop. */
  flat: Float64Array;
  flatStart: Int32Array;
}

export function makeMelBanks(numBins: number, fftSize: number, sampleFreq: number, lowFreq: number, highFreq: number): MelBanks {
  const nyquist = 0.5 * sampleFreq;
  const high = highFreq > 0 ? highFreq : nyquist + highFreq;
  if (lowFreq < 0 || lowFreq >= nyquist || high <= 0 || high > nyquist || high <= lowFreq)
    throw new ConfigError(`bad mel band edges: low-freq ${lowFreq}, high-freq ${highFreq} (→ ${high}) with Nyquist ${nyquist}`);
  const numFftBins = fftSize >> 1;
  const binWidth = sampleFreq / fftSize;
  const melLow = melScale(lowFreq), melHigh = melScale(high);
  const delta = (melHigh - melLow) / (numBins + 1);
  const offsets = new Int32Array(numBins);
  const weights: Float64Array[] = [];
  const centerFreqs = new Float64Array(numBins);
  for (let b = 0; b < numBins; b++) {
    const left = melLow + b * delta, center = melLow + (b + 1) * delta, right = melLow + (b + 2) * delta;
    centerFreqs[b] = inverseMelScale(center);
    const full = new Float64Array(numFftBins);
    let first = -1, last = -1;
    for (let i = 0; i < numFftBins; i++) {
      const mel = melScale(binWidth * i);
      if (mel > left && mel < right) {
        full[i] = mel <= center ? (mel - left) / (center - left) : (right - mel) / (right - center);
        if (first < 0) first = i;
        last = i;
      }
    }
    if (first < 0) throw new ConfigError(`mel bin ${b} is empty: use fewer num-mel-bins (${numBins}) or a larger FFT (${fftSize})`);
    offsets[b] = first;
    weights.push(full.slice(first, last + 1));
  }
  const flatStart = new Int32Array(numBins + 1);
  for (let b = 0; b < numBins; b++) flatStart[b + 1] = flatStart[b] + weights[b].length;
  const flat = new Float64Array(flatStart[numBins]);
  for (let b = 0; b < numBins; b++) flat.set(weights[b], flatStart[b]);
  return { numBins, fftSize, offsets, weights, centerFreqs, flat, flatStart };
}

/** Dense [numBins × fftSize/2] weights, for tests and inspection. */
export function denseMelBanks(banks: MelBanks): Float64Array[] {
  return banks.weights.map((w, b) => {
    const row = new Float64Array(banks.fftSize >> 1);
    row.set(w, banks.offsets[b]);
    return row;
  });
}

/** out[outOff+b] = Σ_i weights[b][i] · power[powOff + offsets[b] + i]. */
export function applyMelBanks(banks: MelBanks, power: Float64Array, powOff: number, out: Float64Array, outOff: number): void {
  const { offsets, flat, flatStart, numBins } = banks;
  for (let b = 0; b < numBins; b++) {
    const end = flatStart[b + 1];
    let p = powOff + offsets[b] - flatStart[b];
    let s = 0;
    for (let i = flatStart[b]; i < end; i++) s += flat[i] * power[p + i];
    out[outOff + b] = s;
  }
}
