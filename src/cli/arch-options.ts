/**
 * Command-line options shared by `jemda build-model` and `jemda train --arch`: architecture sizes,
 * front end and labels. Lists are comma-separated (`--channels 16,32,64`, `--layers 5:1,3:2,3:3,1:1`)
 * so they also work from a Kaldi-style `--config` file.
 */
import * as fs from 'node:fs';
import type { Argv } from 'yargs';
import type { ModelProto } from '../model/onnx-io.ts';
import { parseFrontEnd, type FrontEnd } from '../model/frontend.ts';
import { ConfigError, DataError } from '../util/errors.ts';
import { ARCHS, archLayout, buildModel, loadArchConfig, parseArchConfig, type Arch } from '../model/builders/index.ts';
import { defaultFrontEnd, DEFAULT_KWS_LABELS } from '../model/builders/common.ts';

export interface ArchArgs {
  arch?: string;
  archConfig?: string;
  channels?: string;
  layers?: string;
  hidden?: string;
  batchNorm?: boolean;
  frontendConfig?: string;
  featDim: number;
  numFrames: number;
  labels?: string;
  labelsFile?: string;
  seed: number;
}

export function archOptions<T>(y: Argv<T>): Argv<T & ArchArgs> {
  return y
    .option('arch', { type: 'string', choices: ARCHS, describe: 'architecture to build' })
    .option('arch-config', { type: 'string', describe: 'architecture sizes: JSON object or Kaldi-style --key=value lines' })
    .option('channels', { type: 'string', describe: 'kws-cnn: channels per block (16,32,64); tdnn: channels per layer (one number or a list)' })
    .option('layers', { type: 'string', describe: 'tdnn: kernel:dilation per layer (5:1,3:2,3:3,1:1)' })
    .option('hidden', { type: 'string', describe: 'mlp: hidden sizes (256,256); tdnn: hidden size after pooling' })
    .option('batch-norm', { type: 'boolean', describe: 'mlp: BatchNorm after each hidden layer (default true)' })
    .option('frontend-config', { type: 'string', describe: 'front end as JSON (FrontEnd of src/model/frontend.ts); default: Kaldi fbank, per-utterance CMVN' })
    .option('feat-dim', { type: 'number', default: 40, describe: 'feature dim of the default front end (fbank mel bins)' })
    .option('num-frames', { type: 'number', default: 98, describe: 'frames per input of the default front end (0 = any length; tdnn only)' })
    .option('labels', { type: 'string', describe: `comma-separated label list (default: ${DEFAULT_KWS_LABELS.join(',')})` })
    .option('labels-file', { type: 'string', describe: 'label list, one per line' })
    .option('seed', { type: 'number', default: 0, describe: 'seed of the initial weights (in train also of batching and augmentation)' }) as unknown as Argv<T & ArchArgs>;
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataError(file, undefined, `cannot read (${(e as Error).message})`);
  }
}

export function labelsFromArgs(a: ArchArgs): string[] {
  if (a.labels && a.labelsFile) throw new ConfigError('give --labels or --labels-file, not both');
  if (a.labelsFile) return readText(a.labelsFile).split('\n').map((l) => l.trim()).filter((l) => l !== '');
  if (a.labels) return a.labels.split(',').map((l) => l.trim()).filter((l) => l !== '');
  return DEFAULT_KWS_LABELS;
}

export function frontEndFromArgs(a: ArchArgs, arch: Arch): FrontEnd {
  if (a.frontendConfig) {
    const fe = parseFrontEnd(readText(a.frontendConfig), a.frontendConfig);
    if (fe.featureType === 'raw') {
      if (arch !== 'kws-cnn' || fe.layout !== 'B1T') throw new ConfigError(`${a.frontendConfig}: a raw-waveform front end needs --arch kws-cnn (its in-graph log-mel) and layout B1T`);
    } else if (fe.layout !== archLayout(arch)) throw new ConfigError(`${a.frontendConfig}: layout ${fe.layout}, but ${arch} needs ${archLayout(arch)}`);
    return fe;
  }
  return defaultFrontEnd(archLayout(arch), { featDim: a.featDim, numFrames: a.numFrames > 0 ? a.numFrames : null });
}

/** Build the model the options describe (precedence: defaults < --arch-config < individual options). */
export function buildFromArgs(a: ArchArgs): ModelProto {
  if (!a.arch) throw new ConfigError('give --arch (kws-cnn, tdnn or mlp)');
  const arch = a.arch as Arch;
  const cfg: Record<string, unknown> = a.archConfig ? loadArchConfig(a.archConfig) : {};
  const lines = [
    a.channels !== undefined ? `--channels=${a.channels}` : '',
    a.layers !== undefined ? `--layers=${a.layers}` : '',
    a.hidden !== undefined ? `--hidden=${a.hidden}` : '',
    a.batchNorm !== undefined ? `--batch-norm=${a.batchNorm}` : '',
  ].filter((l) => l !== '');
  const cli = parseArchConfig(lines.join('\n'), 'command line');
  // a single number for mlp hidden means one layer
  if (arch === 'mlp' && typeof cli.hidden === 'number') cli.hidden = [cli.hidden];
  if (arch === 'kws-cnn' && typeof cli.channels === 'number') cli.channels = [cli.channels];
  if (arch === 'mlp' && typeof cfg.hidden === 'number') cfg.hidden = [cfg.hidden];
  return buildModel(arch, { ...cfg, ...cli }, frontEndFromArgs(a, arch), labelsFromArgs(a), a.seed);
}
