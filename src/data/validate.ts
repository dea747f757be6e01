/**
 * Validate a Kaldi data dir and report EVERY problem as file:line: message — unsorted files,
 * duplicate ids, malformed lines, missing wav files, utt2spk/spk2utt inconsistencies, labels
 * outside the label set, bad segments, feats.scp/cmvn.scp keys that match nothing.
 * `assertValidDataDir` throws one DataError listing them all; commands use it to refuse bad dirs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError } from '../util/errors.ts';
import { parseTableFile, type ParsedTable, type Problem, type ValueKind } from './kaldi-text.ts';

export type { Problem } from './kaldi-text.ts';

export interface ValidateOptions {
  /** Allowed labels; labels outside it are problems. */
  labelSet?: string[];
  /** Check that plain wav.scp paths (and feats.scp ark files) exist (default true). */
  checkFiles?: boolean;
  /** Read and check utt2label/text (default true); false never opens them (label-free readers). */
  labels?: boolean;
}

/** A wav.scp value is a pipe (`command |`) when it ends with `|`. */
export function isPipe(rxfile: string): boolean {
  return /\|\s*$/.test(rxfile);
}

/** The file part of a feats.scp value `file.ark:offset[range]`. */
function arkFileOf(rx: string): string {
  const m = /^(.*):\d+(\[[^\]]*\])?$/.exec(rx);
  return m ? m[1] : rx;
}

export function validateDataDir(dir: string, opts: ValidateOptions = {}): Problem[] {
  const problems: Problem[] = [];
  const checkFiles = opts.checkFiles !== false;
  const f = (name: string) => path.join(dir, name);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return [{ file: dir, message: 'not a directory' }];

  const tables = new Map<string, ParsedTable>();
  const load = (name: string, kind: ValueKind, required: boolean): ParsedTable | undefined => {
    const file = f(name);
    if (!fs.existsSync(file)) {
      if (required) problems.push({ file, message: 'missing' });
      return undefined;
    }
    const t = parseTableFile(file, kind);
    problems.push(...t.problems);
    tables.set(name, t);
    return t;
  };

  const hasFeats = fs.existsSync(f('feats.scp'));
  const wav = load('wav.scp', 'rest', !hasFeats);
  const utt2spk = load('utt2spk', 'one', true);
  const spk2utt = load('spk2utt', 'list', true);
  const withLabels = opts.labels !== false;
  const utt2label = withLabels ? load('utt2label', 'one', false) : undefined;
  const text = utt2label || !withLabels ? undefined : load('text', 'rest', false);
  const segments = load('segments', { count: 3 }, false);
  const utt2dur = load('utt2dur', 'one', false);
  const utt2domain = load('utt2domain', 'one', false);
  const feats = load('feats.scp', 'rest', false);
  const cmvn = load('cmvn.scp', 'rest', false);

  // wav.scp values: a single path or a pipe; plain paths must exist.
  const recos = new Map<string, number>();
  for (const e of wav?.entries ?? []) {
    recos.set(e.key, e.line);
    if (isPipe(e.value)) continue;
    if (e.fields.length !== 1) {
      problems.push({ file: wav!.file, line: e.line, message: `'${e.key}': expected a file name or a command ending in '|', got '${e.value}'` });
      continue;
    }
    // plain path, or an extended filename into an archive (`file.ark:offset`)
    if (checkFiles && !fs.existsSync(e.value) && !fs.existsSync(arkFileOf(e.value))) {
      problems.push({ file: wav!.file, line: e.line, message: `'${e.key}': wav file not found: ${e.value}` });
    }
  }

  // Segments: recording known, numbers, end > start >= 0.
  const utts = new Map<string, { file: string; line: number }>();
  if (segments) {
    for (const e of segments.entries) {
      utts.set(e.key, { file: segments.file, line: e.line });
      const [reco, s, en] = e.fields;
      const start = Number(s);
      const end = Number(en);
      if (wav && !recos.has(reco)) problems.push({ file: segments.file, line: e.line, message: `segment '${e.key}' refers to unknown recording '${reco}' (not in wav.scp)` });
      if (!Number.isFinite(start) || !Number.isFinite(end)) {
        problems.push({ file: segments.file, line: e.line, message: `segment '${e.key}': start/end must be numbers, got '${s}' '${en}'` });
      } else {
        if (start < 0) problems.push({ file: segments.file, line: e.line, message: `segment '${e.key}': negative start ${start}` });
        if (end <= start) problems.push({ file: segments.file, line: e.line, message: `segment '${e.key}': end ${end} <= start ${start}` });
      }
    }
  } else if (wav) {
    for (const e of wav.entries) utts.set(e.key, { file: wav.file, line: e.line });
  } else if (feats) {
    for (const e of feats.entries) utts.set(e.key, { file: feats.file, line: e.line });
  }
  const where = (u: string) => {
    const w = utts.get(u)!;
    return `${path.basename(w.file)}:${w.line}`;
  };

  // utt2spk covers the utterances exactly.
  const u2s = new Map<string, string>();
  if (utt2spk) {
    for (const e of utt2spk.entries) {
      u2s.set(e.key, e.value);
      if (!utts.has(e.key)) problems.push({ file: utt2spk.file, line: e.line, message: `utterance '${e.key}' is not in ${segments ? 'segments' : wav ? 'wav.scp' : 'feats.scp'}` });
    }
    for (const u of utts.keys()) {
      if (!u2s.has(u)) problems.push({ file: utt2spk.file, message: `utterance '${u}' (${where(u)}) has no speaker` });
    }
    // Kaldi's rule: sorted by utterance, the speakers must come out sorted too (speaker ids
    // should be prefixes of utterance ids). Only meaningful when the file itself is sorted.
    if (!utt2spk.problems.some((p) => p.message.startsWith('not sorted'))) {
      let prev: { spk: Buffer; name: string } | null = null;
      for (const e of utt2spk.entries) {
        const b = Buffer.from(e.value, 'utf8');
        if (prev && Buffer.compare(prev.spk, b) > 0) {
          problems.push({
            file: utt2spk.file,
            line: e.line,
            message: `speaker '${e.value}' of '${e.key}' comes after speaker '${prev.name}': sorted by utterance, speakers must be sorted too (make speaker ids prefixes of utterance ids)`,
          });
        }
        prev = { spk: b, name: e.value };
      }
    }
  }

  // spk2utt is utt2spk inverted.
  if (spk2utt && utt2spk) {
    const listed = new Set<string>();
    for (const e of spk2utt.entries) {
      for (const u of e.fields) {
        if (listed.has(u)) problems.push({ file: spk2utt.file, line: e.line, message: `utterance '${u}' listed more than once` });
        listed.add(u);
        const s = u2s.get(u);
        if (s === undefined) problems.push({ file: spk2utt.file, line: e.line, message: `utterance '${u}' of speaker '${e.key}' is not in utt2spk` });
        else if (s !== e.key) problems.push({ file: spk2utt.file, line: e.line, message: `utterance '${u}' listed under speaker '${e.key}' but utt2spk says '${s}'` });
      }
    }
    for (const e of utt2spk.entries) {
      if (!listed.has(e.key)) problems.push({ file: spk2utt.file, message: `utterance '${e.key}' (utt2spk:${e.line}) of speaker '${e.value}' is missing` });
    }
  }

  // Per-utterance tables: keys must be utterances; labels cover all and lie in the label set.
  const perUtt = (t: ParsedTable | undefined, what: string, mustCover: boolean) => {
    if (!t) return;
    const have = new Set<string>();
    for (const e of t.entries) {
      have.add(e.key);
      if (!utts.has(e.key)) problems.push({ file: t.file, line: e.line, message: `${what} for unknown utterance '${e.key}'` });
    }
    if (mustCover) {
      for (const u of utts.keys()) if (!have.has(u)) problems.push({ file: t.file, message: `utterance '${u}' (${where(u)}) has no ${what}` });
    }
  };
  const labels = utt2label ?? text;
  perUtt(labels, 'label', true);
  perUtt(utt2dur, 'duration', true);
  perUtt(utt2domain, 'domain', true);
  perUtt(feats, 'features', false);
  if (labels && opts.labelSet) {
    const set = new Set(opts.labelSet);
    for (const e of labels.entries) {
      if (!set.has(e.value)) problems.push({ file: labels.file, line: e.line, message: `label '${e.value}' of '${e.key}' is not in the label set {${opts.labelSet.join(',')}}` });
    }
  }
  if (utt2dur) {
    for (const e of utt2dur.entries) {
      const d = Number(e.value);
      if (!Number.isFinite(d) || d < 0) problems.push({ file: utt2dur.file, line: e.line, message: `duration of '${e.key}' is not a non-negative number: '${e.value}'` });
    }
  }
  if (cmvn) {
    const spks = new Set(u2s.values());
    for (const e of cmvn.entries) {
      if (!spks.has(e.key) && !utts.has(e.key)) problems.push({ file: cmvn.file, line: e.line, message: `CMVN stats for '${e.key}', which is neither a speaker nor an utterance` });
    }
  }
  for (const t of [feats, cmvn]) {
    if (!t || !checkFiles) continue;
    const checked = new Map<string, boolean>();
    for (const e of t.entries) {
      if (isPipe(e.value)) continue;
      const file = arkFileOf(e.value);
      let ok = checked.get(file);
      if (ok === undefined) checked.set(file, (ok = fs.existsSync(file)));
      if (!ok) problems.push({ file: t.file, line: e.line, message: `'${e.key}': archive not found: ${file}` });
    }
  }
  return sortProblems(problems);
}

function sortProblems(p: Problem[]): Problem[] {
  return p
    .map((x, i) => ({ x, i }))
    .sort((a, b) => (a.x.file < b.x.file ? -1 : a.x.file > b.x.file ? 1 : (a.x.line ?? Infinity) - (b.x.line ?? Infinity) || a.i - b.i))
    .map((a) => a.x);
}

/** One problem a line: `file:line: message` (or `file: message`). */
export function formatProblems(problems: Problem[]): string {
  return problems.map((p) => `${p.file}${p.line !== undefined ? `:${p.line}` : ''}: ${p.message}`).join('\n');
}

/** Throw a DataError listing every problem of the dir (no-op when it is valid). */
export function assertValidDataDir(dir: string, opts: ValidateOptions = {}): void {
  const problems = validateDataDir(dir, opts);
  if (problems.length === 0) return;
  const first = problems[0];
  const msg = `invalid data dir ${dir}: ${problems.length} problem${problems.length > 1 ? 's' : ''}\n${formatProblems(problems)}`;
  throw new DataError(first.file, first.line, msg);
}
