/** RBJ-cookbook biquad filters (direct form I), for band-limiting channels. */

export interface Biquad {
  b0: number;
  b1: number;
  b2: number;
  a1: number;
  a2: number;
}

function norm(b0: number, b1: number, b2: number, a0: number, a1: number, a2: number): Biquad {
  return { b0: b0 / a0, b1: b1 / a0, b2: b2 / a0, a1: a1 / a0, a2: a2 / a0 };
}

export function lowpass(fc: number, rate: number, q = Math.SQRT1_2): Biquad {
  const w = (2 * Math.PI * fc) / rate, c = Math.cos(w), al = Math.sin(w) / (2 * q);
  return norm((1 - c) / 2, 1 - c, (1 - c) / 2, 1 + al, -2 * c, 1 - al);
}

export function highpass(fc: number, rate: number, q = Math.SQRT1_2): Biquad {
  const w = (2 * Math.PI * fc) / rate, c = Math.cos(w), al = Math.sin(w) / (2 * q);
  return norm((1 + c) / 2, -(1 + c), (1 + c) / 2, 1 + al, -2 * c, 1 - al);
}

export function applyBiquad(x: Float32Array, f: Biquad): Float32Array {
  const y = new Float32Array(x.length);
  let x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  for (let i = 0; i < x.length; i++) {
    const v = f.b0 * x[i] + f.b1 * x1 + f.b2 * x2 - f.a1 * y1 - f.a2 * y2;
    x2 = x1;
    x1 = x[i];
    y2 = y1;
    y1 = v;
    y[i] = v;
  }
  return y;
}

/** Magnitude response |H(e^{jω})| of a biquad at frequency f. */
export function biquadGain(f: Biquad, freq: number, rate: number): number {
  const w = (2 * Math.PI * freq) / rate;
  const re = (b0: number, b1: number, b2: number) => b0 + b1 * Math.cos(w) + b2 * Math.cos(2 * w);
  const im = (b1: number, b2: number) => -(b1 * Math.sin(w) + b2 * Math.sin(2 * w));
  const nr = re(f.b0, f.b1, f.b2), ni = im(f.b1, f.b2);
  const dr = re(1, f.a1, f.a2), di = im(f.a1, f.a2);
  return Math.hypot(nr, ni) / Math.hypot(dr, di);
}

/** Band-pass as a cascade of `order` high-pass and `order` low-pass Butterworth biquads. */
export function bandpass(x: Float32Array, rate: number, lo: number, hi: number, order = 2): Float32Array {
  let y = x;
  for (let k = 0; k < order; k++) y = applyBiquad(y, highpass(lo, rate));
  for (let k = 0; k < order; k++) y = applyBiquad(y, lowpass(hi, rate));
  return y;
}
