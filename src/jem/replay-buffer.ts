/**
 * Replay memory of SGLD chains (persistent contrastive divergence). Each slot holds one sample
 * (Float32Array, size × dim) and the number of SGLD steps its chain has taken since it was
 * (re)initialised (for the replay correction). A draw picks random slots; each is replaced by a
 * fresh draw of the init distribution with probability `reinitProb` (its chain count restarts at
 * 0), optionally interpolated with a real data row: x = (1 − m)·init + m·data, m ~ U(0, mix),
 * where the caller anneals `mix`; a slot drawn for the first time (no chain has run from its
 * initial draw) is a fresh chain too and is interpolated the same way. With `classPartitioned` the buffer is split into numClasses
 * equal segments (as in JEM), so class-conditional draws only see chains of that class.
 * The buffer owns its Rng; save/restore keep samples, chain counts and the Rng state.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng, type RngState } from '../util/rng.ts';
import { ConfigError, DataError } from '../util/errors.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.ts';
import { drawInit, initFromJson, initToJson, type InitDistribution } from './buffer-init.ts';

export interface ReplayBufferOptions {
  size: number;
  dim: number;
  reinitProb: number;
  init: InitDistribution;
  /** Split slots by class (JEM): size must be a multiple of numClasses. */
  classPartitioned?: boolean;
  numClasses?: number;
}

export interface Draw {
  x: Float32Array;
  /** Slot index of each drawn sample. */
  slots: Int32Array;
  chainSteps: Float32Array;
  /** 1 where the sample was freshly initialised. */
  reinit: Uint8Array;
  /** Class of each sample when class-conditional (given or of its slot). */
  classes?: Int32Array;
}

export class ReplayBuffer {
  readonly data: Float32Array;
  readonly chainSteps: Float32Array;
  readonly rng: Rng;
  totalDraws = 0;
  totalReinits = 0;

  constructor(readonly opts: ReplayBufferOptions, seed: number | Rng, fill = true) {
    const { size, dim, reinitProb } = opts;
    if (!(size >= 1) || !(dim >= 1)) throw new ConfigError(`replay buffer size and dim must be >= 1 (got ${size}, ${dim})`);
    if (!(reinitProb >= 0 && reinitProb <= 1)) throw new ConfigError(`buffer reinit probability must be in [0, 1] (got ${reinitProb})`);
    if (opts.classPartitioned && (!opts.numClasses || size % opts.numClasses !== 0)) {
      throw new ConfigError(`class-partitioned buffer: size ${size} must be a multiple of the number of classes (${opts.numClasses})`);
    }
    this.rng = typeof seed === 'number' ? new Rng(seed) : seed;
    this.data = new Float32Array(size * dim);
    this.chainSteps = new Float32Array(size);
    if (fill) for (let s = 0; s < size; s++) drawInit(opts.init, this.data.subarray(s * dim, (s + 1) * dim), this.rng, this.slotClass(s));
  }

  get size(): number {
    return this.opts.size;
  }
  get dim(): number {
    return this.opts.dim;
  }

  /** Class of a slot in a class-partitioned buffer (undefined otherwise). */
  slotClass(slot: number): number | undefined {
    if (!this.opts.classPartitioned) return undefined;
    return Math.floor(slot / (this.opts.size / (this.opts.numClasses as number)));
  }

  /**
   * Draw `batch` samples. `classes`: wanted class per sample (class-partitioned buffers draw from
   * that class's segment; a class-gaussian init draws that class). `real`/`mix`: rows of real data
   * (n × dim) to interpolate fresh inits with, m ~ U(0, mix).
   */
  draw(batch: number, o: { classes?: Int32Array; real?: Float32Array; mix?: number } = {}): Draw {
    const { dim, size } = this.opts;
    const x = new Float32Array(batch * dim);
    const slots = new Int32Array(batch);
    const chain = new Float32Array(batch);
    const reinit = new Uint8Array(batch);
    const classes = o.classes ? Int32Array.from(o.classes) : this.opts.classPartitioned ? new Int32Array(batch) : undefined;
    const seg = this.opts.classPartitioned ? size / (this.opts.numClasses as number) : size;
    const nReal = o.real ? o.real.length / dim : 0;
    for (let b = 0; b < batch; b++) {
      let slot: number;
      if (this.opts.classPartitioned) {
        const c = o.classes ? o.classes[b] : this.rng.int(this.opts.numClasses as number);
        slot = c * seg + this.rng.int(seg);
        (classes as Int32Array)[b] = c;
      } else {
        slot = this.rng.int(size);
      }
      slots[b] = slot;
      const out = x.subarray(b * dim, (b + 1) * dim);
      const mixing = nReal > 0 && (o.mix ?? 0) > 0;
      if (this.rng.uniform() < this.opts.reinitProb) {
        reinit[b] = 1;
        drawInit(this.opts.init, out, this.rng, classes ? classes[b] : undefined);
        if (mixing) this.mixWithReal(out, o.real as Float32Array, o.mix as number);
        chain[b] = 0;
      } else {
        out.set(this.data.subarray(slot * dim, (slot + 1) * dim));
        chain[b] = this.chainSteps[slot];
        // A slot no chain has run from yet holds its initial draw: a fresh chain, mixed like one.
        if (mixing && chain[b] === 0) this.mixWithReal(out, o.real as Float32Array, o.mix as number);
      }
    }
    this.totalDraws += batch;
    for (let b = 0; b < batch; b++) this.totalReinits += reinit[b];
    return { x, slots, chainSteps: chain, reinit, classes };
  }

  /** out ← (1 − m)·out + m·row, m ~ U(0, mix), row a random row of `real`. */
  private mixWithReal(out: Float32Array, real: Float32Array, mix: number): void {
    const dim = this.opts.dim;
    const m = this.rng.uniform() * mix;
    const r = this.rng.int(real.length / dim);
    const row = real.subarray(r * dim, (r + 1) * dim);
    for (let d = 0; d < dim; d++) out[d] = (1 - m) * out[d] + m * row[d];
  }

  /** Write sampled chains back into their slots. */
  update(slots: Int32Array, x: Float32Array, chainSteps: Float32Array): void {
    const dim = this.opts.dim;
    for (let b = 0; b < slots.length; b++) {
      this.data.set(x.subarray(b * dim, (b + 1) * dim), slots[b] * dim);
      this.chainSteps[slots[b]] = chainSteps[b];
    }
  }

  stats(): { meanChainSteps: number; maxChainSteps: number; mean: number; std: number; reinitFraction: number } {
    let s = 0;
    let mx = 0;
    for (const c of this.chainSteps) {
      s += c;
      if (c > mx) mx = c;
    }
    let m = 0;
    for (const v of this.data) m += v;
    m /= this.data.length;
    let q = 0;
    for (const v of this.data) q += (v - m) ** 2;
    return {
      meanChainSteps: s / this.size,
      maxChainSteps: mx,
      mean: m,
      std: Math.sqrt(q / this.data.length),
      reinitFraction: this.totalDraws ? this.totalReinits / this.totalDraws : 0,
    };
  }

  /** Save into dir: buffer.json (options, init, rng), samples.f32, chain-steps.f32 (each atomic). */
  save(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    writeFileAtomic(path.join(dir, 'samples.f32'), new Uint8Array(this.data.buffer, this.data.byteOffset, this.data.byteLength));
    writeFileAtomic(path.join(dir, 'chain-steps.f32'), new Uint8Array(this.chainSteps.buffer, this.chainSteps.byteOffset, this.chainSteps.byteLength));
    const { init, ...rest } = this.opts;
    writeJsonAtomic(path.join(dir, 'buffer.json'), {
      ...rest,
      init: initToJson(init),
      rng: this.rng.getState(),
      totalDraws: this.totalDraws,
      totalReinits: this.totalReinits,
    });
  }

  static load(dir: string): ReplayBuffer {
    const metaFile = path.join(dir, 'buffer.json');
    if (!fs.existsSync(metaFile)) throw new DataError(metaFile, undefined, 'replay buffer metadata is missing');
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
    const opts: ReplayBufferOptions = {
      size: meta.size,
      dim: meta.dim,
      reinitProb: meta.reinitProb,
      init: initFromJson(meta.init),
      classPartitioned: meta.classPartitioned,
      numClasses: meta.numClasses,
    };
    const rng = new Rng(0);
    rng.setState(meta.rng as { s: RngState; spare: number | null });
    const buf = new ReplayBuffer(opts, rng, false);
    const samples = readF32(path.join(dir, 'samples.f32'), opts.size * opts.dim);
    const chain = readF32(path.join(dir, 'chain-steps.f32'), opts.size);
    buf.data.set(samples);
    buf.chainSteps.set(chain);
    buf.totalDraws = meta.totalDraws ?? 0;
    buf.totalReinits = meta.totalReinits ?? 0;
    return buf;
  }
}

function readF32(file: string, n: number): Float32Array {
  if (!fs.existsSync(file)) throw new DataError(file, undefined, 'replay buffer file is missing');
  const b = fs.readFileSync(file);
  if (b.byteLength !== n * 4) throw new DataError(file, undefined, `expected ${n} float32 values, found ${b.byteLength} bytes`);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}
