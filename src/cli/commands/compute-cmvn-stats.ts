/** `jemda compute-cmvn-stats [--per-utt|--per-spk|--global] DATA [ARKDIR]`: Kaldi CMVN stats → DATA/cmvn.scp. */
import type { CommandModule } from 'yargs';
import { computeCmvnStatsForDir, type CmvnMode } from '../../features/cmvn-data.ts';
import { ConfigError } from '../../util/errors.ts';
import { log } from '../../util/log.ts';

interface Args {
  data: string;
  arkdir?: string;
  'per-utt': boolean;
  'per-spk': boolean;
  global: boolean;
}

export const command: CommandModule<object, Args> = {
  command: 'compute-cmvn-stats <data> [arkdir]',
  describe: 'Accumulate CMVN stats (Kaldi 2×(D+1) layout) from DATA/feats.scp into DATA/cmvn.scp',
  builder: (y) =>
    y
      .positional('data', { type: 'string', demandOption: true, describe: 'data dir with feats.scp' })
      .positional('arkdir', { type: 'string', describe: 'where cmvn_<name>.ark goes (default DATA/data)' })
      .option('per-utt', { type: 'boolean', default: false, describe: 'stats per utterance (the default when no mode is given)' })
      .option('per-spk', { type: 'boolean', default: false, describe: 'stats per speaker (utt2spk), like Kaldi' })
      .option('global', { type: 'boolean', default: false, describe: 'one set of stats under the key "global"' }),
  handler: (a) => {
    const modes = (['per-utt', 'per-spk', 'global'] as const).filter((m) => a[m]);
    if (modes.length > 1) throw new ConfigError(`give at most one of --per-utt, --per-spk, --global (got ${modes.map((m) => '--' + m).join(' ')})`);
    const mode: CmvnMode = modes[0] ?? 'per-utt';
    const r = computeCmvnStatsForDir(a.data, mode, a.arkdir);
    log(`compute-cmvn-stats (${mode}): ${r.numUtts} utterances → ${r.numKeys} stats in ${r.cmvnScp}`);
  },
};
