/** `jemda synth-corpus`: generate the embedded synthetic keyword corpus `synth_kws`. */
import type { CommandModule } from 'yargs';
import { generateCorpus } from '../../corpus/generate.ts';
import { log } from '../../util/log.ts';
import { ConfigError } from '../../util/errors.ts';
import { DATASETS } from '../../corpus/spec.ts';

interface Args {
  size: string;
  out: string;
  seed: number;
  nj: number;
  datasets?: string;
}

export const command: CommandModule<object, Args> = {
  command: 'synth-corpus',
  describe: 'Synthesize the synth_kws corpus (eSpeak-NG source; seven target domains) as Kaldi data dirs',
  builder: (y) =>
    y
      .option('size', { type: 'string', choices: ['tiny', 'default'], default: 'default', describe: 'corpus size' })
      .option('out', { type: 'string', demandOption: true, describe: 'output directory (data dirs + wav/)' })
      .option('seed', { type: 'number', default: 0, describe: 'random seed (same seed → byte-identical WAVs)' })
      .option('nj', { type: 'number', default: 1, describe: 'parallel worker threads (output identical for any value)' })
      .option('datasets', { type: 'string', describe: `only these data sets, space- or comma-separated (default all: ${DATASETS.join(' ')})` }) as never,
  handler: async (a) => {
    if (!Number.isInteger(a.nj) || a.nj < 1) throw new ConfigError(`--nj must be a positive integer, got ${a.nj}`);
    if (!Number.isInteger(a.seed)) throw new ConfigError(`--seed must be an integer, got ${a.seed}`);
    const datasets = a.datasets?.split(/[\s,]+/).filter(Boolean);
    const unknown = datasets?.filter((d) => !(DATASETS as readonly string[]).includes(d)) ?? [];
    if (unknown.length > 0) throw new ConfigError(`--datasets: unknown data set(s) ${unknown.join(', ')} (known: ${DATASETS.join(' ')})`);
    const r = await generateCorpus({ size: a.size as 'tiny' | 'default', out: a.out, seed: a.seed, nj: a.nj, datasets });
    for (const [ds, n] of Object.entries(r.counts)) log(`  ${ds}: ${n} utterances`);
    for (const [k, v] of Object.entries(r.perEngine)) log(`  ${k}: ${v.clips} clips, ${(v.clips / v.seconds).toFixed(1)} clips/s`);
    log(`synth-corpus: done in ${r.seconds.toFixed(1)} s`);
  },
};
