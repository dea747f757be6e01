/**
 * Training checkpoints: EXPDIR/checkpoints/step-<N>/ with `state.json` (step, epoch, Adam t, rng
 * state, free-form trainer info, and a table of tensors) and `tensors.bin` (all float32 arrays
 * back to back: weights incl. BatchNorm running stats, Adam m and v). Written with
 * writeDirAtomic, so a checkpoint dir either exists whole or not at all.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeDirAtomic } from '../util/atomic.ts';
import { DataError } from '../util/errors.ts';
import type { RngState } from '../util/rng.ts';
import type { AdamWState } from '../engine/adamw.ts';

export { checkpointDir, listCheckpoints, pruneCheckpoints } from '../util/checkpoint-dirs.ts';

export interface Checkpoint {
  step: number;
  epoch: number;
  weights: Map<string, Float32Array>;
  adam: AdamWState;
  rng: { s: RngState; spare: number | null };
  /** Anything else the trainer wants back (best dev accuracy, patience counter, ...). */
  info: Record<string, unknown>;
}

interface TensorEntry {
  group: 'weights' | 'm' | 'v';
  name: string;
  offset: number;
  length: number;
}

export function saveCheckpoint(dir: string, c: Checkpoint): void {
  const entries: TensorEntry[] = [];
  const arrays: Float32Array[] = [];
  let offset = 0;
  const add = (group: TensorEntry['group'], m: Map<string, Float32Array>) => {
    for (const [name, a] of m) {
      entries.push({ group, name, offset, length: a.length });
      arrays.push(a);
      offset += a.length;
    }
  };
  add('weights', c.weights);
  add('m', c.adam.m);
  add('v', c.adam.v);
  const all = new Float32Array(offset);
  arrays.forEach((a, i) => all.set(a, entries[i].offset));
  const state = { format: 'jemda-checkpoint-1', step: c.step, epoch: c.epoch, adamT: c.adam.t, rng: c.rng, info: c.info, tensors: entries };
  writeDirAtomic(dir, (tmp) => {
    fs.writeFileSync(path.join(tmp, 'tensors.bin'), new Uint8Array(all.buffer));
    fs.writeFileSync(path.join(tmp, 'state.json'), JSON.stringify(state) + '\n');
  });
}

export function loadCheckpoint(dir: string): Checkpoint {
  const stateFile = path.join(dir, 'state.json');
  let state: { format: string; step: number; epoch: number; adamT: number; rng: Checkpoint['rng']; info: Record<string, unknown>; tensors: TensorEntry[] };
  let bytes: Buffer;
  try {
    state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
    bytes = fs.readFileSync(path.join(dir, 'tensors.bin'));
  } catch (e) {
    throw new DataError(dir, undefined, `cannot read checkpoint (${(e as Error).message})`);
  }
  if (state.format !== 'jemda-checkpoint-1') throw new DataError(stateFile, undefined, `unknown checkpoint format '${state.format}'`);
  const buf = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(buf).set(bytes);
  const all = new Float32Array(buf);
  const c: Checkpoint = { step: state.step, epoch: state.epoch, weights: new Map(), adam: { t: state.adamT, m: new Map(), v: new Map() }, rng: state.rng, info: state.info };
  for (const e of state.tensors) {
    if (e.offset + e.length > all.length) throw new DataError(stateFile, undefined, `tensor '${e.name}' lies past the end of tensors.bin (truncated checkpoint)`);
    const a = all.slice(e.offset, e.offset + e.length);
    (e.group === 'weights' ? c.weights : e.group === 'm' ? c.adam.m : c.adam.v).set(e.name, a);
  }
  return c;
}
