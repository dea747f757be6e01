/**
 * Combine several data dirs into one (like Kaldi's utils/combine_data.sh). The same id may appear
 * in several inputs only with identical entries; a conflicting duplicate is a DataError naming
 * both dirs. Optional tables (labels, segments, durations, domains, feats/cmvn scp) are kept only
 * when every input has them, with a warning otherwise.
 */
import * as path from 'node:path';
import { DataError } from '../util/errors.ts';
import { warn } from '../util/log.ts';
import { spk2uttFromUtt2spk, type DataDir, type Segment } from './datadir.ts';

type OptionalKey = 'utt2label' | 'segments' | 'utt2dur' | 'utt2domain' | 'featsScp' | 'cmvnScp';
const FILE_OF: Record<OptionalKey | 'wavScp' | 'utt2spk', string> = {
  wavScp: 'wav.scp',
  utt2spk: 'utt2spk',
  utt2label: 'utt2label',
  segments: 'segments',
  utt2dur: 'utt2dur',
  utt2domain: 'utt2domain',
  featsScp: 'feats.scp',
  cmvnScp: 'cmvn.scp',
};

function same<V>(a: V, b: V): boolean {
  if (typeof a === 'object' && a !== null) {
    const x = a as unknown as Segment;
    const y = b as unknown as Segment;
    return x.reco === y.reco && x.start === y.start && x.end === y.end;
  }
  return a === b;
}

function merge<V>(name: keyof typeof FILE_OF, maps: Array<{ dir: string; m: Map<string, V> }>): Map<string, V> {
  const out = new Map<string, V>();
  const from = new Map<string, string>();
  for (const { dir, m } of maps) {
    for (const [k, v] of m) {
      const prev = out.get(k);
      if (prev !== undefined || out.has(k)) {
        if (!same(prev as V, v)) {
          throw new DataError(path.join(dir, FILE_OF[name]), undefined, `id '${k}' conflicts with ${path.join(from.get(k)!, FILE_OF[name])} (${JSON.stringify(prev)} vs ${JSON.stringify(v)})`);
        }
        continue;
      }
      out.set(k, v);
      from.set(k, dir);
    }
  }
  return out;
}

export function combineDataDirs(dirs: DataDir[], outDir: string): DataDir {
  if (dirs.length === 0) throw new DataError(outDir, undefined, 'nothing to combine');
  const utt2spk = merge('utt2spk', dirs.map((d) => ({ dir: d.dir, m: d.utt2spk })));
  const out: DataDir = {
    dir: outDir,
    wavScp: merge('wavScp', dirs.map((d) => ({ dir: d.dir, m: d.wavScp }))),
    utt2spk,
    spk2utt: spk2uttFromUtt2spk(utt2spk),
  };
  const optional = <K extends OptionalKey>(key: K) => {
    const have = dirs.filter((d) => d[key] !== undefined);
    if (have.length === 0) return;
    if (have.length < dirs.length) {
      const missing = dirs.filter((d) => d[key] === undefined).map((d) => d.dir);
      warn(`not combining ${FILE_OF[key]}: missing in ${missing.join(', ')}`);
      return;
    }
    (out as unknown as Record<string, unknown>)[key] = merge(key, dirs.map((d) => ({ dir: d.dir, m: d[key] as Map<string, unknown> })));
  };
  optional('utt2label');
  optional('segments');
  optional('utt2dur');
  optional('utt2domain');
  optional('featsScp');
  optional('cmvnScp');
  return out;
}
