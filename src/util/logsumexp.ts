/**
 * The one logsumexp of plain arrays: log Σ exp(v[off..off+n)), shifted by the maximum so no term
 * overflows. A segment of −∞ only gives −∞, +∞ gives +∞, and a NaN anywhere gives NaN. Logits rows
 * of a row-major B × K matrix are `logSumExp(logits, b * K, K)`; tfjs code uses `tf.logSumExp`.
 */
export function logSumExp(v: ArrayLike<number>, off = 0, n = v.length - off): number {
  let m = -Infinity;
  for (let i = 0; i < n; i++) m = Math.max(m, v[off + i]);
  if (!Number.isFinite(m)) return m;
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.exp(v[off + i] - m);
  return m + Math.log(s);
}

/** Row-wise log-softmax pieces: lse[b] and softmax p[b, k] (float64 sums). */
export function softmaxRows(logits: Float32Array, B: number, K: number): { lse: Float64Array; p: Float64Array } {
  const lse = new Float64Array(B);
  const p = new Float64Array(B * K);
  for (let b = 0; b < B; b++) {
    lse[b] = logSumExp(logits, b * K, K);
    for (let k = 0; k < K; k++) p[b * K + k] = Math.exp(logits[b * K + k] - lse[b]);
  }
  return { lse, p };
}
