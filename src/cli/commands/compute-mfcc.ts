/** `jemda compute-mfcc [opts] DATA [ARKDIR]`: Kaldi-compatible MFCCs of DATA/wav.scp into ARKDIR (default DATA/data) + DATA/feats.scp. */
import type { CommandModule } from 'yargs';
import { addFeatureOptions, pickFeatureOptions } from '../../features/feature-cli.ts';
import { makeFeats } from '../../features/make-feats.ts';

interface Args {
  data: string;
  arkdir?: string;
  nj: number;
  seed: number;
  'skip-bad': boolean;
}

export const command: CommandModule<object, Args> = {
  command: 'compute-mfcc <data> [arkdir]',
  describe: 'Compute Kaldi-compatible MFCCs for a data dir (like make_mfcc.sh)',
  builder: (y) =>
    addFeatureOptions(
      y
        .positional('data', { type: 'string', demandOption: true, describe: 'data dir with wav.scp (and segments if any)' })
        .positional('arkdir', { type: 'string', describe: 'where the ark files go (default DATA/data)' })
        .option('nj', { type: 'number', default: 1, describe: 'parallel jobs (worker threads); one ark per job' })
        .option('seed', { type: 'number', default: 0, describe: 'seed of the dither noise' })
        .option('skip-bad', {
          type: 'boolean',
          default: false,
          describe: 'skip unreadable, too short or non-finite utterances (listed in DATA/skipped_utts.txt) instead of failing',
        }),
      'mfcc',
    ),
  handler: async (a) => {
    await makeFeats({
      type: 'mfcc',
      dataDir: a.data,
      arkDir: a.arkdir,
      nj: a.nj,
      seed: a.seed,
      skipBad: a['skip-bad'],
      featOpts: pickFeatureOptions(a as unknown as Record<string, unknown>, 'mfcc'),
    });
  },
};
