/**
 * `jemda apply-cmvn [--norm-vars] DATA WSPEC` (stats from DATA/cmvn.scp, features from
 * DATA/feats.scp, speakers from DATA/utt2spk), or Kaldi's form
 * `jemda apply-cmvn [--norm-vars] [--utt2spk FILE] CMVN_RSPEC FEATS_RSPEC WSPEC`;
 * `--per-utt` with FEATS_RSPEC WSPEC computes per-utterance stats on the fly.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CommandModule } from 'yargs';
import { readTable } from '../../data/kaldi-text.ts';
import { applyCmvnTables } from '../../features/cmvn-data.ts';
import { ConfigError, DataError } from '../../util/errors.ts';
import { log } from '../../util/log.ts';

interface Args {
  a: string;
  b: string;
  c?: string;
  'norm-vars': boolean;
  utt2spk?: string;
  'per-utt': boolean;
}

function readUtt2spk(spec: string): Map<string, string> {
  const file = spec.replace(/^ark(,[a-z]+)*:/, '');
  if (!fs.existsSync(file)) throw new DataError(file, undefined, 'missing utt2spk');
  return readTable(file, 'one');
}

export const command: CommandModule<object, Args> = {
  command: 'apply-cmvn <a> <b> [c]',
  describe: 'Apply CMVN: DATA WSPEC | CMVN_RSPEC FEATS_RSPEC WSPEC | --per-utt FEATS_RSPEC WSPEC',
  builder: (y) =>
    y
      .positional('a', { type: 'string', demandOption: true, describe: 'DATA dir, or CMVN stats rspecifier, or (with --per-utt) features rspecifier' })
      .positional('b', { type: 'string', demandOption: true, describe: 'WSPEC (DATA form), or features rspecifier' })
      .positional('c', { type: 'string', describe: 'WSPEC (Kaldi form)' })
      .option('norm-vars', { type: 'boolean', default: false, describe: 'normalise variances too' })
      .option('utt2spk', { type: 'string', describe: 'utt2spk file (or ark:file) mapping utterances to speaker stats' })
      .option('per-utt', { type: 'boolean', default: false, describe: 'per-utterance stats computed on the fly: FEATS_RSPEC WSPEC' }),
  handler: (a) => {
    let n: number;
    const normVars = a['norm-vars'];
    if (a['per-utt']) {
      if (a.c !== undefined) throw new ConfigError('apply-cmvn --per-utt takes FEATS_RSPEC WSPEC');
      n = applyCmvnTables(a.a, a.b, { normVars });
    } else if (a.c === undefined) {
      const dir = a.a;
      if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new ConfigError(`apply-cmvn: '${dir}' is not a data dir (or give CMVN_RSPEC FEATS_RSPEC WSPEC)`);
      const cmvn = path.join(dir, 'cmvn.scp');
      if (!fs.existsSync(cmvn)) throw new DataError(cmvn, undefined, 'missing (run compute-cmvn-stats first)');
      const u2s = path.join(dir, 'utt2spk');
      n = applyCmvnTables(`scp:${path.join(dir, 'feats.scp')}`, a.b, {
        normVars,
        cmvnRspec: `scp:${cmvn}`,
        utt2spk: fs.existsSync(u2s) ? readTable(u2s, 'one') : undefined,
      });
    } else {
      n = applyCmvnTables(a.b, a.c, { normVars, cmvnRspec: a.a, utt2spk: a.utt2spk ? readUtt2spk(a.utt2spk) : undefined });
    }
    log(`apply-cmvn: normalised ${n} matrices${normVars ? ' (means and variances)' : ' (means)'}`);
  },
};
