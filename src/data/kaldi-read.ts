/**
 * Sequential reading of Kaldi archives and scripts through an rspecifier (`ark:f`, `scp:f`,
 * `ark,t:f`, `ark:-`, `scp:-`), in file order.
 */
import * as fs from 'node:fs';
import { DataError, FeatureError } from '../util/errors.ts';
import type { KaldiMatrix, KaldiVector } from './kaldi-matrix.ts';
import { asMatrix, asVector, BufferSource, FdSource, readArkObjects, type Ctx, type KaldiObject } from './kaldi-object.ts';
import { applyRange, readObjectAt } from './kaldi-scp.ts';
import { parseRspecifier } from './kaldi-specifier.ts';
import { readTableEntries, parseTable } from './kaldi-text.ts';

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
