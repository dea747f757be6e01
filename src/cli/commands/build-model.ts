/** `jemda build-model --arch kws-cnn|tdnn|mlp [sizes] [front end] [labels] OUT.onnx`: a freshly initialized classifier. */
import type { CommandModule } from 'yargs';
import { saveModel } from '../../model/onnx-io.ts';
import { archOptions, buildFromArgs, type ArchArgs } from '../arch-options.ts';
import { log } from '../../util/log.ts';

interface Args extends ArchArgs {
  out: string;
}

export const command: CommandModule<object, Args> = {
  command: 'build-model <out>',
  describe: 'Emit one of jemda\'s architectures as an ONNX graph with seeded initial weights',
  builder: (y) => archOptions(y.positional('out', { type: 'string', demandOption: true, describe: 'output .onnx file' })).demandOption('arch'),
  handler: (a) => {
    const m = buildFromArgs(a);
    saveModel(a.out, m);
    const params = (m.graph!.initializer ?? []).reduce((s, t) => s + (t.dims ?? []).reduce((p: number, d) => p * Number(d), 1), 0);
    log(`${a.out}: ${a.arch}, ${m.graph!.node!.length} nodes, ${params} parameters (incl. BatchNorm statistics)`);
  },
};
