/** Frame splicing (Kaldi splice-feats): each output row is frames t−left … t+right concatenated, edges repeated. */
import { type Matrix, makeMatrix } from '../data/matrix.ts';

export function spliceFrames(m: Matrix, left: number, right: number): Matrix {
  if (!(left >= 0 && right >= 0)) throw new RangeError(`splice context must be >= 0 (left ${left}, right ${right})`);
  const ctx = left + right + 1;
  const d = m.cols;
  const out = new Float32Array(m.rows * d * ctx);
  for (let t = 0; t < m.rows; t++) {
    for (let c = 0; c < ctx; c++) {
      const s = Math.min(m.rows - 1, Math.max(0, t - left + c));
      out.set(m.data.subarray(s * d, s * d + d), (t * ctx + c) * d);
    }
  }
  return makeMatrix(m.rows, d * ctx, out);
}
