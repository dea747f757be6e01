/** Kaldi's analysis windows (feature-window.cc FeatureWindowFunction), float64. */
import type { WindowType } from './options.ts';

export function makeWindow(type: WindowType, size: number, blackmanCoeff = 0.42): Float64Array {
  const w = new Float64Array(size);
  const a = (2 * Math.PI) / (size - 1);
  for (let i = 0; i < size; i++) {
    const c = Math.cos(a * i);
    switch (type) {
      case 'hanning':
        w[i] = 0.5 - 0.5 * c;
        break;
      case 'hamming':
        w[i] = 0.54 - 0.46 * c;
        break;
      case 'povey':
        w[i] = Math.pow(0.5 - 0.5 * c, 0.85);
        break;
      case 'rectangular':
        w[i] = 1;
        break;
      case 'blackman':
        w[i] = blackmanCoeff - 0.5 * c + (0.5 - blackmanCoeff) * Math.cos(2 * a * i);
        break;
    }
  }
  return w;
}
