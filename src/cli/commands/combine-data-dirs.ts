/** `jemda combine-data-dirs OUT IN...`: merge data dirs (conflicting duplicate ids are an error). */
import type { CommandModule } from 'yargs';
import { log } from '../../util/log.ts';
import { readDataDir, utterances, writeDataDir } from '../../data/datadir.ts';
import { combineDataDirs } from '../../data/combine.ts';
import { assertValidDataDir } from '../../data/validate.ts';

interface Args {
  out: string;
  inputs: string[];
}

export const command: CommandModule<object, Args> = {
  command: 'combine-data-dirs <out> <inputs..>',
  describe: 'Combine several data dirs into OUT',
  builder: (y) =>
    y
      .positional('out', { type: 'string', demandOption: true, describe: 'output data dir' })
      .positional('inputs', { type: 'string', array: true, demandOption: true, describe: 'input data dirs' }),
  handler: (a) => {
    for (const d of a.inputs) assertValidDataDir(d, { checkFiles: false });
    const combined = combineDataDirs(a.inputs.map((d) => readDataDir(d)), a.out);
    writeDataDir(a.out, combined);
    log(`${a.out}: ${utterances(combined).length} utterances from ${a.inputs.length} dirs`);
  },
};
