/** `jemda subset-data-dir SRC OUT --first N | --last N | --utt-list F | --spk-list F | --per-label N`. */
import type { CommandModule } from 'yargs';
import { log } from '../../util/log.ts';
import { readDataDir, utterances, writeDataDir } from '../../data/datadir.ts';
import { readIdList, subsetDataDir } from '../../data/subset.ts';
import { assertValidDataDir } from '../../data/validate.ts';

interface Args {
  src: string;
  out: string;
  first?: number;
  last?: number;
  uttList?: string;
  spkList?: string;
  perLabel?: number;
  seed: number;
}

export const command: CommandModule<object, Args> = {
  command: 'subset-data-dir <src> <out>',
  describe: 'Write a subset of a data dir (first/last N, utterance or speaker list, N per label)',
  builder: (y) =>
    y
      .positional('src', { type: 'string', demandOption: true, describe: 'source data dir' })
      .positional('out', { type: 'string', demandOption: true, describe: 'output data dir' })
      .option('first', { type: 'number', describe: 'the first N utterances (sorted order)' })
      .option('last', { type: 'number', describe: 'the last N utterances' })
      .option('utt-list', { type: 'string', describe: 'file of utterance ids to keep' })
      .option('spk-list', { type: 'string', describe: 'file of speaker ids to keep' })
      .option('per-label', { type: 'number', describe: 'N random utterances per label (seeded)' })
      .option('seed', { type: 'number', default: 0, describe: 'seed for --per-label' }),
  handler: (a) => {
    assertValidDataDir(a.src, { checkFiles: false });
    const d = readDataDir(a.src);
    const sub = subsetDataDir(d, {
      first: a.first,
      last: a.last,
      uttList: a.uttList !== undefined ? readIdList(a.uttList) : undefined,
      spkList: a.spkList !== undefined ? readIdList(a.spkList) : undefined,
      perLabel: a.perLabel,
      seed: a.seed,
    });
    writeDataDir(a.out, sub);
    log(`${a.out}: ${utterances(sub).length} of ${utterances(d).length} utterances`);
  },
};
