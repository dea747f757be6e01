/**
 * Parsing Kaldi archive objects, byte-compatible with Kaldi.
 *
 * Binary ark entry: `key␠` `\0B` token (`FM␠` float / `DM␠` double matrix, `FV␠`/`DV␠` vector,
 * `CM␠`/`CM2␠`/`CM3␠` compressed matrix, read-only), then each int32 dimension as `\4` + 4 bytes
 * little endian, then the data row-major. Text ark (`ark,t`): `key  [\n  1 2 3 \n  4 5 6 ]\n`;
 * vectors `key  [ 1 2 3 ]\n`.
 *
 * Malformed or truncated input → FeatureError naming the file, the key and the byte offset.
 */
import * as fs from 'node:fs';
import { FeatureError } from '../util/errors.ts';
import type { KaldiMatrix, KaldiVector } from './kaldi-matrix.ts';
import {
  COMPRESSED_HEADER_BYTES,
  compressedPayloadBytes,
  decompress,
  readCompressedHeader,
  type CompressedFormat,
} from './kaldi-compressed.ts';

export type KaldiObject = { kind: 'matrix'; m: KaldiMatrix; text?: boolean } | { kind: 'vector'; v: KaldiVector };

// ---------------------------------------------------------------------------------------------
// Byte sources and a buffered cursor

export interface ByteSource {
  readonly name: string;
  readonly size: number;
  /** Copy up to `n` bytes at `pos` into `out` at `outOff`; returns bytes copied. */
  readInto(pos: number, out: Uint8Array, outOff: number, n: number): number;
}

export class BufferSource implements ByteSource {
  constructor(readonly name: string, private readonly buf: Uint8Array) {}
  get size(): number {
    return this.buf.length;
  }
  readInto(pos: number, out: Uint8Array, outOff: number, n: number): number {
    const k = Math.max(0, Math.min(n, this.buf.length - pos));
    out.set(this.buf.subarray(pos, pos + k), outOff);
    return k;
  }
}

export class FdSource implements ByteSource {
  constructor(readonly name: string, readonly fd: number, readonly size: number) {}
  readInto(pos: number, out: Uint8Array, outOff: number, n: number): number {
    let done = 0;
    while (done < n && pos + done < this.size) {
      const k = fs.readSync(this.fd, out, outOff + done, n - done, pos + done);
      if (k === 0) break;
      done += k;
    }
    return done;
  }
}

const CHUNK = 1 << 16;

export class Cursor {
  private buf = new Uint8Array(CHUNK);
  private bufStart = 0;
  private bufLen = 0;
  constructor(readonly src: ByteSource, public pos: number) {}

  remaining(): number {
    return this.src.size - this.pos;
  }

  private fill(): boolean {
    if (this.pos >= this.bufStart && this.pos < this.bufStart + this.bufLen) return true;
    this.bufStart = this.pos;
    this.bufLen = this.src.readInto(this.pos, this.buf, 0, CHUNK);
    return this.bufLen > 0;
  }

  /** Next byte without consuming it, or -1 at the end. */
  peek(): number {
    if (!this.fill()) return -1;
    return this.buf[this.pos - this.bufStart];
  }

  /** Next byte, or -1 at the end. */
  get(): number {
    const b = this.peek();
    if (b >= 0) this.pos++;
    return b;
  }

  /** Exactly n bytes (a copy), or null when fewer are left. */
  take(n: number): Uint8Array | null {
    if (n > this.remaining()) return null;
    const out = new Uint8Array(n);
    let done = 0;
    // Serve what the buffer holds, then read the rest directly.
    if (this.fill()) {
      const off = this.pos - this.bufStart;
      const k = Math.min(n, this.bufLen - off);
      out.set(this.buf.subarray(off, off + k), 0);
      done = k;
    }
    if (done < n) {
      const k = this.src.readInto(this.pos + done, out, done, n - done);
      if (k !== n - done) return null;
    }
    this.pos += n;
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Object parsing

export interface Ctx {
  source: string;
  key?: string;
}

export function fail(ctx: Ctx, at: number, msg: string): never {
  throw new FeatureError(ctx.source, `${msg} (at byte ${at})`, ctx.key);
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0b || b === 0x0c;
}

const MAX_TOKEN = 16;
const MAX_KEY = 4096;

function readToken(cur: Cursor, ctx: Ctx): string {
  const at = cur.pos;
  let s = '';
  for (;;) {
    const b = cur.get();
    if (b < 0) fail(ctx, at, 'truncated: end of file inside a token');
    if (b === 0x20) break;
    if (s.length >= MAX_TOKEN || b < 0x21 || b > 0x7e) fail(ctx, at, 'bad token in binary object');
    s += String.fromCharCode(b);
  }
  return s;
}

function readInt32(cur: Cursor, ctx: Ctx, what: string): number {
  const at = cur.pos;
  const b = cur.take(5);
  if (!b) fail(ctx, at, `truncated: end of file in ${what}`);
  if (b[0] !== 4) fail(ctx, at, `bad size byte ${b[0]} before ${what} (expected 4)`);
  const v = new DataView(b.buffer).getInt32(1, true);
  if (v < 0) fail(ctx, at, `negative ${what} ${v}`);
  return v;
}

function readFloats(cur: Cursor, ctx: Ctx, n: number, double: boolean): { f32: Float32Array; f64?: Float64Array } {
  const bytes = n * (double ? 8 : 4);
  const at = cur.pos;
  if (bytes > cur.remaining()) fail(ctx, at, `truncated: data needs ${bytes} bytes, ${cur.remaining()} left`);
  const b = cur.take(bytes);
  if (!b) fail(ctx, at, 'truncated data');
  if (double) {
    const f64 = new Float64Array(b.buffer, 0, n);
    return { f32: Float32Array.from(f64), f64 };
  }
  return { f32: new Float32Array(b.buffer, 0, n) };
}

function checkDims(ctx: Ctx, at: number, rows: number, cols: number): void {
  if ((rows === 0) !== (cols === 0)) fail(ctx, at, `bad matrix dimensions ${rows}x${cols}`);
  if (rows * cols > 0x7fffffff) fail(ctx, at, `matrix dimensions too large ${rows}x${cols}`);
}

function readBinaryObject(cur: Cursor, ctx: Ctx): KaldiObject {
  const at = cur.pos;
  const token = readToken(cur, ctx);
  switch (token) {
    case 'FM':
    case 'DM': {
      const rows = readInt32(cur, ctx, 'row count');
      const cols = readInt32(cur, ctx, 'column count');
      checkDims(ctx, at, rows, cols);
      const { f32, f64 } = readFloats(cur, ctx, rows * cols, token === 'DM');
      const m: KaldiMatrix = { rows, cols, data: f32, stored: token === 'DM' ? 'double' : 'float' };
      if (f64) m.data64 = f64;
      return { kind: 'matrix', m };
    }
    case 'FV':
    case 'DV': {
      const dim = readInt32(cur, ctx, 'vector dimension');
      const { f32, f64 } = readFloats(cur, ctx, dim, token === 'DV');
      const v: KaldiVector = { data: f32 };
      if (f64) v.data64 = f64;
      return { kind: 'vector', v };
    }
    case 'CM':
    case 'CM2':
    case 'CM3': {
      const hb = cur.take(COMPRESSED_HEADER_BYTES);
      if (!hb) fail(ctx, at, 'truncated compressed-matrix header');
      const h = readCompressedHeader(token as CompressedFormat, hb);
      if (h.rows < 0 || h.cols < 0) fail(ctx, at, `bad compressed matrix dimensions ${h.rows}x${h.cols}`);
      if (h.cols === 0 || h.rows === 0) return { kind: 'matrix', m: { rows: 0, cols: 0, data: new Float32Array(0), stored: 'compressed' } };
      checkDims(ctx, at, h.rows, h.cols);
      const n = compressedPayloadBytes(h);
      if (n > cur.remaining()) fail(ctx, at, `truncated: compressed data needs ${n} bytes, ${cur.remaining()} left`);
      const payload = cur.take(n);
      if (!payload) fail(ctx, at, 'truncated compressed data');
      return { kind: 'matrix', m: { rows: h.rows, cols: h.cols, data: decompress(h, payload), stored: 'compressed' } };
    }
    default:
      return fail(ctx, at, `unknown binary object type '${token}' (expected FM, DM, CM, CM2, CM3, FV or DV)`);
  }
}

const MAX_NUMBER_TOKEN = 64;

function parseNumber(tok: string, ctx: Ctx, at: number): number {
  const t = tok.toLowerCase();
  if (t === 'nan' || t === '-nan' || t === '+nan') return NaN;
  if (t === 'inf' || t === '+inf' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) fail(ctx, at, `bad number '${tok.slice(0, 32)}' in text matrix`);
  return Number(t);
}

/** Text object: `[ 1 2 \n 3 4 ]`; rows end at newlines. */
function readTextObject(cur: Cursor, ctx: Ctx): KaldiObject {
  let b = cur.peek();
  while (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) {
    cur.get();
    b = cur.peek();
  }
  const at = cur.pos;
  if (b !== 0x5b /* [ */) fail(ctx, at, b < 0 ? 'truncated: end of file before matrix' : `expected '[' or binary marker, got byte 0x${b.toString(16)}`);
  cur.get();
  const rows: number[][] = [];
  let row: number[] = [];
  let tok = '';
  let tokAt = 0;
  const flushTok = () => {
    if (tok !== '') {
      row.push(parseNumber(tok, ctx, tokAt));
      tok = '';
    }
  };
  const flushRow = () => {
    if (row.length > 0) {
      if (rows.length > 0 && row.length !== rows[0].length) fail(ctx, tokAt, `text matrix row ${rows.length} has ${row.length} values, row 0 has ${rows[0].length}`);
      rows.push(row);
      row = [];
    }
  };
  for (;;) {
    const c = cur.get();
    if (c < 0) fail(ctx, at, "truncated: end of file before ']'");
    if (c === 0x5d /* ] */) {
      flushTok();
      flushRow();
      break;
    }
    if (c === 0x0a) {
      flushTok();
      flushRow();
    } else if (c === 0x20 || c === 0x09 || c === 0x0d) {
      flushTok();
    } else {
      if (tok === '') tokAt = cur.pos - 1;
      if (tok.length >= MAX_NUMBER_TOKEN) fail(ctx, tokAt, 'overlong token in text matrix');
      tok += String.fromCharCode(c);
    }
  }
  const r = rows.length;
  const c = r > 0 ? rows[0].length : 0;
  const data = new Float32Array(r * c);
  const data64 = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) data64[i * c + j] = data[i * c + j] = rows[i][j];
  return { kind: 'matrix', m: { rows: r, cols: c, data, data64, stored: 'text' }, text: true };
}

/** Parse one object at the cursor (binary when it starts with `\0B`). */
export function readObject(cur: Cursor, ctx: Ctx): KaldiObject {
  if (cur.peek() === 0) {
    const at = cur.pos;
    cur.get();
    if (cur.get() !== 0x42 /* B */) fail(ctx, at, "bad binary marker (expected '\\0B')");
    return readBinaryObject(cur, ctx);
  }
  return readTextObject(cur, ctx);
}

export function asMatrix(o: KaldiObject, ctx: Ctx, at: number): KaldiMatrix {
  if (o.kind !== 'matrix') fail(ctx, at, 'expected a matrix, found a vector');
  return o.m;
}

export function asVector(o: KaldiObject, ctx: Ctx, at: number): KaldiVector {
  if (o.kind === 'vector') return o.v;
  // Text vectors look like one-row matrices.
  if (o.text && o.m.rows <= 1) {
    const v: KaldiVector = { data: o.m.data };
    if (o.m.data64) v.data64 = o.m.data64;
    return v;
  }
  return fail(ctx, at, 'expected a vector, found a matrix');
}

/** Sequentially read every `key object` of an archive. */
export function* readArkObjects(src: ByteSource): Generator<[string, KaldiObject, number]> {
  const cur = new Cursor(src, 0);
  for (;;) {
    let b = cur.peek();
    while (b >= 0 && isSpace(b)) {
      cur.get();
      b = cur.peek();
    }
    if (b < 0) return;
    const keyAt = cur.pos;
    const kb: number[] = [];
    for (;;) {
      b = cur.get();
      if (b < 0) fail({ source: src.name }, keyAt, 'truncated: end of file inside a key');
      if (b === 0x20 || b === 0x09) break;
      if (isSpace(b)) fail({ source: src.name }, keyAt, 'key followed by a line break instead of a space');
      if (kb.length >= MAX_KEY) fail({ source: src.name }, keyAt, 'key too long (no space after it)');
      kb.push(b);
    }
    const key = Buffer.from(kb).toString('utf8');
    const at = cur.pos;
    const obj = readObject(cur, { source: src.name, key });
    yield [key, obj, at];
  }
}
