/**
 * Checkpoints: EXPDIR/checkpoints/step-<N>/ written atomically as a whole directory:
 *   weights.bin + weights.json   all model weights and BatchNorm statistics (float32, in order)
 *   optimizer.bin + optimizer.json   Adam step and moments
 *   buffer/                      the replay buffer (samples, chain step counts, its rng)
 *   state.json                   step, seed generation, failure count, sampler rng state
 * A directory that is missing state.json is never trusted (it cannot exist after an atomic write,
 * but a hand-made copy might).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeDirAtomic } from '../util/atomic.ts';
import { checkpointDir } from '../util/checkpoint-dirs.ts';
import { DataError } from '../util/errors.ts';
import type { RngState } from '../util/rng.ts';
import type { AdamWState as AdamState } from '../engine/adamw.ts';
import { ReplayBuffer } from '../jem/replay-buffer.ts';

export { checkpointDir, listCheckpoints, pruneCheckpoints } from '../util/checkpoint-dirs.ts';

export interface TrainState {
  step: number;
  seed: number;
  generation: number;
  failures: number;
  samplerRng: { s: RngState; spare: number | null };
  method: string;
  /** JEM with --marginal-weight: running estimate of the target label marginal. */
  marginalRunning?: number[];
  /** JEM with --sgld-gap-control: the SGLD step size of the next update. */
  sgldStepSize?: number;
}

export interface Checkpoint {
  state: TrainState;
  weights: Map<string, Float32Array>;
  optimizer: AdamState | null;
  /** JEM with --ebm-optimizer separate: the energy terms' own Adam state. */
  optimizerEnergy?: AdamState | null;
  buffer: ReplayBuffer | null;
}

function writeAdam(dir: string, base: string, st: AdamState): void {
  const flat = new Map<string, Float32Array>();
  for (const [k, a] of st.m) flat.set(`m:${k}`, a);
  for (const [k, a] of st.v) flat.set(`v:${k}`, a);
  writeArrays(dir, base, flat);
  fs.writeFileSync(path.join(dir, `${base}-step.json`), JSON.stringify({ t: st.t }) + '\n');
}

function readAdam(dir: string, base: string): AdamState | null {
  if (!fs.existsSync(path.join(dir, `${base}.bin`))) return null;
  const flat = readArrays(dir, base);
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  for (const [k, a] of flat) (k.startsWith('m:') ? m : v).set(k.slice(2), a);
  const { t } = JSON.parse(fs.readFileSync(path.join(dir, `${base}-step.json`), 'utf8')) as { t: number };
  return { t, m, v };
}

export function writeArrays(dir: string, base: string, arrays: Map<string, Float32Array>): void {
  const names = [...arrays.keys()];
  let total = 0;
  for (const n of names) total += (arrays.get(n) as Float32Array).length;
  const all = new Float32Array(total);
  let off = 0;
  const index = names.map((n) => {
    const a = arrays.get(n) as Float32Array;
    all.set(a, off);
    off += a.length;
    return { name: n, length: a.length };
  });
  fs.writeFileSync(path.join(dir, `${base}.bin`), new Uint8Array(all.buffer));
  fs.writeFileSync(path.join(dir, `${base}.json`), JSON.stringify(index) + '\n');
}

export function readArrays(dir: string, base: string): Map<string, Float32Array> {
  const idxFile = path.join(dir, `${base}.json`);
  const binFile = path.join(dir, `${base}.bin`);
  if (!fs.existsSync(idxFile) || !fs.existsSync(binFile)) throw new DataError(binFile, undefined, 'checkpoint file is missing');
  const index = JSON.parse(fs.readFileSync(idxFile, 'utf8')) as { name: string; length: number }[];
  const b = fs.readFileSync(binFile);
  const all = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  const need = index.reduce((s, e) => s + e.length, 0);
  if (all.length !== need) throw new DataError(binFile, undefined, `expected ${need} float32 values, found ${all.length}`);
  const out = new Map<string, Float32Array>();
  let off = 0;
  for (const e of index) {
    out.set(e.name, all.slice(off, off + e.length));
    off += e.length;
  }
  return out;
}

export function saveCheckpoint(expDir: string, ck: Checkpoint): string {
  const dir = checkpointDir(expDir, ck.state.step);
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  writeDirAtomic(dir, (tmp) => {
    writeArrays(tmp, 'weights', ck.weights);
    if (ck.optimizer) writeAdam(tmp, 'optimizer', ck.optimizer);
    if (ck.optimizerEnergy) writeAdam(tmp, 'optimizer-energy', ck.optimizerEnergy);
    if (ck.buffer) ck.buffer.save(path.join(tmp, 'buffer'));
    fs.writeFileSync(path.join(tmp, 'state.json'), JSON.stringify(ck.state, null, 2) + '\n');
  });
  return dir;
}

export function loadCheckpoint(dir: string): Checkpoint {
  const stateFile = path.join(dir, 'state.json');
  if (!fs.existsSync(stateFile)) throw new DataError(stateFile, undefined, 'checkpoint has no state.json');
  const state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as TrainState;
  const weights = readArrays(dir, 'weights');
  const optimizer = readAdam(dir, 'optimizer');
  const optimizerEnergy = readAdam(dir, 'optimizer-energy');
  const buffer = fs.existsSync(path.join(dir, 'buffer', 'buffer.json')) ? ReplayBuffer.load(path.join(dir, 'buffer')) : null;
  return { state, weights, optimizer, optimizerEnergy, buffer };
}
