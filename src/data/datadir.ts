/**
 * Kaldi data directories: wav.scp (plain paths and `command |` pipes), utt2spk/spk2utt,
 * utt2label (or Kaldi `text`, whose transcript is the label), segments, utt2dur, utt2domain,
 * feats.scp, cmvn.scp.
 *
 * Two readers: `readDataDir` (labels included by default) and `readUnlabeledDataDir`, whose
 * result type has no label field and which never opens utt2label or text — adaptation uses it, so
 * "target labels are never read" holds by construction.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError } from '../util/errors.ts';
import { readTable, readTableEntries, readTableFields, sortC, writeTable } from './kaldi-text.ts';

export interface Segment {
  reco: string;
  start: number;
  end: number;
}

export interface DataDir {
  dir: string;
  wavScp: Map<string, string>;
  utt2spk: Map<string, string>;
  spk2utt: Map<string, string[]>;
  utt2label?: Map<string, string>;
  segments?: Map<string, Segment>;
  utt2dur?: Map<string, number>;
  utt2domain?: Map<string, string>;
  featsScp?: Map<string, string>;
  cmvnScp?: Map<string, string>;
}

/** A data dir as adaptation sees it: no labels at all. */
export type UnlabeledDataDir = Omit<DataDir, 'utt2label'>;

export interface ReadDataDirOptions {
  /** Read utt2label (or `text`) when present (default true). */
  labels?: boolean;
}

function exists(file: string): boolean {
  return fs.existsSync(file);
}

function readSegments(file: string): Map<string, Segment> {
  const out = new Map<string, Segment>();
  for (const { key: utt, fields, line } of readTableEntries(file, { count: 3 })) {
    const [reco, s, e] = fields;
    const start = Number(s);
    const end = Number(e);
    if (!Number.isFinite(start) || !Number.isFinite(end)) {
      throw new DataError(file, line, `segment '${utt}': start/end must be numbers, got '${s}' '${e}'`);
    }
    out.set(utt, { reco, start, end });
  }
  return out;
}

function readUtt2dur(file: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const { key: utt, value: v, line } of readTableEntries(file, 'one')) {
    const d = Number(v);
    if (!Number.isFinite(d) || d < 0) throw new DataError(file, line, `duration of '${utt}' is not a non-negative number: '${v}'`);
    out.set(utt, d);
  }
  return out;
}

/** spk2utt derived from utt2spk (speakers and their utterances sorted, C locale). */
export function spk2uttFromUtt2spk(utt2spk: Map<string, string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const utt of sortC(utt2spk.keys())) {
    const spk = utt2spk.get(utt)!;
    let list = out.get(spk);
    if (!list) out.set(spk, (list = []));
    list.push(utt);
  }
  const sorted = new Map<string, string[]>();
  for (const spk of sortC(out.keys())) sorted.set(spk, out.get(spk)!);
  return sorted;
}

function readCommon(dir: string): UnlabeledDataDir {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new DataError(dir, undefined, 'not a directory');
  const f = (name: string) => path.join(dir, name);
  const hasWav = exists(f('wav.scp'));
  const hasFeats = exists(f('feats.scp'));
  if (!hasWav && !hasFeats) throw new DataError(f('wav.scp'), undefined, 'missing (a data dir needs wav.scp or feats.scp)');
  if (!exists(f('utt2spk'))) throw new DataError(f('utt2spk'), undefined, 'missing');
  const utt2spk = readTable(f('utt2spk'), 'one');
  const d: UnlabeledDataDir = {
    dir,
    wavScp: hasWav ? readTable(f('wav.scp'), 'rest') : new Map(),
    utt2spk,
    spk2utt: exists(f('spk2utt')) ? readTableFields(f('spk2utt'), 'list') : spk2uttFromUtt2spk(utt2spk),
  };
  if (exists(f('segments'))) d.segments = readSegments(f('segments'));
  if (exists(f('utt2dur'))) d.utt2dur = readUtt2dur(f('utt2dur'));
  if (exists(f('utt2domain'))) d.utt2domain = readTable(f('utt2domain'), 'one');
  if (hasFeats) d.featsScp = readTable(f('feats.scp'), 'rest');
  if (exists(f('cmvn.scp'))) d.cmvnScp = readTable(f('cmvn.scp'), 'rest');
  return d;
}

/** Labels of a data dir: utt2label when present, else Kaldi `text` (the transcript is the label). */
export function readLabels(dir: string): Map<string, string> | undefined {
  const u2l = path.join(dir, 'utt2label');
  if (exists(u2l)) return readTable(u2l, 'one');
  const text = path.join(dir, 'text');
  if (exists(text)) return readTable(text, 'rest');
  return undefined;
}

/** Read a data dir; labels (utt2label, else `text`) unless `labels: false`. */
export function readDataDir(dir: string, opts: ReadDataDirOptions = {}): DataDir {
  const d: DataDir = readCommon(dir);
  if (opts.labels !== false) {
    const labels = readLabels(dir);
    if (labels) d.utt2label = labels;
  }
  return d;
}

/** Read a data dir without labels: never opens utt2label or text. */
export function readUnlabeledDataDir(dir: string): UnlabeledDataDir {
  return readCommon(dir);
}

/** Utterance ids, sorted (C locale): the segments' ids when present, else wav.scp's (else feats.scp's). */
export function utterances(d: UnlabeledDataDir): string[] {
  if (d.segments) return sortC(d.segments.keys());
  if (d.wavScp.size > 0 || !d.featsScp) return sortC(d.wavScp.keys());
  return sortC(d.featsScp.keys());
}

/**
 * Write a data dir (each file atomically, sorted): wav.scp, utt2spk, spk2utt (derived from
 * utt2spk) and every optional table that is present. Tables of an earlier data dir in the same
 * place that `d` does not have are removed, so no stale file survives (a `text` file is kept
 * when utt2label is written, since utt2label takes precedence over it).
 */
export function writeDataDir(dir: string, d: UnlabeledDataDir & { utt2label?: Map<string, string> }): void {
  fs.mkdirSync(dir, { recursive: true });
  const f = (name: string) => path.join(dir, name);
  const writesWav = d.wavScp.size > 0 || !d.featsScp;
  const stale: Array<[string, boolean]> = [
    ['wav.scp', !writesWav],
    ['utt2label', !d.utt2label],
    ['text', !d.utt2label],
    ['segments', !d.segments],
    ['utt2dur', !d.utt2dur],
    ['utt2domain', !d.utt2domain],
    ['feats.scp', !d.featsScp],
    ['cmvn.scp', !d.cmvnScp],
  ];
  for (const [name, remove] of stale) if (remove) fs.rmSync(f(name), { force: true });
  if (writesWav) writeTable(f('wav.scp'), d.wavScp);
  writeTable(f('utt2spk'), d.utt2spk);
  writeTable(f('spk2utt'), spk2uttFromUtt2spk(d.utt2spk));
  if (d.utt2label) writeTable(f('utt2label'), d.utt2label);
  if (d.segments) {
    const m = new Map<string, string[]>();
    for (const [u, s] of d.segments) m.set(u, [s.reco, formatTime(s.start), formatTime(s.end)]);
    writeTable(f('segments'), m);
  }
  if (d.utt2dur) {
    const m = new Map<string, string>();
    for (const [u, v] of d.utt2dur) m.set(u, formatTime(v));
    writeTable(f('utt2dur'), m);
  }
  if (d.utt2domain) writeTable(f('utt2domain'), d.utt2domain);
  if (d.featsScp) writeTable(f('feats.scp'), d.featsScp);
  if (d.cmvnScp) writeTable(f('cmvn.scp'), d.cmvnScp);
}

/** Seconds with at most 3 decimals, as Kaldi scripts write them. */
function formatTime(t: number): string {
  return String(Math.round(t * 1000) / 1000);
}
