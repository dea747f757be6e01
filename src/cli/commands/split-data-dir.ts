/**
 * `jemda split-data-dir DATA N [--per-utt]`: DATA/splitN/1..N (DATA/splitNutt/1..N), one data dir
 * per job of an array, as Kaldi's utils/split_data.sh (by speaker unless --per-utt).
 */
import type { CommandModule } from 'yargs';
import { readDataDir, utterances, writeDataDir } from '../../data/datadir.ts';
import { splitDataDir } from '../../data/split.ts';
import { assertValidDataDir } from '../../data/validate.ts';
import { log } from '../../util/log.ts';

interface Args {
  data: string;
  n: number;
  'per-utt': boolean;
}

export const command: CommandModule<object, Args> = {
  command: 'split-data-dir <data> <n>',
  describe: 'Split a data dir into DATA/splitN/1..N for N jobs (by speaker, or --per-utt)',
  builder: (y) =>
    y
      .positional('data', { type: 'string', demandOption: true, describe: 'data dir' })
      .positional('n', { type: 'number', demandOption: true, describe: 'number of parts' })
      .option('per-utt', { type: 'boolean', default: false, describe: 'split the utterance list (DATA/splitNutt) instead of keeping speakers whole' }),
  handler: (a) => {
    assertValidDataDir(a.data, { checkFiles: false });
    const parts = splitDataDir(readDataDir(a.data), a.n, a['per-utt']);
    for (const p of parts) writeDataDir(p.dir, p);
    const sizes = parts.map((p) => utterances(p).length);
    log(`${a.data}: ${sizes.reduce((x, y) => x + y, 0)} utterances in ${parts.length} parts (${Math.min(...sizes)}–${Math.max(...sizes)} each)`);
  },
};
