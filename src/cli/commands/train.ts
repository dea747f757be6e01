/**
 * `jemda train [--config FILE] TRAIN_DATA DEV_DATA EXPDIR [--model INIT.onnx | --arch kws-cnn ...]`:
 * train an ONNX classifier (ours or a user's); gradients from onnxruntime's VJP graph (CPU default)
 * or the tfjs importer (--engine tfjs, default with tfjs-node/tfjs-node-gpu); writes EXPDIR/model.onnx.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { loadModel, saveModel } from '../../model/onnx-io.ts';
import { selectBackend, BACKENDS, type BackendName } from '../../model/backend.ts';
import { archOptions, buildFromArgs, type ArchArgs } from '../arch-options.ts';
import { frontEndAndLabels } from '../../eval/evaluate.ts';
import { DEFAULT_TRAIN_CONFIG, trainModel, type TrainConfig } from '../../train/trainer.ts';
import { loadDevSet, loadTrainSet } from '../../train/data.ts';
import { DEFAULT_WAVE_AUGMENT } from '../../audio/wave-augment.ts';
import type { DecayKind } from '../../train/schedule.ts';
import { ENGINE_CHOICES, type EngineChoice } from '../../engine/resolve.ts';
import { ConfigError } from '../../util/errors.ts';
import { log } from '../../util/log.ts';

interface Args extends ArchArgs {
  trainData: string;
  devData: string;
  expDir: string;
  model?: string;
  epochs: number;
  batchSize: number;
  lr: number;
  warmupSteps: number;
  lrDecay: string;
  minLrRatio: number;
  weightDecay: number;
  labelSmoothing: number;
  timeMasks: number;
  timeMaskMax: number;
  freqMasks: number;
  freqMaskMax: number;
  maxShift: number;
  speedPerturb: string;
  noiseCopies: number;
  snrRange: string;
  evalEvery: number;
  patience: number;
  checkpointEvery: number;
  keepCheckpoints: number;
  averageLast: number;
  threads?: number;
  backend?: string;
  engine: string;
  resume: boolean;
  nj: number;
}

const D = DEFAULT_TRAIN_CONFIG;
const W = DEFAULT_WAVE_AUGMENT;

function numList(s: string, what: string): number[] {
  if (s.trim() === '') return [];
  const v = s.split(',').map(Number);
  if (v.some((x) => !Number.isFinite(x))) throw new ConfigError(`${what}: expected comma-separated numbers, got '${s}'`);
  return v;
}

export const command: CommandModule<object, Args> = {
  command: 'train <train-data> <dev-data> <exp-dir>',
  describe: 'Train an ONNX classifier (--model INIT.onnx, or a new --arch) on labeled data; writes EXPDIR/model.onnx',
  builder: (y) =>
    archOptions(
      y
        .positional('train-data', { type: 'string', demandOption: true })
        .positional('dev-data', { type: 'string', demandOption: true })
        .positional('exp-dir', { type: 'string', demandOption: true })
        .option('model', { type: 'string', describe: 'initial ONNX model (with jemda.frontend and jemda.labels metadata)' })
        .option('epochs', { type: 'number', default: D.epochs })
        .option('batch-size', { type: 'number', default: D.batchSize })
        .option('lr', { type: 'number', default: D.lr, describe: 'peak learning rate' })
        .option('warmup-steps', { type: 'number', default: D.warmupSteps })
        .option('lr-decay', { type: 'string', default: D.decay, choices: ['cosine', 'exponential', 'constant'] })
        .option('min-lr-ratio', { type: 'number', default: D.minLrRatio, describe: 'final LR / peak LR' })
        .option('weight-decay', { type: 'number', default: D.weightDecay, describe: 'decoupled (AdamW) weight decay of conv/Gemm weights' })
        .option('label-smoothing', { type: 'number', default: D.labelSmoothing })
        .option('time-masks', { type: 'number', default: D.featAugment.timeMasks })
        .option('time-mask-max', { type: 'number', default: D.featAugment.timeMaskMax, describe: 'frames' })
        .option('freq-masks', { type: 'number', default: D.featAugment.freqMasks })
        .option('freq-mask-max', { type: 'number', default: D.featAugment.freqMaskMax, describe: 'bins' })
        .option('max-shift', { type: 'number', default: D.featAugment.maxShift, describe: 'random time shift, frames' })
        .option('speed-perturb', { type: 'string', default: W.speeds.join(','), describe: 'speed factors of precomputed copies ("" = none)' })
        .option('noise-copies', { type: 'number', default: W.noiseCopies, describe: 'precomputed noisy copies per utterance' })
        .option('snr-range', { type: 'string', default: `${W.snrLo},${W.snrHi}`, describe: 'SNR range (dB) of the noisy copies' })
        .option('eval-every', { type: 'number', default: D.evalEvery, describe: 'dev evaluation every N steps (0 = each epoch)' })
        .option('patience', { type: 'number', default: D.patience, describe: 'early stop after N evaluations without dev improvement (0 = off)' })
        .option('checkpoint-every', { type: 'number', default: D.checkpointEvery, describe: 'steps (0 = at every dev evaluation)' })
        .option('keep-checkpoints', { type: 'number', default: D.keepCheckpoints })
        .option('average-last', { type: 'number', default: D.averageLast, describe: 'average the last K checkpoints as a final-model candidate (1 = off)' })
        .option('threads', { type: 'number', describe: 'onnxruntime threads (training with --engine ort, dev evaluation)' })
        .option('engine', { type: 'string', default: 'auto', choices: [...ENGINE_CHOICES], describe: 'gradient engine: ort (onnxruntime VJP graph), tfjs (importer); auto = tfjs on tfjs-node(-gpu), else ort' })
        .option('backend', { type: 'string', choices: BACKENDS, describe: 'tfjs backend (default: best available)' })
        .option('nj', { type: 'number', default: 1, describe: 'worker threads for feature computation and wave augmentation' })
        .option('resume', { type: 'boolean', default: false, describe: 'continue from the newest checkpoint in EXPDIR' }),
    ) as unknown as Argv<Args>,
  handler: async (a) => {
    if (a.model && a.arch) throw new ConfigError('give --model or --arch, not both');
    if (!a.model && !a.arch) throw new ConfigError('give --model INIT.onnx or --arch kws-cnn|tdnn|mlp');
    const backend = await selectBackend(a.backend as BackendName | undefined);
    fs.mkdirSync(a.expDir, { recursive: true });
    const initFile = path.join(a.expDir, 'init.onnx');
    let model;
    if (a.model) model = loadModel(a.model);
    else if (a.resume && fs.existsSync(initFile)) model = loadModel(initFile);
    else model = buildFromArgs(a);
    saveModel(initFile, model);
    const { fe, labels } = frontEndAndLabels(model, a.model ?? `--arch ${a.arch}`);
    const [snrLo, snrHi] = numList(a.snrRange, '--snr-range');
    const wave = { ...W, speeds: numList(a.speedPerturb, '--speed-perturb'), noiseCopies: a.noiseCopies, snrLo, snrHi: snrHi ?? snrLo };
    const train = await loadTrainSet(a.trainData, fe, labels, wave, a.seed, a.nj);
    const dev = await loadDevSet(a.devData, fe, labels, a.nj);
    const config: TrainConfig = {
      ...D,
      epochs: a.epochs,
      batchSize: a.batchSize,
      lr: a.lr,
      warmupSteps: a.warmupSteps,
      decay: a.lrDecay as DecayKind,
      minLrRatio: a.minLrRatio,
      weightDecay: a.weightDecay,
      labelSmoothing: a.labelSmoothing,
      featAugment: { timeMasks: a.timeMasks, timeMaskMax: a.timeMaskMax, freqMasks: a.freqMasks, freqMaskMax: a.freqMaskMax, maxShift: a.maxShift },
      evalEvery: a.evalEvery,
      patience: a.patience,
      checkpointEvery: a.checkpointEvery,
      keepCheckpoints: a.keepCheckpoints,
      averageLast: a.averageLast,
      seed: a.seed,
      threads: a.threads,
      engine: a.engine as EngineChoice,
    };
    log(`train: tfjs backend ${backend}, ${train.labels.length} train / ${dev.labels.length} dev utterances, ${labels.length} classes`);
    const r = await trainModel({ model, train, dev, expDir: a.expDir, config, resume: a.resume, extraMetadata: { 'jemda.train.data': JSON.stringify({ train: a.trainData, dev: a.devData, wave }) } });
    if (r.interrupted) process.exitCode = 130;
  },
};
