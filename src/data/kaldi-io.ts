/**
 * Kaldi feature archives (ark) and scripts (scp), byte-compatible with Kaldi.
 *
 * Binary ark entry: `key␠` `\0B` token (`FM␠` float / `DM␠` double matrix, `FV␠`/`DV␠` vector,
 * `CM␠`/`CM2␠`/`CM3␠` compressed matrix, read-only), then each int32 dimension as `\4` + 4 bytes
 * little endian, then the data row-major. Text ark (`ark,t`): `key  [\n  1 2 3 \n  4 5 6 ]\n`;
 * vectors `key  [ 1 2 3 ]\n`. An scp line is `key file.ark:offset` where offset points just after
 * `key␠` (at `\0B` in binary archives), optionally followed by a Kaldi range `[r1:r2]` or
 * `[r1:r2,c1:c2]` (inclusive).
 *
 * Specifiers: `ark:f`, `scp:f`, `ark,t:f`, `ark,scp:f.ark,f.scp` (files in the order the types are
 * named), `-` for stdin/stdout; the options s, cs, o, p, f, nf, b are accepted and ignored.
 * Malformed or truncated input → FeatureError naming the file, the key and the byte offset.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, FeatureError } from '../util/errors.ts';
import { firstNonFinite, type Matrix } from '../features/matrix.ts';
import { readTableEntries, parseTable } from './kaldi-text.ts';
import { DataError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import {
  COMPRESSED_HEADER_BYTES,
  compressedPayloadBytes,
  decompress,
  readCompressedHeader,
  type CompressedFormat,
} from './kaldi-compressed.ts';

/** How a matrix was stored: binary float (FM), double (DM), compressed (CM*), or text. */
export type StoredAs = 'float' | 'double' | 'compressed' | 'text';

/**
 * A matrix read from an archive; `data64` holds the exact values when it was stored as double or
 * as text (e.g. CMVN stats); `stored` says how it was stored.
 */
export interface KaldiMatrix extends Matrix {
  data64?: Float64Array;
  stored?: StoredAs;
}

/** A matrix to write: float32 data, or float64 (written as `DM` unless `double: false`). */
export interface WritableMatrix {
  rows: number;
  cols: number;
  data: Float32Array | Float64Array;
}

export interface KaldiVector {
  data: Float32Array;
  data64?: Float64Array;
}

type KaldiObject = { kind: 'matrix'; m: KaldiMatrix; text?: boolean } | { kind: 'vector'; v: KaldiVector };

// ---------------------------------------------------------------------------------------------
// Byte sources and a buffered cursor

interface ByteSource {
  readonly name: string;
  readonly size: number;
  /** Copy up to `n` bytes at `pos` into `out` at `outOff`; returns bytes copied. */
  readInto(pos: number, out: Uint8Array, outOff: number, n: number): number;
}

class BufferSource implements ByteSource {
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

class FdSource implements ByteSource {
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

class Cursor {
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

interface Ctx {
  source: string;
  key?: string;
}

function fail(ctx: Ctx, at: number, msg: string): never {
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
function readObject(cur: Cursor, ctx: Ctx): KaldiObject {
  if (cur.peek() === 0) {
    const at = cur.pos;
    cur.get();
    if (cur.get() !== 0x42 /* B */) fail(ctx, at, "bad binary marker (expected '\\0B')");
    return readBinaryObject(cur, ctx);
  }
  return readTextObject(cur, ctx);
}

function asMatrix(o: KaldiObject, ctx: Ctx, at: number): KaldiMatrix {
  if (o.kind !== 'matrix') fail(ctx, at, 'expected a matrix, found a vector');
  return o.m;
}

function asVector(o: KaldiObject, ctx: Ctx, at: number): KaldiVector {
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
function* readArkObjects(src: ByteSource): Generator<[string, KaldiObject, number]> {
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

// ---------------------------------------------------------------------------------------------
// Specifiers

export interface Rspecifier {
  type: 'ark' | 'scp';
  file: string;
}

const KNOWN_OPTS = new Set(['ark', 'scp', 't', 'b', 's', 'cs', 'ns', 'ncs', 'o', 'no', 'p', 'np', 'f', 'nf', 'bg']);

function splitSpec(spec: string, kind: string): { opts: string[]; rest: string } {
  const i = spec.indexOf(':');
  if (i <= 0) throw new ConfigError(`bad ${kind} '${spec}': expected e.g. ark:file, scp:file, ark,t:file`);
  const opts = spec.slice(0, i).split(',').map((s) => s.trim());
  for (const o of opts) if (!KNOWN_OPTS.has(o)) throw new ConfigError(`bad ${kind} '${spec}': unknown option '${o}'`);
  return { opts, rest: spec.slice(i + 1) };
}

export function parseRspecifier(spec: string): Rspecifier {
  const { opts, rest } = splitSpec(spec, 'rspecifier');
  const hasArk = opts.includes('ark');
  const hasScp = opts.includes('scp');
  if (hasArk === hasScp) throw new ConfigError(`bad rspecifier '${spec}': name exactly one of ark or scp`);
  if (rest === '') throw new ConfigError(`bad rspecifier '${spec}': no file name`);
  return { type: hasArk ? 'ark' : 'scp', file: rest };
}

export interface Wspecifier {
  ark?: string;
  scp?: string;
  text: boolean;
}

export function parseWspecifier(spec: string): Wspecifier {
  const { opts, rest } = splitSpec(spec, 'wspecifier');
  const types = opts.filter((o) => o === 'ark' || o === 'scp');
  if (types.length === 0 || new Set(types).size !== types.length) throw new ConfigError(`bad wspecifier '${spec}': name ark (and optionally scp)`);
  const files = types.length === 2 ? rest.split(',') : [rest];
  if (files.length !== types.length || files.some((f) => f === '')) throw new ConfigError(`bad wspecifier '${spec}': expected ${types.length} file name(s)`);
  const w: Wspecifier = { text: opts.includes('t') };
  types.forEach((t, i) => (w[t as 'ark' | 'scp'] = files[i]));
  if (!w.ark) throw new ConfigError(`bad wspecifier '${spec}': writing through an existing scp is not supported; use ark:f or ark,scp:f.ark,f.scp`);
  if (w.ark === '-' && w.scp) throw new ConfigError(`bad wspecifier '${spec}': an scp cannot point into stdout`);
  return w;
}

// ---------------------------------------------------------------------------------------------
// Random access (scp entries) with cached file descriptors

interface CachedFd {
  src: FdSource;
  ino: number;
  mtimeMs: number;
}

const fdCache = new Map<string, CachedFd>();
const MAX_FDS = 32;

function openCached(file: string): FdSource {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw new FeatureError(file, `cannot open: ${(e as Error).message}`, undefined, { cause: e });
  }
  const c = fdCache.get(file);
  if (c && c.ino === st.ino && c.mtimeMs === st.mtimeMs && c.src.size === st.size) {
    fdCache.delete(file); // move to the back (LRU)
    fdCache.set(file, c);
    return c.src;
  }
  if (c) {
    fs.closeSync(c.src.fd);
    fdCache.delete(file);
  }
  if (!st.isFile()) throw new FeatureError(file, 'not a regular file');
  const fd = fs.openSync(file, 'r');
  const src = new FdSource(file, fd, st.size);
  fdCache.set(file, { src, ino: st.ino, mtimeMs: st.mtimeMs });
  while (fdCache.size > MAX_FDS) {
    const [oldest, v] = fdCache.entries().next().value as [string, CachedFd];
    fs.closeSync(v.src.fd);
    fdCache.delete(oldest);
  }
  return src;
}

/** Close every cached archive file descriptor. */
export function closeCachedArchives(): void {
  for (const v of fdCache.values()) fs.closeSync(v.src.fd);
  fdCache.clear();
}

interface ScpEntry {
  file: string;
  offset: number;
  rows?: [number, number];
  cols?: [number, number];
}

export function parseScpEntry(entry: string): ScpEntry {
  const e = entry.trim();
  if (/\|\s*$/.test(e)) throw new FeatureError(e, 'pipe entries in feature scp files are not supported');
  const m = /^(.*?)(?::(\d+))?(?:\[(\d+):(\d+)(?:,(\d+):(\d+))?\])?$/.exec(e);
  if (!m || m[1] === '') throw new FeatureError(e, 'bad scp entry: expected file.ark:offset');
  const out: ScpEntry = { file: m[1], offset: m[2] !== undefined ? Number(m[2]) : 0 };
  if (m[3] !== undefined) out.rows = [Number(m[3]), Number(m[4])];
  if (m[5] !== undefined) out.cols = [Number(m[5]), Number(m[6])];
  return out;
}

function applyRange(m: KaldiMatrix, e: ScpEntry, ctx: Ctx): KaldiMatrix {
  if (!e.rows && !e.cols) return m;
  const [r0, r1] = e.rows ?? [0, m.rows - 1];
  const [c0, c1] = e.cols ?? [0, m.cols - 1];
  if (r0 > r1 || r1 >= m.rows || c0 > c1 || c1 >= m.cols) {
    fail(ctx, e.offset, `range [${r0}:${r1},${c0}:${c1}] outside the ${m.rows}x${m.cols} matrix`);
  }
  const rows = r1 - r0 + 1;
  const cols = c1 - c0 + 1;
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) data.set(m.data.subarray((r0 + i) * m.cols + c0, (r0 + i) * m.cols + c1 + 1), i * cols);
  return { rows, cols, data, stored: m.stored };
}

function readObjectAt(entry: string, key?: string): { obj: KaldiObject; e: ScpEntry; ctx: Ctx } {
  const e = parseScpEntry(entry);
  const src = openCached(e.file);
  const ctx: Ctx = { source: `${e.file}:${e.offset}`, key };
  if (e.offset > src.size) fail(ctx, e.offset, `offset beyond the end of the file (${src.size} bytes)`);
  const cur = new Cursor(src, e.offset);
  return { obj: readObject(cur, ctx), e, ctx };
}

/** Random access to one matrix: `file.ark:offset` (optionally with a `[r1:r2,c1:c2]` range). */
export function readMatrixAt(scpEntry: string, key?: string): KaldiMatrix {
  const { obj, e, ctx } = readObjectAt(scpEntry, key);
  return applyRange(asMatrix(obj, ctx, e.offset), e, ctx);
}

/** Random access to one vector: `file.ark:offset`. */
export function readVectorAt(scpEntry: string, key?: string): KaldiVector {
  const { obj, e, ctx } = readObjectAt(scpEntry, key);
  return asVector(obj, ctx, e.offset);
}

// ---------------------------------------------------------------------------------------------
// Sequential reading

function stdinSource(): BufferSource {
  return new BufferSource('<stdin>', fs.readFileSync(0));
}

function scpEntries(file: string): Array<{ key: string; value: string }> {
  if (file === '-') {
    const t = parseTable('<stdin>', fs.readFileSync(0, 'utf8'), 'rest');
    const bad = t.problems.find((p) => !p.message.startsWith('not sorted'));
    if (bad) throw new DataError(bad.file, bad.line, bad.message);
    return t.entries;
  }
  return readTableEntries(file, 'rest');
}

function* readObjects(rspec: string): Generator<[string, KaldiObject, Ctx, number]> {
  const r = parseRspecifier(rspec);
  if (r.type === 'scp') {
    for (const { key, value } of scpEntries(r.file)) {
      const { obj, ctx, e } = readObjectAt(value, key);
      if (obj.kind === 'matrix') obj.m = applyRange(obj.m, e, ctx);
      yield [key, obj, ctx, e.offset];
    }
    return;
  }
  if (r.file === '-') {
    const src = stdinSource();
    for (const [key, obj, at] of readArkObjects(src)) yield [key, obj, { source: src.name, key }, at];
    return;
  }
  let fd: number;
  let size: number;
  try {
    fd = fs.openSync(r.file, 'r');
    size = fs.fstatSync(fd).size;
  } catch (e) {
    throw new FeatureError(r.file, `cannot open: ${(e as Error).message}`, undefined, { cause: e });
  }
  try {
    const src = new FdSource(r.file, fd, size);
    for (const [key, obj, at] of readArkObjects(src)) yield [key, obj, { source: r.file, key }, at];
  } finally {
    fs.closeSync(fd);
  }
}

/** Every `[key, matrix]` of an rspecifier (`ark:f`, `scp:f`, `ark:-`, ...), in file order. */
export function* readMatrices(rspec: string): Generator<[string, KaldiMatrix]> {
  for (const [key, obj, ctx, at] of readObjects(rspec)) yield [key, asMatrix(obj, ctx, at)];
}

/** Every `[key, vector]` of an rspecifier. */
export function* readVectors(rspec: string): Generator<[string, KaldiVector]> {
  for (const [key, obj, ctx, at] of readObjects(rspec)) yield [key, asVector(obj, ctx, at)];
}

/** All matrices of an rspecifier in a Map (duplicate keys are an error). */
export function readMatrixMap(rspec: string): Map<string, KaldiMatrix> {
  const out = new Map<string, KaldiMatrix>();
  for (const [k, m] of readMatrices(rspec)) {
    if (out.has(k)) throw new FeatureError(rspec, 'duplicate key', k);
    out.set(k, m);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Float formatting for text archives: the shortest decimal that reads back to the same float32. */
export function formatFloat32(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  const f = Math.fround(v);
  for (let p = 1; p <= 9; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return String(Number(s));
  }
  return String(f);
}

function formatDouble(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}

function int32Bytes(v: number): Buffer {
  const b = Buffer.alloc(5);
  b[0] = 4;
  b.writeInt32LE(v, 1);
  return b;
}

/** The bytes of a binary matrix object (starting at `\0B`). */
export function encodeMatrixBinary(m: WritableMatrix, double: boolean): Buffer {
  const n = m.rows * m.cols;
  const data = Buffer.alloc(n * (double ? 8 : 4));
  if (double) {
    for (let i = 0; i < n; i++) data.writeDoubleLE(m.data[i], i * 8);
  } else {
    const f = m.data instanceof Float32Array ? m.data : Float32Array.from(m.data);
    Buffer.from(f.buffer, f.byteOffset, n * 4).copy(data);
  }
  return Buffer.concat([Buffer.from(double ? '\0BDM ' : '\0BFM ', 'latin1'), int32Bytes(m.rows), int32Bytes(m.cols), data]);
}

/** The text form of a matrix as Kaldi writes it: ` [\n  1 2 \n  3 4 ]\n`. */
export function encodeMatrixText(m: WritableMatrix, double: boolean): string {
  if (m.rows === 0) return ' [ ]\n';
  const fmt = double ? formatDouble : formatFloat32;
  const parts: string[] = [' ['];
  for (let r = 0; r < m.rows; r++) {
    parts.push('\n  ');
    for (let c = 0; c < m.cols; c++) parts.push(fmt(m.data[r * m.cols + c]), ' ');
  }
  parts.push(']\n');
  return parts.join('');
}

function encodeVector(v: Float32Array | Float64Array, text: boolean, double: boolean): Buffer {
  if (text) {
    const fmt = double ? formatDouble : formatFloat32;
    return Buffer.from(` [ ${Array.from(v, fmt).join(' ')}${v.length ? ' ' : ''}]\n`, 'latin1');
  }
  const data = Buffer.alloc(v.length * (double ? 8 : 4));
  for (let i = 0; i < v.length; i++) {
    if (double) data.writeDoubleLE(v[i], i * 8);
    else data.writeFloatLE(v[i], i * 4);
  }
  return Buffer.concat([Buffer.from(double ? '\0BDV ' : '\0BFV ', 'latin1'), int32Bytes(v.length), data]);
}

export interface MatrixWriter {
  /** Append one matrix; float64 data (or `double: true`) is written as `DM`. */
  write(key: string, m: WritableMatrix, opts?: { double?: boolean }): void;
  /** Append one vector (`FV`, or `DV` for float64 data / `double: true`). */
  writeVector(key: string, v: Float32Array | Float64Array, opts?: { double?: boolean }): void;
  /** Flush and rename the archive (and scp) into place. */
  close(): void;
  /** Drop everything written (temp files removed). */
  abort(): void;
}

let tmpCounter = 0;

/**
 * Open a writer for `ark:f`, `ark,t:f`, `ark,scp:f.ark,f.scp`, `ark:-`. The archive is written to
 * a temp file and renamed on close(); scp offsets point just after `key␠` like Kaldi's.
 */
export function openMatrixWriter(wspec: string): MatrixWriter {
  const w = parseWspecifier(wspec);
  const toStdout = w.ark === '-';
  const arkFile = w.ark!;
  const tmp = toStdout ? '' : path.join(path.dirname(arkFile), `.${path.basename(arkFile)}.tmp-${process.pid}-${tmpCounter++}`);
  let fd = -1;
  if (!toStdout) {
    fs.mkdirSync(path.dirname(arkFile), { recursive: true });
    fd = fs.openSync(tmp, 'w');
  }
  const chunks: Buffer[] = [];
  const scpLines: string[] = [];
  let offset = 0;
  let closed = false;
  const seen = new Set<string>();

  const append = (b: Buffer) => {
    if (toStdout) chunks.push(b);
    else fs.writeSync(fd, b);
    offset += b.length;
  };
  const begin = (key: string) => {
    if (closed) throw new FeatureError(arkFile, 'write after close', key);
    if (key === '' || /\s/.test(key)) throw new FeatureError(arkFile, `invalid key '${key}': keys must be non-empty without whitespace`, key);
    if (seen.has(key)) throw new FeatureError(arkFile, 'duplicate key', key);
    seen.add(key);
    append(Buffer.from(key + ' ', 'utf8'));
    if (w.scp) scpLines.push(`${key} ${arkFile}:${offset}\n`);
  };

  return {
    write(key, m, opts = {}) {
      if (m.data.length !== m.rows * m.cols) throw new FeatureError(arkFile, `matrix ${m.rows}x${m.cols} has ${m.data.length} values`, key);
      const double = opts.double ?? m.data instanceof Float64Array;
      begin(key);
      append(w.text ? Buffer.from(encodeMatrixText(m, double), 'latin1') : encodeMatrixBinary(m, double));
    },
    writeVector(key, v, opts = {}) {
      const double = opts.double ?? v instanceof Float64Array;
      begin(key);
      append(encodeVector(v, w.text, double));
    },
    close() {
      if (closed) return;
      closed = true;
      if (toStdout) {
        const all = Buffer.concat(chunks);
        let done = 0;
        while (done < all.length) done += fs.writeSync(1, all, done);
        return;
      }
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      fs.renameSync(tmp, arkFile);
      if (w.scp) {
        writeFileAtomic(w.scp, scpLines.join(''));
      }
    },
    abort() {
      if (closed) return;
      closed = true;
      if (!toStdout) {
        fs.closeSync(fd);
        fs.rmSync(tmp, { force: true });
      }
    },
  };
}

/** Throw a FeatureError naming the utterance when a matrix holds NaN or Inf. */
export function assertFinite(m: Matrix, utt: string, source: string): void {
  const i = firstNonFinite(m);
  if (i < 0) return;
  const r = Math.floor(i / Math.max(1, m.cols));
  const c = i - r * m.cols;
  throw new FeatureError(source, `features contain ${m.data[i]} at frame ${r}, dim ${c}`, utt);
}
