/** `jemda compare-results EXPDIR... [--out FILE]`: methods × sets tables from <exp>/results/*.json. */
import type { CommandModule } from 'yargs';
import { compareMarkdown, readComparison } from '../../eval/report.ts';
import { writeFileAtomic } from '../../util/atomic.ts';
import { log } from '../../util/log.ts';

interface Args {
  exps: string[];
  out?: string;
}

export const command: CommandModule<object, Args> = {
  command: 'compare-results <exps..>',
  describe: 'Tabulate accuracy, NLL and ECE of several experiments (rows) on every evaluated set (columns); per-domain dirs of one method (exp/jem/telephone → telephone_test) merge into one row',
  builder: (y) =>
    y
      .positional('exps', { type: 'string', array: true, demandOption: true, describe: 'experiment dirs with results/*.json' })
      .option('out', { type: 'string', describe: 'write the Markdown here (default: stdout)' }),
  handler: (a) => {
    const md = compareMarkdown(readComparison(a.exps));
    if (a.out) {
      writeFileAtomic(a.out, md);
      log(`wrote ${a.out}`);
    } else process.stdout.write(md);
  },
};
