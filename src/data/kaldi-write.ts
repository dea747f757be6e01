/**
 * Writing Kaldi archives (binary or text, `FM`/`DM` matrices, `FV`/`DV` vectors) and their scp,
 * byte-compatible with Kaldi, through a wspecifier.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FeatureError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import type { WritableMatrix } from './kaldi-matrix.ts';
import { parseWspecifier } from './kaldi-specifier.ts';

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
