/** `jemda model-info MODEL [--json] [--logits NAME]`: what the model expects and what jemda would use. */
import type { CommandModule } from 'yargs';
import { loadModel } from '../../model/onnx-io.ts';
import { formatModelInfo, modelInfo } from '../../model/model-info.ts';

interface Args {
  model: string;
  json: boolean;
  logits?: string;
}

export const command: CommandModule<object, Args> = {
  command: 'model-info <model>',
  describe: 'Show inputs/outputs, op histogram, parameter count, opset, metadata, logits tensor and unsupported ops of an ONNX model',
  builder: (y) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'ONNX model file' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON instead of text' })
      .option('logits', { type: 'string', describe: 'name of the logits tensor (default: input of a terminal Softmax/LogSoftmax)' }) as never,
  handler: (a) => {
    const info = modelInfo(loadModel(a.model), a.logits);
    process.stdout.write((a.json ? JSON.stringify(info, null, 2) : formatModelInfo(a.model, info)) + '\n');
  },
};
