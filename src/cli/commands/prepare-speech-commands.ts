/** `jemda prepare-speech-commands ROOT OUT`: import Google Speech Commands v2 as Kaldi data dirs. */
import type { CommandModule } from 'yargs';
import { log } from '../../util/log.ts';
import { prepareSpeechCommands } from '../../data/speech-commands.ts';

interface Args {
  root: string;
  out: string;
  maxSilenceClips?: number;
}

export const command: CommandModule<object, Args> = {
  command: 'prepare-speech-commands <root> <out>',
  describe: 'Import Speech Commands v2 (ROOT/<word>/*.wav) into OUT/{train,dev,test} with the 12-class labels',
  builder: (y) =>
    y
      .positional('root', { type: 'string', demandOption: true, describe: 'Speech Commands v2 folder' })
      .positional('out', { type: 'string', demandOption: true, describe: 'output folder' })
      .option('max-silence-clips', { type: 'number', describe: 'at most N 1-s silence clips per background-noise file' }),
  handler: (a) => {
    const s = prepareSpeechCommands(a.root, a.out, { maxSilenceClipsPerFile: a.maxSilenceClips });
    for (const [split, c] of Object.entries(s.counts)) {
      const total = Object.values(c).reduce((x, y) => x + y, 0);
      log(`${split}: ${total} utterances (${Object.entries(c).map(([l, n]) => `${l}=${n}`).join(' ')})`);
    }
    log(`${s.silenceClips} silence clips`);
  },
};
