/** Synthetic labeled source and shifted unlabeled target sets for trainer tests. */
import { Rng } from '../../src/util/rng.ts';
import type { LabeledSet, UnlabeledSet } from '../../src/adapt/types.ts';

export function blobs(n: number, dim: number, classes: number, shift: number, seed: number): LabeledSet {
  const rng = new Rng(seed);
  const centres = new Rng(1234); // same class centres for source and target
  const mu: number[][] = Array.from({ length: classes }, () => Array.from({ length: dim }, () => 2 * centres.normal()));
  const x = new Float32Array(n * dim);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % classes;
    for (let d = 0; d < dim; d++) x[i * dim + d] = mu[y[i]][d] + 0.7 * rng.normal() + shift;
  }
  return { x, y, n, ids: Array.from({ length: n }, (_, i) => `u${String(i).padStart(4, '0')}`) };
}

export function unlabeled(s: LabeledSet): UnlabeledSet {
  return { x: s.x, n: s.n, ids: s.ids };
}
