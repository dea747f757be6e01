/**
 * `jemda perturb-data-dir --effect reverse|telephone|noise|reverb|speed|gain [opts] SRC OUT`:
 * a copy of data dir SRC whose audio went through one seeded channel effect (OUT/wav/*.wav,
 * 16-bit), same utterance ids and labels, utt2domain tagged `+<effect>`.
 */
import type { CommandModule } from 'yargs';
import { EFFECTS, parseRange, perturbDataDir, type EffectName } from '../../data/perturb-dir.ts';
import type { NoiseKind } from '../../audio/effects/noise.ts';

interface Args {
  src: string;
  out: string;
  effect: string;
  'snr-db'?: string;
  'noise-kinds'?: string;
  rt60?: string;
  wet?: string;
  factor?: string;
  'gain-db'?: string;
  'edge-jitter-hz': number;
  seed: number;
  nj: number;
}

const range = (v: string | undefined, name: string) => (v === undefined ? undefined : parseRange(v, name));

export const command: CommandModule<object, Args> = {
  command: 'perturb-data-dir <src> <out>',
  describe: 'Write a copy of a data dir whose audio went through a seeded effect (reverse, telephone, noise, reverb, speed, gain)',
  builder: (y) =>
    y
      .positional('src', { type: 'string', demandOption: true, describe: 'source data dir (wav.scp, utt2spk, ...)' })
      .positional('out', { type: 'string', demandOption: true, describe: 'output data dir (replaced atomically)' })
      .option('effect', { type: 'string', choices: [...EFFECTS], demandOption: true, describe: 'the effect; reverse = time-reversed audio (an OOD set with the same long-term spectrum)' })
      .option('snr-db', { type: 'string', describe: "noise: SNR in dB, 'A' or a range 'A,B' drawn per utterance (default 0,10)" })
      .option('noise-kinds', { type: 'string', describe: 'noise: comma-separated kinds, one drawn per utterance (white, pink, brown, babble-like; default white,pink,babble-like)' })
      .option('rt60', { type: 'string', describe: "reverb: RT60 in seconds, 'A' or 'A,B' (default 0.2,0.6)" })
      .option('wet', { type: 'string', describe: "reverb: late-tail energy relative to the direct path, 'A' or 'A,B' (default 0.3,0.8)" })
      .option('factor', { type: 'string', describe: "speed: speed factor (> 1 faster), 'A' or 'A,B' (default 1.1)" })
      .option('gain-db', { type: 'string', describe: "gain: gain in dB, 'A' or 'A,B' (default -6)" })
      .option('edge-jitter-hz', { type: 'number', default: 0, describe: 'telephone: ± Hz jitter of the band edges per utterance' })
      .option('seed', { type: 'number', default: 0, describe: 'seed (per utterance: hash(utt) ^ seed)' })
      .option('nj', { type: 'number', default: 1, describe: 'parallel jobs (worker threads)' }),
  handler: async (a) => {
    await perturbDataDir({
      src: a.src,
      out: a.out,
      effect: a.effect as EffectName,
      snrDb: range(a['snr-db'], 'snr-db'),
      noiseKinds: a['noise-kinds'] === undefined ? undefined : (a['noise-kinds'].split(',').map((s) => s.trim()) as NoiseKind[]),
      rt60: range(a.rt60, 'rt60'),
      wet: range(a.wet, 'wet'),
      factor: range(a.factor, 'factor'),
      gainDb: range(a['gain-db'], 'gain-db'),
      edgeJitterHz: a['edge-jitter-hz'],
      seed: a.seed,
      nj: a.nj,
    });
  },
};
