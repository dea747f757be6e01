/** A feature matrix: `rows` frames × `cols` coefficients, row-major float32 (Kaldi's layout). */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

export function makeMatrix(rows: number, cols: number, data?: Float32Array): Matrix {
  const d = data ?? new Float32Array(rows * cols);
  if (d.length !== rows * cols) throw new RangeError(`matrix ${rows}x${cols} needs ${rows * cols} values, got ${d.length}`);
  return { rows, cols, data: d };
}

/** Index of the first non-finite value, or -1. */
export function firstNonFinite(m: Matrix): number {
  const d = m.data;
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return i;
  return -1;
}
