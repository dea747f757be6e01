/** `jemda synth-corpus`: generate the embedded synthetic keyword corpus `synth_kws`. */
import type { CommandModule } from 'yargs';
import { generateCorpus } from '../../corpus/generate.ts';
import { log } from '../../util/log.ts';
import { ConfigError } from '../../util/errors.ts';

interface Args {
  size: string;
  out: string;
  seed: number;
  nj: number;
}

export const command: CommandModule<object, Args> = {
  command: 'synth-corpus',
  describe: 'Synthesize the synth_kws corpus (eSpeak-NG source; Flite, GnuSpeech, telephone, noisy targets) as Kaldi data dirs',
  builder: (y) =>
    y
      .option('size', { type: 'string', choices: ['tiny', 'default'], default: 'default', describe: 'corpus size' })
      .option('out', { type: 'string', demandOption: true, describe: 'output directory (data dirs + wav/)' })
      .option('seed', { type: 'number', default: 0, describe: 'random seed (same seed → byte-identical WAVs)' })
      .option('nj', { type: 'number', default: 1, describe: 'parallel worker threads (output identical for any value)' }) as never,
  handler: async (a) => {
    if (!Number.isInteger(a.nj) || a.nj < 1) throw new ConfigError(`--nj must be a positive integer, got ${a.nj}`);
    if (!Number.isInteger(a.seed)) throw new ConfigError(`--seed must be an integer, got ${a.seed}`);
    const r = await generateCorpus({ size: a.size as 'tiny' | 'default', out: a.out, seed: a.seed, nj: a.nj });
    for (const [ds, n] of Object.entries(r.counts)) log(`  ${ds}: ${n} utterances`);
    for (const [k, v] of Object.entries(r.perEngine)) log(`  ${k}: ${v.clips} clips, ${(v.clips / v.seconds).toFixed(1)} clips/s`);
    log(`synth-corpus: done in ${r.seconds.toFixed(1)} s`);
  },
};
