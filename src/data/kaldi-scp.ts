/**
 * Kaldi feature scripts (scp) and random access to archives. An scp line is `key file.ark:offset`
 * where offset points just after `key␠` (at `\0B` in binary archives), optionally followed by a
 * Kaldi range `[r1:r2]` or `[r1:r2,c1:c2]` (inclusive). Archive file descriptors are cached (LRU).
 */
import * as fs from 'node:fs';
import { FeatureError } from '../util/errors.ts';
import type { KaldiMatrix, KaldiVector } from './kaldi-matrix.ts';
import { asMatrix, asVector, Cursor, fail, FdSource, readObject, type Ctx, type KaldiObject } from './kaldi-object.ts';

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

export interface ScpEntry {
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

export function applyRange(m: KaldiMatrix, e: ScpEntry, ctx: Ctx): KaldiMatrix {
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

export function readObjectAt(entry: string, key?: string): { obj: KaldiObject; e: ScpEntry; ctx: Ctx } {
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
