/**
 * Model inputs → feature matrices (frames × dims) and a PNG grid of feature images (time left to
 * right, feature dimension bottom to top, each image scaled to its own min–max in grey levels).
 */
import { PNG } from 'pngjs';
import type { InputLayout } from '../model/frontend.ts';
import type { Matrix } from '../data/matrix.ts';
import { writeFileAtomic } from '../util/atomic.ts';

/** One example (exampleShape without batch) as a frames × dims matrix. */
export function exampleToMatrix(x: Float32Array, exampleShape: number[], layout: InputLayout): Matrix {
  if (layout === 'BFT') {
    const [F, T] = exampleShape;
    const data = new Float32Array(T * F);
    for (let f = 0; f < F; f++) for (let t = 0; t < T; t++) data[t * F + f] = x[f * T + t];
    return { rows: T, cols: F, data };
  }
  const F = exampleShape[exampleShape.length - 1];
  return { rows: x.length / F, cols: F, data: Float32Array.from(x) };
}

/** Encode matrices as a grid PNG (cols images per row, 2-pixel gaps). */
export function featureGridPng(mats: Matrix[], cols = Math.ceil(Math.sqrt(mats.length)), scale = 2): Uint8Array {
  const T = Math.max(...mats.map((m) => m.rows));
  const F = Math.max(...mats.map((m) => m.cols));
  const gap = 2;
  const rows = Math.ceil(mats.length / cols);
  const W = cols * (T * scale + gap) + gap;
  const H = rows * (F * scale + gap) + gap;
  const png = new PNG({ width: W, height: H });
  png.data.fill(255);
  mats.forEach((m, i) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of m.data) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const span = hi > lo ? hi - lo : 1;
    const ox = gap + (i % cols) * (T * scale + gap);
    const oy = gap + Math.floor(i / cols) * (F * scale + gap);
    for (let t = 0; t < m.rows; t++) {
      for (let f = 0; f < m.cols; f++) {
        const g = Math.round((255 * (m.data[t * m.cols + f] - lo)) / span);
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const px = ox + t * scale + dx;
            const py = oy + (F - 1 - f) * scale + dy;
            const k = (py * W + px) * 4;
            png.data[k] = g;
            png.data[k + 1] = g;
            png.data[k + 2] = g;
            png.data[k + 3] = 255;
          }
        }
      }
    }
  });
  return PNG.sync.write(png);
}

export function writeFeatureGrid(file: string, mats: Matrix[]): void {
  writeFileAtomic(file, featureGridPng(mats));
}
