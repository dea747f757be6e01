/**
 * Kaldi-style config files: one `--option=value` per line, `#` starts a comment, blank lines are
 * ignored; `--flag` alone means true. Returns yargs-style keys (kebab-case kept as written).
 */
import * as fs from 'node:fs';
import { DataError } from './errors.ts';

export function parseKaldiConfig(file: string): Record<string, string | boolean> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataError(file, undefined, `cannot read config file: ${(e as Error).message}`);
  }
  return parseKaldiConfigText(text, file);
}

export function parseKaldiConfigText(text: string, file = '<config>'): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const m = /^--([A-Za-z0-9][A-Za-z0-9_.-]*)(?:=(.*))?$/.exec(line);
    if (!m) throw new DataError(file, i + 1, `expected --option=value, got '${raw.trim()}'`);
    out[m[1]] = m[2] === undefined ? true : m[2];
  });
  return out;
}
