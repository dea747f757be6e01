/**
 * The one on-disk format of jemda's checkpoints (train and adapt) and of adapt's `final/`
 * weights: a directory with
 *   tensors.bin   every float32 array back to back (little-endian, as the machine writes them)
 *   state.json    { format: 'jemda-checkpoint-2', meta: <the trainer's JSON>, tensors: [{ group,
 *                 name, offset, length }] }
 * Groups name what an array is: 'weights' (every initializer, BatchNorm running statistics
 * included) and '<optimizer>.m' / '<optimizer>.v' for AdamW moments (the step count t is in the
 * meta). Written with writeDirAtomic, so a directory exists whole or not at all; `extra` may add
 * files to it (adapt's replay buffer) inside the same atomic write.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeDirAtomic } from '../util/atomic.ts';
import { DataError } from '../util/errors.ts';
import type { AdamWState } from './adamw.ts';

export const CHECKPOINT_FORMAT = 'jemda-checkpoint-2';

export type TensorGroups = Map<string, Map<string, Float32Array>>;

interface TensorEntry {
  group: string;
  name: string;
  offset: number;
  length: number;
}

/** Write `groups` and `meta` as one checkpoint directory `dir` (atomically). */
export function writeTensorDir(dir: string, groups: TensorGroups, meta: unknown, extra?: (tmpDir: string) => void): void {
  const entries: TensorEntry[] = [];
  let offset = 0;
  for (const [group, m] of groups) {
    for (const [name, a] of m) {
      entries.push({ group, name, offset, length: a.length });
      offset += a.length;
    }
  }
  const all = new Float32Array(offset);
  let i = 0;
  for (const m of groups.values()) for (const a of m.values()) all.set(a, entries[i++].offset);
  fs.mkdirSync(path.dirname(path.resolve(dir)), { recursive: true });
  writeDirAtomic(dir, (tmp) => {
    fs.writeFileSync(path.join(tmp, 'tensors.bin'), new Uint8Array(all.buffer));
    fs.writeFileSync(path.join(tmp, 'state.json'), JSON.stringify({ format: CHECKPOINT_FORMAT, meta, tensors: entries }) + '\n');
    extra?.(tmp);
  });
}

/** Read a directory written by writeTensorDir: its meta and its tensor groups (a missing group is empty). */
export function readTensorDir<M>(dir: string): { meta: M; groups: TensorGroups } {
  const stateFile = path.join(dir, 'state.json');
  let state: { format?: string; meta: M; tensors: TensorEntry[] };
  let bytes: Buffer;
  try {
    state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
    bytes = fs.readFileSync(path.join(dir, 'tensors.bin'));
  } catch (e) {
    throw new DataError(dir, undefined, `cannot read checkpoint (${(e as Error).message}); a checkpoint of an older jemda cannot be resumed: run again without --resume`);
  }
  if (state.format !== CHECKPOINT_FORMAT) throw new DataError(stateFile, undefined, `unknown checkpoint format '${state.format}' (expected ${CHECKPOINT_FORMAT})`);
  const buf = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(buf).set(bytes);
  const all = new Float32Array(buf);
  const groups: TensorGroups = new Map();
  for (const e of state.tensors) {
    if (e.offset + e.length > all.length) throw new DataError(stateFile, undefined, `tensor '${e.name}' lies past the end of tensors.bin (truncated checkpoint)`);
    if (!groups.has(e.group)) groups.set(e.group, new Map());
    groups.get(e.group)!.set(e.name, all.slice(e.offset, e.offset + e.length));
  }
  return { meta: state.meta, groups };
}

/** An optimizer's moments as the two tensor groups '<role>.m' and '<role>.v'. */
export function optimizerGroups(groups: TensorGroups, role: string, st: AdamWState): void {
  groups.set(`${role}.m`, st.m);
  groups.set(`${role}.v`, st.v);
}

/** The optimizer state of `role` given its step count t (null when t is null: none was saved). */
export function optimizerFrom(groups: TensorGroups, role: string, t: number | null | undefined): AdamWState | null {
  if (t === null || t === undefined) return null;
  return { t, m: groups.get(`${role}.m`) ?? new Map(), v: groups.get(`${role}.v`) ?? new Map() };
}
