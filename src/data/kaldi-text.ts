/**
 * Kaldi "table" text files: one `key value...` entry a line (wav.scp, utt2spk, spk2utt, utt2label,
 * text, segments, utt2dur, utt2domain, feats.scp, cmvn.scp). Keys are sorted in C-locale (byte)
 * order. Parsing is lenient (collects every problem) for the validator and strict (throws the first
 * DataError) for readers. Writes are atomic and sorted.
 */
import * as fs from 'node:fs';
import { DataError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/atomic.ts';

/** One problem in a data dir: `file` (path), 1-based `line` when it points at a line. */
export interface Problem {
  file: string;
  line?: number;
  message: string;
}

/**
 * What a value must look like: `one` exactly one field, `rest` the rest of the line (at least one
 * field; used for wav.scp pipes and transcripts), `list` one or more fields, `{count}` exactly
 * `count` fields.
 */
export type ValueKind = 'one' | 'rest' | 'list' | { count: number };

export interface TableEntry {
  key: string;
  /** The rest of the line after the key, trimmed. */
  value: string;
  fields: string[];
  line: number;
}

export interface ParsedTable {
  file: string;
  entries: TableEntry[];
  problems: Problem[];
}

/** C-locale (byte order) comparison of two strings. */
export function compareC(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Sort strings in C-locale order (returns a new array). */
export function sortC(keys: Iterable<string>): string[] {
  const arr = [...keys].map((k) => ({ k, b: Buffer.from(k, 'utf8') }));
  arr.sort((x, y) => Buffer.compare(x.b, y.b));
  return arr.map((x) => x.k);
}

function describeKind(kind: ValueKind): string {
  if (kind === 'one') return 'exactly one value after the key';
  if (kind === 'rest' || kind === 'list') return 'at least one value after the key';
  return `exactly ${kind.count} values after the key`;
}

/**
 * Parse a table leniently: every malformed line, duplicate key and out-of-order key is reported;
 * entries keep the first occurrence of a duplicated key.
 */
export function parseTable(file: string, text: string, kind: ValueKind): ParsedTable {
  const entries: TableEntry[] = [];
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  else if (text.length > 0) problems.push({ file, line: lines.length, message: 'last line has no newline at the end' });
  let prevKey: Buffer | null = null;
  let prevKeyStr = '';
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i];
    if (raw.includes('\r')) {
      problems.push({ file, line: lineNo, message: 'carriage return (\\r) in line (DOS line ending?)' });
    }
    const trimmed = raw.replace(/\r$/, '').trim();
    if (trimmed === '') {
      problems.push({ file, line: lineNo, message: 'empty line' });
      continue;
    }
    if (raw !== raw.trimStart()) problems.push({ file, line: lineNo, message: 'line starts with whitespace' });
    const m = /^(\S+)(?:[ \t]+(.*))?$/.exec(trimmed);
    const key = m ? m[1] : trimmed;
    const value = (m?.[2] ?? '').trim();
    const fields = value === '' ? [] : value.split(/[ \t]+/);
    const ok =
      kind === 'one' ? fields.length === 1 : kind === 'rest' || kind === 'list' ? fields.length >= 1 : fields.length === kind.count;
    if (!ok) {
      problems.push({ file, line: lineNo, message: `malformed line '${trimmed}': expected ${describeKind(kind)}` });
      continue;
    }
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push({ file, line: lineNo, message: `duplicate id '${key}' (first on line ${first})` });
      continue;
    }
    seen.set(key, lineNo);
    const kb = Buffer.from(key, 'utf8');
    if (prevKey !== null && Buffer.compare(prevKey, kb) > 0) {
      problems.push({ file, line: lineNo, message: `not sorted (C locale): '${key}' comes after '${prevKeyStr}'` });
    }
    prevKey = kb;
    prevKeyStr = key;
    entries.push({ key, value, fields, line: lineNo });
  }
  return { file, entries, problems };
}

/** Read and parse a table file leniently. */
export function parseTableFile(file: string, kind: ValueKind): ParsedTable {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return { file, entries: [], problems: [{ file, message: `cannot read: ${(e as Error).message}` }] };
  }
  return parseTable(file, text, kind);
}

export interface ReadTableOptions {
  /** Throw on keys out of C-locale order (default false: order is the validator's business). */
  requireSorted?: boolean;
}

/** Read a table strictly: the first malformed line or duplicate key throws a DataError. */
export function readTableEntries(file: string, kind: ValueKind, opts: ReadTableOptions = {}): TableEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataError(file, undefined, `cannot read: ${(e as Error).message}`, { cause: e });
  }
  const t = parseTable(file, text, kind);
  // Order and a missing final newline are the validator's business; readers still accept them.
  const fatal = t.problems.find(
    (p) => !(p.message.startsWith('not sorted') && !opts.requireSorted) && !p.message.startsWith('last line has no newline'),
  );
  if (fatal) throw new DataError(fatal.file, fatal.line, fatal.message);
  return t.entries;
}

/** `key → value` (the rest of the line) of a table file. */
export function readTable(file: string, kind: ValueKind = 'one', opts: ReadTableOptions = {}): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readTableEntries(file, kind, opts)) out.set(e.key, e.value);
  return out;
}

/** `key → fields` of a table file (e.g. spk2utt, segments). */
export function readTableFields(file: string, kind: ValueKind = 'list', opts: ReadTableOptions = {}): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of readTableEntries(file, kind, opts)) out.set(e.key, e.fields);
  return out;
}

/** Format a table (sorted by key, C locale) as text; values may be strings or field lists. */
export function formatTable(table: Map<string, string | string[] | number>): string {
  const parts: string[] = [];
  for (const key of sortC(table.keys())) {
    if (key === '' || /\s/.test(key)) throw new DataError('<table>', undefined, `invalid key '${key}': keys must be non-empty without whitespace`);
    const v = table.get(key)!;
    const value = Array.isArray(v) ? v.join(' ') : String(v);
    if (value.includes('\n')) throw new DataError('<table>', undefined, `value of '${key}' contains a newline`);
    parts.push(`${key} ${value}\n`);
  }
  return parts.join('');
}

/** Write a table atomically, sorted in C locale. */
export function writeTable(file: string, table: Map<string, string | string[] | number>): void {
  let text: string;
  try {
    text = formatTable(table);
  } catch (e) {
    if (e instanceof DataError) throw new DataError(file, undefined, e.message.replace(/^<table>: /, ''));
    throw e;
  }
  writeFileAtomic(file, text);
}
