/**
 * Drawing samples from a model for inspection (`jemda sample`): SGLD from the init distribution
 * (unconditional, or class-conditional with E = −f[y]), or the chains of a saved replay buffer.
 */
import type { EnergyGrad } from '../model/types.ts';
import { Rng } from '../util/rng.ts';
import { DataError } from '../util/errors.ts';
import { drawInit, type InitDistribution } from './buffer-init.ts';
import { ReplayBuffer } from './replay-buffer.ts';
import { sgldSample, type SgldOptions } from './sampler.ts';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface DrawnSamples {
  x: Float32Array;
  n: number;
  classes: Int32Array | null;
  energy: Float32Array | null;
  steps: number;
}

/** SGLD from `init`; `classes` (one per sample) selects class-conditional sampling. */
export async function drawSamples(eg: EnergyGrad, init: InitDistribution, n: number, opts: SgldOptions, seed: number, classes: Int32Array | null): Promise<DrawnSamples> {
  const dim = eg.exampleShape.reduce((a, b) => a * b, 1);
  const rng = new Rng(seed);
  const x = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) drawInit(init, x.subarray(i * dim, (i + 1) * dim), rng, classes && init.kind === 'class-gaussian' ? classes[i] : undefined);
  const r = await sgldSample(eg, x, n, opts, rng, { classes: classes ?? undefined });
  return { x: r.x, n, classes, energy: r.energy, steps: r.steps };
}

/** `n` chains of the replay buffer saved in a checkpoint dir (CKPT/buffer) or a buffer dir, picked at random. */
export function samplesFromBuffer(dir: string, n: number, seed: number): DrawnSamples {
  const bufDir = fs.existsSync(path.join(dir, 'buffer', 'buffer.json')) ? path.join(dir, 'buffer') : dir;
  if (!fs.existsSync(path.join(bufDir, 'buffer.json'))) throw new DataError(dir, undefined, 'no replay buffer here (expected buffer/buffer.json or buffer.json)');
  const buf = ReplayBuffer.load(bufDir);
  const rng = new Rng(seed);
  const slots = rng.shuffle(Array.from({ length: buf.size }, (_, i) => i)).slice(0, Math.min(n, buf.size));
  const x = new Float32Array(slots.length * buf.dim);
  slots.forEach((s, i) => x.set(buf.data.subarray(s * buf.dim, (s + 1) * buf.dim), i * buf.dim));
  const classes = buf.opts.classPartitioned ? Int32Array.from(slots, (s) => buf.slotClass(s) as number) : null;
  return { x, n: slots.length, classes, energy: null, steps: 0 };
}
