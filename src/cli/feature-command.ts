/**
 * The yargs command of compute-fbank and compute-mfcc: the same positionals, options and handler
 * (makeFeats), parametrised by the feature type.
 */
import type { CommandModule } from 'yargs';
import { addFeatureOptions, pickFeatureOptions } from './feature-cli.ts';
import { makeFeats } from '../features/make-feats.ts';

interface Args {
  data: string;
  arkdir?: string;
  nj: number;
  seed: number;
  'skip-bad': boolean;
}

/** `compute-<type> <data> [arkdir]` with the Kaldi options of `type`; `describe` is its help line. */
export function featureCommand(type: 'fbank' | 'mfcc', describe: string): CommandModule<object, Args> {
  return {
    command: `compute-${type} <data> [arkdir]`,
    describe,
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
        type,
      ),
    handler: async (a) => {
      await makeFeats({
        type,
        dataDir: a.data,
        arkDir: a.arkdir,
        nj: a.nj,
        seed: a.seed,
        skipBad: a['skip-bad'],
        featOpts: pickFeatureOptions(a as unknown as Record<string, unknown>, type),
      });
    },
  };
}
