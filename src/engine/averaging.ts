/**
 * Checkpoint averaging: the element-wise mean of K weight sets (all initializers, BatchNorm
 * running means and variances included — the running variance is averaged as a variance).
 */
import { MismatchError } from '../util/errors.ts';

export function averageWeights(sets: Map<string, Float32Array>[]): Map<string, Float32Array> {
  if (sets.length === 0) throw new RangeError('averageWeights: no weight sets');
  const out = new Map<string, Float32Array>();
  for (const [name, first] of sets[0]) {
    const acc = new Float64Array(first.length);
    for (const [k, s] of sets.entries()) {
      const w = s.get(name);
      if (!w || w.length !== first.length) throw new MismatchError(`averageWeights: set ${k} lacks '${name}' or has another size`);
      for (let i = 0; i < w.length; i++) acc[i] += w[i];
    }
    out.set(name, Float32Array.from(acc, (v) => v / sets.length));
  }
  return out;
}
