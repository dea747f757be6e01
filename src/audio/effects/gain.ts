/** Gain in dB and peak normalisation. */

export function gain(signal: Float32Array, db: number): Float32Array {
  const k = Math.pow(10, db / 20);
  const y = new Float32Array(signal.length);
  for (let i = 0; i < signal.length; i++) y[i] = signal[i] * k;
  return y;
}

export function peak(signal: Float32Array): number {
  let m = 0;
  for (let i = 0; i < signal.length; i++) m = Math.max(m, Math.abs(signal[i]));
  return m;
}

/** Scale so the absolute peak equals `target` (no-op for silence). */
export function normalizePeak(signal: Float32Array, target: number): Float32Array {
  const p = peak(signal);
  const y = new Float32Array(signal.length);
  if (p === 0) return y;
  for (let i = 0; i < signal.length; i++) y[i] = (signal[i] * target) / p;
  return y;
}
