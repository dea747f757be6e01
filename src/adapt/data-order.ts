/**
 * Batch order derived only from (seed, stream, epoch, position), so a resumed run sees exactly
 * the batches an uninterrupted run would: no iterator state to checkpoint.
 */
import { Rng, hashString } from '../util/rng.ts';

/** Indices of the examples in batch `step` of a stream of n examples. */
export function batchIndices(n: number, batch: number, step: number, seed: number, stream: string): Int32Array {
  const perEpoch = Math.max(1, Math.floor(n / batch));
  const out = new Int32Array(batch);
  if (n === 0) return out;
  const epoch = Math.floor(step / perEpoch);
  const pos = step % perEpoch;
  const perm = permutation(n, seed, stream, epoch);
  for (let i = 0; i < batch; i++) out[i] = perm[(pos * batch + i) % n];
  return out;
}

function permutation(n: number, seed: number, stream: string, epoch: number): number[] {
  const rng = new Rng((hashString(`${seed}:${stream}:${epoch}`) ^ seed) >>> 0);
  return rng.shuffle(Array.from({ length: n }, (_, i) => i));
}

/** Rows `idx` of a row-major matrix (n × dim). */
export function gatherRows(x: Float32Array, dim: number, idx: ArrayLike<number>): Float32Array {
  const out = new Float32Array(idx.length * dim);
  for (let i = 0; i < idx.length; i++) out.set(x.subarray(idx[i] * dim, (idx[i] + 1) * dim), i * dim);
  return out;
}

/** Seed of retry `generation` after divergences (generation 0 = the user's seed). */
export function generationSeed(seed: number, generation: number): number {
  return generation === 0 ? seed >>> 0 : hashString(`${seed}/retry-${generation}`);
}
