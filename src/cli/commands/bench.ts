import type { CommandModule } from 'yargs';
import { runBench } from '../../bench/run.ts';
import { log } from '../../util/log.ts';
import { ConfigError } from '../../util/errors.ts';

interface Args {
  out: string;
  python: string;
  quick: boolean;
  runs: number;
}

export const command: CommandModule<object, Args> = {
  command: 'bench',
  describe: 'Speed against PyTorch on this machine (MFCC, evaluation, SGLD, JEM update, training) → bench/results.{json,md}',
  builder: (y) =>
    y
      .option('out', { type: 'string', default: 'bench', describe: 'output directory' })
      .option('python', { type: 'string', default: '/usr/bin/python3', describe: 'python with torch + torchaudio for the peer (skipped when missing)' })
      .option('quick', { type: 'boolean', default: false, describe: 'fewer repetitions' })
      .option('runs', { type: 'number', default: 3, describe: 'whole bench runs; the table gives medians and each ratio\'s range' }) as never,
  handler: async (a) => {
    if (!(Number.isInteger(a.runs) && a.runs >= 1)) throw new ConfigError(`--runs must be a positive integer (got ${a.runs})`);
    const rows = await runBench({ out: a.out, python: a.python, quick: a.quick, runs: a.runs });
    for (const r of rows) log(`${r.name}: jemda ${r.jemda.toFixed(1)} ${r.unit}, peer ${r.peer_value === null ? r.peer : r.peer_value.toFixed(1)}${r.ratio === null ? '' : `, ratio ${r.ratio.toFixed(2)}`}`);
    log(`wrote ${a.out}/results.json and ${a.out}/results.md`);
  },
};
