/**
 * `jemda compute-feats --frontend-config FE.json DATA [ARKDIR]`: the features a model's front end
 * takes (its feature type and Kaldi options, before CMVN) for DATA/wav.scp → ARKDIR + DATA/feats.scp.
 * The recipes compute stage-1 features with this from the same conf/frontend.json the source model
 * is built with, so precomputed and on-the-fly features are the same numbers. CMVN is part of the
 * front end and applied when the examples are read, so no cmvn.scp is written.
 */
import type { CommandModule } from 'yargs';
import { frontEndFeatureOptions } from '../../engine/frontend-apply.ts';
import { makeFeats } from '../../features/make-feats.ts';
import { readFrontEndFile } from '../model-files.ts';
import { ConfigError } from '../../util/errors.ts';

interface Args {
  data: string;
  arkdir?: string;
  'frontend-config': string;
  nj: number;
  seed: number;
  'skip-bad': boolean;
}

export const command: CommandModule<object, Args> = {
  command: 'compute-feats <data> [arkdir]',
  describe: "Compute a front end's features (conf/frontend.json: fbank or mfcc with its Kaldi options) for a data dir",
  builder: (y) =>
    y
      .positional('data', { type: 'string', demandOption: true, describe: 'data dir with wav.scp (and segments if any)' })
      .positional('arkdir', { type: 'string', describe: 'where the ark files go (default DATA/data)' })
      .option('frontend-config', { type: 'string', demandOption: true, describe: 'front end as JSON (FrontEnd of src/model/frontend.ts), e.g. recipes/synth_kws/conf/frontend.json' })
      .option('nj', { type: 'number', default: 1, describe: 'parallel jobs (worker threads); one ark per job' })
      .option('seed', { type: 'number', default: 0, describe: 'seed of the dither noise' })
      .option('skip-bad', { type: 'boolean', default: false, describe: 'skip bad utterances (listed in DATA/skipped_utts.txt) instead of failing' }),
  handler: async (a) => {
    const fe = readFrontEndFile(a['frontend-config']);
    if (fe.featureType === 'raw') throw new ConfigError(`${a['frontend-config']}: a raw front end has no features to compute: the model reads the waveforms of wav.scp`);
    if (fe.featureType === 'precomputed') throw new ConfigError(`${a['frontend-config']}: a precomputed front end reads feats.scp as it is; there is nothing to compute`);
    await makeFeats({
      type: fe.featureType as 'fbank' | 'mfcc',
      dataDir: a.data,
      arkDir: a.arkdir,
      nj: a.nj,
      seed: a.seed,
      skipBad: a['skip-bad'],
      featOpts: frontEndFeatureOptions(fe),
    });
  },
};
