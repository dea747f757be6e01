/**
 * `jemda gather-feats DATA N [--per-utt]`: after one `jemda compute-feats` job per part of
 * DATA/splitN, merge their feats.scp, utt2num_frames and skipped utterances into DATA.
 */
import type { CommandModule } from 'yargs';
import { gatherFeats } from '../../features/gather-feats.ts';

interface Args {
  data: string;
  n: number;
  'per-utt': boolean;
}

export const command: CommandModule<object, Args> = {
  command: 'gather-feats <data> <n>',
  describe: "Merge the features of DATA/splitN's parts (one compute-feats job each) into DATA/feats.scp",
  builder: (y) =>
    y
      .positional('data', { type: 'string', demandOption: true, describe: 'the data dir that was split' })
      .positional('n', { type: 'number', demandOption: true, describe: 'number of parts' })
      .option('per-utt', { type: 'boolean', default: false, describe: 'the split was made with --per-utt (DATA/splitNutt)' }),
  handler: (a) => {
    gatherFeats(a.data, a.n, a['per-utt']);
  },
};
