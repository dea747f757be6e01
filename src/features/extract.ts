/**
 * Kaldi-compatible MFCC and log-mel fbank (Kaldi's OfflineFeatureTpl<MfccComputer|FbankComputer>
 * with VTLN off, htk-compat off). Samples are Float32Array in [-1, 1] and are scaled by 32768
 * (Kaldi reads int16 WAVs as raw integers). All arithmetic is float64; frames are processed one
 * after another through buffers allocated once per call.
 */
import { RealFft } from '../audio/fft.ts';
import { Rng } from '../util/rng.ts';
import { dctMatrix, lifterCoeffs } from './dct.ts';
import {
  dither, extractFrame, firstSampleOfFrame, FLT_EPSILON, logEnergy, numFrames, preemphWindowSums, processFrame, processFrameFrom,
} from './framing.ts';
import { type Matrix, makeMatrix } from '../data/matrix.ts';
import { applyMelBanks, makeMelBanks, type MelBanks } from './mel.ts';
import { FBANK_DEFAULTS, type FbankOptions, frameGeometry, MFCC_DEFAULTS, type MfccOptions, resolveOptions, type CommonOptions } from './options.ts';
import { MeydaPowerSpectrum } from './spectrum-meyda.ts';
import { makeWindow } from './window.ts';

/** Kaldi's int16 sample scale. */
export const INT16_SCALE = 32768;

interface Plan {
  windowSize: number;
  windowShift: number;
  paddedSize: number;
  window: Float64Array;
  banks: MelBanks;
  fft: RealFft;
  meyda: MeydaPowerSpectrum | null;
  /** Spectrum of the window (zero-padded), for the single-pass DC removal. */
  winRe: Float64Array;
  winIm: Float64Array;
}

const planCache = new Map<string, Plan>();

function makePlan(o: CommonOptions): Plan {
  const key = [o['sample-frequency'], o['frame-length'], o['frame-shift'], o['round-to-power-of-two'], o['window-type'], o['blackman-coeff'], o['num-mel-bins'], o['low-freq'], o['high-freq'], o.spectrum].join('|');
  const hit = planCache.get(key);
  if (hit) return hit;
  const g = frameGeometry(o);
  const window = makeWindow(o['window-type'], g.windowSize, o['blackman-coeff']);
  const fft = new RealFft(g.paddedSize);
  const winRe = new Float64Array((g.paddedSize >> 1) + 1), winIm = new Float64Array((g.paddedSize >> 1) + 1);
  fft.transform(window, 0, g.windowSize, winRe, winIm);
  const plan: Plan = {
    ...g,
    window,
    banks: makeMelBanks(o['num-mel-bins'], g.paddedSize, o['sample-frequency'], o['low-freq'], o['high-freq']),
    fft,
    meyda: o.spectrum === 'meyda' ? new MeydaPowerSpectrum(g.paddedSize, o['sample-frequency']) : null,
    winRe,
    winIm,
  };
  if (planCache.size > 32) planCache.clear();
  planCache.set(key, plan);
  return plan;
}

/**
 * Framing → per-frame processing → power spectrum → mel energies for every frame: returns the
 * mel energies [frames × bins] (float64, not yet logged) and the (floored) log-energy per frame.
 */
function melFrames(samples: Float32Array, o: CommonOptions): { nf: number; mel: Float64Array; energy: Float64Array } {
  const p = makePlan(o);
  const { windowSize, windowShift, paddedSize, window, banks, fft, meyda } = p;
  const nb = banks.numBins;
  const snip = o['snip-edges'];
  const nf = numFrames(samples.length, windowSize, windowShift, snip);
  const frame = new Float64Array(paddedSize);
  const half = (paddedSize >> 1) + 1;
  const power = new Float64Array(half);
  const mel = new Float64Array(nf * nb);
  const energies = new Float64Array(nf);
  const rng = o.dither > 0 ? new Rng(o.seed) : null;
  const floorLog = o['energy-floor'] > 0 ? Math.log(o['energy-floor']) : -Infinity;
  const preemph = o['preemphasis-coefficient'];
  const removeDc = o['remove-dc-offset'], rawEnergy = o['raw-energy'];
  const usePower = (o as Partial<FbankOptions>)['use-power'] !== false;
  const n = samples.length;
  const sums = new Float64Array(2);
  // Fast path (no dither, raw energy, built-in FFT, frame inside the signal): one pass over the
  // samples, DC removal folded into the spectrum. Otherwise the step-by-step Kaldi order.
  const fastOk = !rng && rawEnergy && !meyda;
  for (let f = 0; f < nf; f++) {
    const start = firstSampleOfFrame(f, windowSize, windowShift, snip);
    let energy: number;
    if (fastOk && start >= 0 && start + windowSize <= n) {
      preemphWindowSums(samples, start, INT16_SCALE, frame, 0, window, preemph, sums);
      const s = sums[0], s2 = sums[1];
      const e = removeDc ? (windowSize * s2 - s * s) / windowSize : s2;
      energy = Math.log(e > FLT_EPSILON ? e : FLT_EPSILON);
      const alpha = removeDc ? (s / windowSize) * (1 - preemph) : 0;
      // frame[windowSize ..] is never written, so the whole padded buffer is the zero-padded frame
      fft.powerSpectrumMinus(frame, 0, paddedSize, power, 0, p.winRe, p.winIm, alpha);
    } else {
      if (start >= 0 && start + windowSize <= n && !rng) {
        energy = processFrameFrom(samples, start, INT16_SCALE, frame, 0, window, removeDc, preemph);
      } else {
        extractFrame(samples, f, windowSize, windowShift, snip, INT16_SCALE, frame, 0);
        if (rng) dither(frame, 0, windowSize, o.dither, rng);
        energy = processFrame(frame, 0, window, removeDc, preemph);
      }
      if (!rawEnergy) energy = logEnergy(frame, 0, windowSize);
      if (meyda) meyda.powerSpectrum(frame, 0, windowSize, power, 0);
      else fft.powerSpectrum(frame, 0, windowSize, power, 0);
    }
    energies[f] = energy < floorLog ? floorLog : energy;
    if (!usePower) for (let k = 0; k < half; k++) power[k] = Math.sqrt(power[k]);
    applyMelBanks(banks, power, 0, mel, f * nb);
  }
  return { nf, mel, energy: energies };
}

const dctCache = new Map<string, Float64Array>();

/** The DCT matrix with the lifter folded into its rows (row k × lifter[k]), cached per shape:
 * short utterances otherwise spend a noticeable share of their time rebuilding it. */
function liftedDct(nc: number, nb: number, q: number): Float64Array {
  const key = `${nc}|${nb}|${q}`;
  let m = dctCache.get(key);
  if (!m) {
    m = dctMatrix(nc, nb);
    const lift = lifterCoeffs(nc, q);
    for (let k = 0; k < nc; k++) for (let b = 0; b < nb; b++) m[k * nb + b] *= lift[k];
    if (dctCache.size > 16) dctCache.clear();
    dctCache.set(key, m);
  }
  return m;
}

/** Kaldi MFCC: log mel energies (floored at FLT_EPSILON) → orthonormal DCT-II → lifter; c0 = log-energy when use-energy. */
export function computeMfcc(samples: Float32Array, opts: Partial<MfccOptions> | Record<string, unknown> = {}): Matrix {
  const o = resolveOptions(MFCC_DEFAULTS, opts as Record<string, unknown>, 'mfcc options');
  const nb = o['num-mel-bins'], nc = o['num-ceps'];
  const dct = liftedDct(nc, nb, o['cepstral-lifter']);
  const { nf, mel, energy } = melFrames(samples, o);
  const out = new Float32Array(nf * nc);
  const useEnergy = o['use-energy'];
  for (let i = 0; i < mel.length; i++) mel[i] = Math.log(mel[i] > FLT_EPSILON ? mel[i] : FLT_EPSILON);
  for (let f = 0; f < nf; f++) {
    const base = f * nc, mb = f * nb;
    for (let k = 0; k < nc; k++) {
      let s = 0;
      const row = k * nb;
      for (let b = 0; b < nb; b++) s += dct[row + b] * mel[mb + b];
      out[base + k] = s;
    }
    if (useEnergy) out[base] = energy[f];
  }
  return makeMatrix(nf, nc, out);
}

/** Kaldi fbank: mel energies (log with FLT_EPSILON floor when use-log-fbank); with use-energy the log-energy is column 0. */
export function computeFbank(samples: Float32Array, opts: Partial<FbankOptions> | Record<string, unknown> = {}): Matrix {
  const o = resolveOptions(FBANK_DEFAULTS, opts as Record<string, unknown>, 'fbank options');
  const nb = o['num-mel-bins'];
  const e = o['use-energy'] ? 1 : 0;
  const dim = nb + e;
  const { nf, mel, energy } = melFrames(samples, o);
  const out = new Float32Array(nf * dim);
  const useLog = o['use-log-fbank'];
  for (let f = 0; f < nf; f++) {
    const base = f * dim, mb = f * nb;
    if (e) out[base] = energy[f];
    for (let b = 0; b < nb; b++) {
      const v = mel[mb + b];
      out[base + e + b] = useLog ? Math.log(v > FLT_EPSILON ? v : FLT_EPSILON) : v;
    }
  }
  return makeMatrix(nf, dim, out);
}

export function computeFeatures(type: 'mfcc' | 'fbank', samples: Float32Array, opts: Record<string, unknown> = {}): Matrix {
  return type === 'mfcc' ? computeMfcc(samples, opts) : computeFbank(samples, opts);
}

/** Feature dimension for these options without computing anything. */
export function featureDim(type: 'mfcc' | 'fbank', opts: Record<string, unknown> = {}): number {
  if (type === 'mfcc') return resolveOptions(MFCC_DEFAULTS, opts, 'mfcc options')['num-ceps'];
  const o = resolveOptions(FBANK_DEFAULTS, opts, 'fbank options');
  return o['num-mel-bins'] + (o['use-energy'] ? 1 : 0);
}
