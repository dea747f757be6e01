/**
 * A log-mel front end inside the ONNX graph, for models whose input is the raw waveform
 * [B, 1, N] (front end featureType 'raw', layout B1T): framing, window and DFT as two 1-D Convs
 * whose constant kernels are the windowed cosines and sines (stride = frame shift), the power
 * spectrum Re² + Im², a MatMul with Kaldi's mel matrix, log(· + 1e-6), minus the utterance's
 * mean log energy. Output [B, 1, T, melBins] with T = 1 + ⌊(N − frameLength) /
 * frameShift⌋ (Kaldi's snip-edges framing). The kernels and the mel matrix are Constant nodes, so
 * no trainable set ever includes them; every op has a gradient on both engines, so SGLD moves the
 * waveform itself.
 */
import { makeMelBanks, denseMelBanks } from '../../features/mel.ts';
import { makeWindow } from '../../features/window.ts';
import { ConfigError } from '../../util/errors.ts';
import type { GraphBuilder } from './graph.ts';

export interface LogMelOptions {
  sampleRate: number;
  /** Frame length and shift in samples (Kaldi's 25 ms / 10 ms at 16 kHz: 400 / 160). */
  frameLength: number;
  frameShift: number;
  /** FFT size (≥ frameLength; the frame is zero-padded), a power of two. */
  fftSize: number;
  melBins: number;
}

export const LOGMEL_DEFAULTS = { frameLength: 400, frameShift: 160, fftSize: 512, melBins: 40 };

/** Frames of an N-sample input (snip-edges). */
export function logMelFrames(numSamples: number, o: Pick<LogMelOptions, 'frameLength' | 'frameShift'>): number {
  return numSamples < o.frameLength ? 0 : 1 + Math.floor((numSamples - o.frameLength) / o.frameShift);
}

/** The real and imaginary DFT kernels of the windowed frame: [K, 1, frameLength] each, K = fftSize / 2 bins (Kaldi drops Nyquist). */
export function dftKernels(o: LogMelOptions): { cos: Float32Array; sin: Float32Array; bins: number } {
  const K = o.fftSize >> 1;
  const L = o.frameLength;
  const w = makeWindow('hamming', L);
  const cos = new Float32Array(K * L), sin = new Float32Array(K * L);
  for (let k = 0; k < K; k++) {
    for (let n = 0; n < L; n++) {
      const a = (2 * Math.PI * k * n) / o.fftSize;
      cos[k * L + n] = w[n] * Math.cos(a);
      sin[k * L + n] = -w[n] * Math.sin(a);
    }
  }
  return { cos, sin, bins: K };
}

/** Append the front end to `g` after `input` ([B, 1, N]); returns the [B, 1, T, melBins] output. */
export function logMelFrontEnd(g: GraphBuilder, input: string, o: LogMelOptions): string {
  if (!(o.fftSize >= o.frameLength) || (o.fftSize & (o.fftSize - 1)) !== 0) throw new ConfigError(`log-mel front end: fftSize ${o.fftSize} must be a power of two ≥ frameLength ${o.frameLength}`);
  if (!(o.frameShift > 0 && o.frameLength > 0 && o.melBins > 0)) throw new ConfigError('log-mel front end: frameLength, frameShift and melBins must be positive');
  const { cos, sin, bins } = dftKernels(o);
  const conv = (name: string, w: Float32Array) =>
    g.node('Conv', [input, g.constant(`${name}.kernel`, [bins, 1, o.frameLength], w)], name, { kernel_shape: [o.frameLength], strides: [o.frameShift], pads: [0, 0], dilations: [1] });
  const re = conv('dft_re', cos);
  const im = conv('dft_im', sin);
  const power = g.node('Add', [g.node('Mul', [re, re], 'dft_re2'), g.node('Mul', [im, im], 'dft_im2')], 'power'); // [B, K, T]
  const mel = denseMelBanks(makeMelBanks(o.melBins, o.fftSize, o.sampleRate, 20, 0));
  const melT = new Float32Array(bins * o.melBins); // [K, melBins]
  mel.forEach((row, b) => row.forEach((v, k) => (melT[k * o.melBins + b] = v)));
  const frames = g.node('Transpose', [power], 'power_t', { perm: [0, 2, 1] }); // [B, T, K]
  const energies = g.node('MatMul', [frames, g.constant('mel.matrix', [bins, o.melBins], melT)], 'mel'); // [B, T, melBins]
  const logmel = g.node('Log', [g.node('Add', [energies, g.constant('mel.floor', [], Float32Array.of(1e-6))], 'mel_floor')], 'logmel');
  // minus the utterance's mean log energy (over frames and bins): a gain is a constant in the log
  // domain; a per-bin mean over frames would also erase the spectrum of a stationary sound
  const centred = g.node('Sub', [logmel, g.node('ReduceMean', [logmel], 'logmel_mean', { axes: [1, 2], keepdims: 1 })], 'logmel_cmn');
  return g.node('Unsqueeze', [centred, g.constantInt64('unsqueeze.axes', [1], [1])], 'logmel_image'); // [B, 1, T, melBins]
}
