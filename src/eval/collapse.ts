/**
 * Numbers that expose a classifier that has collapsed onto a few classes, which accuracy alone
 * hides (predicting one class everywhere scores 1/C on a balanced set), and the mean ± sample
 * standard deviation over seeds.
 */

/** A cell is called collapsed when one class gets at least this share of all predictions. */
export const COLLAPSE_SHARE = 0.4;

/** The smallest per-class recall of a confusion matrix (rows: true class); classes with no example are skipped. */
export function minClassRecall(confusion: number[][]): number {
  let min = Infinity;
  confusion.forEach((row, i) => {
    const n = row.reduce((a, b) => a + b, 0);
    if (n > 0) min = Math.min(min, row[i] / n);
  });
  return Number.isFinite(min) ? min : NaN;
}

/** The largest fraction of all predictions given to one class (columns of the confusion matrix). */
export function maxClassShare(confusion: number[][]): number {
  const C = confusion.length;
  let total = 0;
  const col = new Float64Array(C);
  for (const row of confusion) {
    for (let j = 0; j < C; j++) {
      col[j] += row[j];
      total += row[j];
    }
  }
  if (total === 0) return NaN;
  let max = 0;
  for (let j = 0; j < C; j++) max = Math.max(max, col[j] / total);
  return max;
}

export function mean(xs: number[]): number {
  if (xs.length === 0) return NaN;
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample standard deviation (n − 1); null for fewer than two values (no spread to report). */
export function sampleSd(xs: number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) * (x - m), 0) / (xs.length - 1));
}
