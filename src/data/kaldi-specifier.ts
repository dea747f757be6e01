/**
 * Kaldi rspecifiers and wspecifiers: `ark:f`, `scp:f`, `ark,t:f`, `ark,scp:f.ark,f.scp` (files in
 * the order the types are named), `-` for stdin/stdout; the options s, cs, o, p, f, nf, b are
 * accepted and ignored.
 */
import { ConfigError } from '../util/errors.ts';

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
