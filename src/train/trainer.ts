/**
 * The training loop: any ONNX classifier, trained with AdamW, LR warmup +
 * decay, feature-level augmentation on the fly (wave-level copies are precomputed by the data
 * loader), dev evaluation through onnxruntime every `evalEvery` steps, early stopping on dev
 * accuracy, checkpoints every `checkpointEvery` steps, SIGINT/SIGTERM → checkpoint and clean exit,
 * resume from the newest checkpoint. The final model is the better on dev of (a) the best-dev
 * weights and (b) the average of the last K checkpoints; it is written to EXPDIR/model.onnx.
 * Gradients come from an engine (engine.ts): onnxruntime's VJP graph ('ort', the CPU default) or
 * the tfjs importer ('tfjs', default when the tfjs backend is tfjs-node/tfjs-node-gpu).
 *
 * EXPDIR layout: model.onnx, metrics.jsonl, train-curves.svg, train-config.json, best/ (best-dev
 * weights in checkpoint format), checkpoints/step-N/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exportModel } from '../model/exporter.ts';
import { saveModel, type ModelProto } from '../model/onnx-io.ts';
import { Rng } from '../util/rng.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.ts';
import { ConfigError, DivergenceError, MismatchError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import { progress } from '../util/progress.ts';
import type { InputLayout } from '../model/frontend.ts';
import { trainingCurvesSvg } from '../engine/plots.ts';
import { AdamW, decayRank2 } from '../engine/adamw.ts';
import { averageWeights } from '../engine/averaging.ts';
import { augmentFeatures, NO_FEAT_AUGMENT, type FeatAugmentOptions } from './augment.ts';
import { checkpointDir, listCheckpoints, loadCheckpoint, pruneCheckpoints, saveCheckpoint, type Checkpoint } from './checkpoint.ts';
import { devMetrics } from './dev-eval.ts';
import type { ExampleSet } from '../model/ort-logits.ts';
import { checkSchedule, lrAt, type DecayKind } from './schedule.ts';
import { trainStep } from './engine.ts';
import type { EngineChoice, EngineName } from '../engine/resolve.ts';
import { openGradEngine } from '../engine/open.ts';
import { findLogits } from '../model/logits.ts';


export interface TrainSet {
  /** Per utterance: its copies (index 0 = original, then wave-augmented copies), each one example. */
  copies: Float32Array[][];
  labels: Int32Array;
  exampleShape: number[];
}

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  lr: number;
  warmupSteps: number;
  decay: DecayKind;
  minLrRatio: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  labelSmoothing: number;
  featAugment: FeatAugmentOptions;
  /** Dev evaluation every this many steps (0 = once per epoch). */
  evalEvery: number;
  /** Stop after this many dev evaluations without improvement (0 = never). */
  patience: number;
  /** Checkpoint every this many steps (0 = at every dev evaluation). */
  checkpointEvery: number;
  /** Keep this many checkpoints on disk (at least averageLast). */
  keepCheckpoints: number;
  /** Average the last K checkpoints as a candidate final model (1 = off). */
  averageLast: number;
  /** Log a metrics.jsonl line every this many steps. */
  logEvery: number;
  seed: number;
  /** onnxruntime threads (training with the ort engine, dev evaluation). */
  threads?: number;
  /** Gradient engine: 'auto' = tfjs when the tfjs backend is libtensorflow, else ort. */
  engine?: EngineChoice;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  epochs: 30,
  batchSize: 64,
  lr: 1e-2,
  warmupSteps: 100,
  decay: 'cosine',
  minLrRatio: 0.01,
  weightDecay: 1e-4,
  beta1: 0.9,
  beta2: 0.999,
  labelSmoothing: 0,
  featAugment: { timeMasks: 2, timeMaskMax: 10, freqMasks: 2, freqMaskMax: 6, maxShift: 10 },
  evalEvery: 0,
  patience: 8,
  checkpointEvery: 0,
  keepCheckpoints: 5,
  averageLast: 5,
  logEvery: 10,
  seed: 0,
  engine: 'auto',
};

export interface TrainOptions {
  model: ModelProto;
  train: TrainSet;
  dev: ExampleSet;
  expDir: string;
  config: TrainConfig;
  resume?: boolean;
  /** Metadata added to the exported model (e.g. jemda.train summary). */
  extraMetadata?: Record<string, string>;
  /** Install SIGINT/SIGTERM handlers (default true). */
  handleSignals?: boolean;
  /** Called after every step; return true to stop as if interrupted (checkpoint, no model.onnx). */
  shouldStop?: (step: number) => boolean;
}

export interface TrainResult {
  steps: number;
  bestDevAcc: number;
  bestStep: number;
  finalDevAcc: number;
  finalDevNll: number;
  chosen: 'best' | 'average';
  interrupted: boolean;
  modelPath: string;
  engine: EngineName;
}

type Rec = Record<string, number | undefined>;

function layoutOf(model: ModelProto, exampleShape: number[]): { layout: InputLayout; T: number; F: number } | null {
  const fe = (model.metadataProps ?? []).find((p) => p.key === 'jemda.frontend');
  if (!fe?.value) return null;
  const layout = (JSON.parse(fe.value) as { layout: InputLayout }).layout;
  if (layout === 'B1TF' && exampleShape.length === 3) return { layout, T: exampleShape[1], F: exampleShape[2] };
  if (layout === 'BTF' && exampleShape.length === 2) return { layout, T: exampleShape[0], F: exampleShape[1] };
  if (layout === 'BFT' && exampleShape.length === 2) return { layout, T: exampleShape[1], F: exampleShape[0] };
  return null;
}

function readMetrics(file: string, upToStep: number): Rec[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Rec)
    .filter((r) => (r.step ?? 0) <= upToStep);
}

export async function trainModel(opts: TrainOptions): Promise<TrainResult> {
  const cfg = opts.config;
  const { train, dev, expDir } = opts;
  const n = train.labels.length;
  if (n < 2) throw new ConfigError(`training needs at least 2 utterances, got ${n}`);
  if (!(cfg.batchSize >= 2)) throw new ConfigError(`batch size must be >= 2 (BatchNorm), got ${cfg.batchSize}`);
  const labelsMeta = (opts.model.metadataProps ?? []).find((p) => p.key === 'jemda.labels');
  const C = labelsMeta?.value ? (JSON.parse(labelsMeta.value) as string[]).length : 0;
  if (C < 2) throw new MismatchError('the model has no jemda.labels metadata (the label list is needed for training)');
  const bs = Math.min(cfg.batchSize, n);
  const stepsPerEpoch = Math.floor(n / bs);
  const totalSteps = cfg.epochs * stepsPerEpoch;
  const evalEvery = cfg.evalEvery > 0 ? cfg.evalEvery : stepsPerEpoch;
  const ckptEvery = cfg.checkpointEvery > 0 ? cfg.checkpointEvery : evalEvery;
  const schedule = { lr: cfg.lr, warmupSteps: Math.min(cfg.warmupSteps, Math.max(0, totalSteps - 1)), totalSteps, decay: cfg.decay, minRatio: cfg.minLrRatio };
  checkSchedule(schedule);
  const geo = layoutOf(opts.model, train.exampleShape);
  const aug = geo ? cfg.featAugment : NO_FEAT_AUGMENT;
  if (!geo) log('train: no usable front-end layout in the model metadata; feature augmentation is off');
  fs.mkdirSync(expDir, { recursive: true });
  writeJsonAtomic(path.join(expDir, 'train-config.json'), { ...cfg, stepsPerEpoch, totalSteps, numTrain: n, numDev: dev.labels.length });

  const model = await openGradEngine(opts.model, {
    choice: cfg.engine ?? 'auto',
    logitsName: findLogits(opts.model).name,
    trainable: 'all',
    bnMode: 'train',
    exampleShape: train.exampleShape,
    threads: cfg.threads,
    what: 'train',
  });
  const trainable = new Set(await model.trainableNames());
  const shapes = model.getShapes();
  const optimizer = new AdamW({ beta1: cfg.beta1, beta2: cfg.beta2, weightDecay: cfg.weightDecay }, decayRank2(shapes));
  const orderRng = new Rng(cfg.seed);
  const augRng = new Rng(cfg.seed ^ 0x5bd1e995);

  let step = 0;
  let epoch = 0;
  let bestDevAcc = -1;
  let bestStep = -1;
  let sinceBest = 0;
  let orderStart = orderRng.getState();
  let records: Rec[] = [];
  const metricsFile = path.join(expDir, 'metrics.jsonl');
  const bestDir = path.join(expDir, 'best');

  const resumeFrom = opts.resume ? listCheckpoints(expDir) : [];
  if (resumeFrom.length === 0) {
    // a fresh run: checkpoints of an earlier run must not be resumed from or averaged in
    fs.rmSync(path.join(expDir, 'checkpoints'), { recursive: true, force: true });
    fs.rmSync(bestDir, { recursive: true, force: true });
  }
  if (opts.resume) {
    const steps = resumeFrom;
    if (steps.length > 0) {
      const c = loadCheckpoint(checkpointDir(expDir, steps[steps.length - 1]));
      model.setWeights(c.weights);
      optimizer.setState(c.adam);
      augRng.setState(c.rng);
      step = c.step;
      epoch = c.epoch;
      const info = c.info as { bestDevAcc: number; bestStep: number; sinceBest: number; orderStart: ReturnType<Rng['getState']> };
      bestDevAcc = info.bestDevAcc;
      bestStep = info.bestStep;
      sinceBest = info.sinceBest;
      orderStart = info.orderStart;
      records = readMetrics(metricsFile, step);
      log(`train: resumed from step ${step} (epoch ${epoch}, best dev acc ${(100 * bestDevAcc).toFixed(2)}% at step ${bestStep})`);
    } else {
      log('train: --resume given but no checkpoint found; starting from scratch');
    }
  }

  let stop = cfg.patience > 0 && sinceBest >= cfg.patience;
  if (stop) log('train: the resumed run had already stopped early');
  let interrupted = false;
  const onSignal = (sig: string) => {
    if (!stop) log(`train: ${sig} received; saving a checkpoint and stopping after this step`);
    stop = true;
    interrupted = true;
  };
  const sigint = () => onSignal('SIGINT');
  const sigterm = () => onSignal('SIGTERM');
  if (opts.handleSignals !== false) {
    process.on('SIGINT', sigint);
    process.on('SIGTERM', sigterm);
  }

  const writeMetrics = () => {
    writeFileAtomic(metricsFile, records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : ''));
    writeFileAtomic(path.join(expDir, 'train-curves.svg'), trainingCurvesSvg(records));
  };
  const checkpoint = () => {
    const c: Checkpoint = {
      step,
      epoch,
      weights: model.getWeights(),
      adam: optimizer.getState(),
      rng: augRng.getState(),
      info: { bestDevAcc, bestStep, sinceBest, orderStart },
    };
    saveCheckpoint(checkpointDir(expDir, step), c);
    pruneCheckpoints(expDir, Math.max(cfg.keepCheckpoints, cfg.averageLast));
    writeMetrics();
  };
  const evalOpts = { threads: cfg.threads, batchSize: 64 };

  // CPU copy of the trainable parameters (AdamW updates it in place, then it is uploaded)
  const w0 = model.getWeights();
  const params = new Map([...trainable].map((k) => [k, w0.get(k) as Float32Array]));
  const bar = progress('train', totalSteps);
  if (step > 0) bar.tick(step);
  let lossSum = 0;
  let correctSum = 0;
  let seen = 0;
  let badSteps = 0;
  let stepMs = 0; // time in training steps since the last metrics line (batch assembly → new weights)
  let stepsTimed = 0;
  const per = train.exampleShape.reduce((a, b) => a * b, 1);
  try {
    while (step < totalSteps && !stop) {
      // the epoch's order: regenerated from the rng state at the epoch's start (exact on resume)
      orderRng.setState(orderStart);
      const order = orderRng.shuffle(Array.from({ length: n }, (_, i) => i));
      const nextOrderStart = orderRng.getState();
      for (let pos = (step % stepsPerEpoch) * bs; pos + bs <= n && step < totalSteps && !stop; pos += bs) {
        const t0 = performance.now();
        const x = new Float32Array(bs * per);
        const y = new Int32Array(bs);
        for (let i = 0; i < bs; i++) {
          const u = order[pos + i];
          const copies = train.copies[u];
          const ex = copies[copies.length > 1 ? augRng.int(copies.length) : 0];
          x.set(geo ? augmentFeatures(ex, geo.layout, geo.T, geo.F, aug, augRng) : ex, i * per);
          y[i] = train.labels[u];
        }
        const lr = lrAt(step, schedule);
        const r = await trainStep(model, x, bs, y, cfg.labelSmoothing);
        if (!Number.isFinite(r.loss)) {
          badSteps++;
          if (badSteps > 3) throw new DivergenceError(`training loss is ${r.loss} for ${badSteps} steps in a row at step ${step} (lr ${lr}); lower --lr`);
          log(`train: non-finite loss at step ${step}; update skipped`);
        } else {
          badSteps = 0;
          optimizer.step(params, r.grads, lr);
          model.setWeights(params);
          lossSum += r.loss;
          correctSum += r.correct;
          seen += bs;
        }
        step++;
        stepMs += performance.now() - t0;
        stepsTimed++;
        bar.tick(1, { loss: r.loss.toFixed(3) });
        const rec: Rec = {};
        if (step % cfg.logEvery === 0 && seen > 0) {
          Object.assign(rec, { step, epoch, lr, loss: lossSum / (seen / bs), trainAcc: correctSum / seen, stepSeconds: stepMs / 1000 / stepsTimed });
          lossSum = correctSum = seen = 0;
          stepMs = stepsTimed = 0;
        }
        if (step % evalEvery === 0 || step === totalSteps) {
          const d = await devMetrics(opts.model, model.getWeights(), dev, C, evalOpts);
          Object.assign(rec, { step, epoch, lr, devAcc: d.acc, devNll: d.nll });
          if (d.acc > bestDevAcc) {
            bestDevAcc = d.acc;
            bestStep = step;
            sinceBest = 0;
            saveCheckpoint(bestDir, { step, epoch, weights: model.getWeights(), adam: { t: 0, m: new Map(), v: new Map() }, rng: augRng.getState(), info: {} });
          } else sinceBest++;
          log(`train: step ${step}/${totalSteps} epoch ${epoch} dev acc ${(100 * d.acc).toFixed(2)}% nll ${d.nll.toFixed(4)} (best ${(100 * bestDevAcc).toFixed(2)}% at ${bestStep})`);
          if (cfg.patience > 0 && sinceBest >= cfg.patience) {
            log(`train: early stop: no dev improvement in ${cfg.patience} evaluations`);
            stop = true;
          }
        }
        if (rec.step !== undefined) records.push(rec);
        if (opts.shouldStop?.(step)) stop = interrupted = true;
        if (step % stepsPerEpoch === 0) {
          epoch++;
          orderStart = nextOrderStart;
        }
        if (step % ckptEvery === 0 || stop) checkpoint();
      }
    }
  } finally {
    bar.stop();
    if (opts.handleSignals !== false) {
      process.off('SIGINT', sigint);
      process.off('SIGTERM', sigterm);
    }
  }
  if (step > 0 && !listCheckpoints(expDir).includes(step)) checkpoint();
  writeMetrics();

  if (interrupted) {
    await model.dispose();
    log(`train: interrupted at step ${step}; continue with --resume`);
    return { steps: step, bestDevAcc, bestStep, finalDevAcc: NaN, finalDevNll: NaN, chosen: 'best', interrupted, modelPath: '', engine: model.name };
  }

  // final model: best-dev weights vs the average of the last K checkpoints, chosen on dev
  const best = fs.existsSync(bestDir) ? loadCheckpoint(bestDir).weights : model.getWeights();
  let chosen: 'best' | 'average' = 'best';
  let final = best;
  let fm = await devMetrics(opts.model, best, dev, C, evalOpts);
  const ks = listCheckpoints(expDir).slice(-cfg.averageLast);
  if (cfg.averageLast > 1 && ks.length > 1) {
    const avg = averageWeights(ks.map((s) => loadCheckpoint(checkpointDir(expDir, s)).weights));
    const am = await devMetrics(opts.model, avg, dev, C, evalOpts);
    log(`train: final candidates on dev: best (step ${bestStep}) ${(100 * fm.acc).toFixed(2)}% / nll ${fm.nll.toFixed(4)}; average of steps ${ks.join(',')} ${(100 * am.acc).toFixed(2)}% / nll ${am.nll.toFixed(4)}`);
    if (am.acc > fm.acc || (am.acc === fm.acc && am.nll < fm.nll)) {
      chosen = 'average';
      final = avg;
      fm = am;
    }
  }
  const summary = { chosen, steps: step, bestStep, devAcc: fm.acc, devNll: fm.nll, averaged: chosen === 'average' ? ks : undefined };
  const out = exportModel(opts.model, final, { 'jemda.train': JSON.stringify(summary), ...(opts.extraMetadata ?? {}) });
  const modelPath = path.join(expDir, 'model.onnx');
  saveModel(modelPath, out);
  await model.dispose();
  log(`train: wrote ${modelPath} (${chosen}; dev acc ${(100 * fm.acc).toFixed(2)}%, nll ${fm.nll.toFixed(4)})`);
  return { steps: step, bestDevAcc, bestStep, finalDevAcc: fm.acc, finalDevNll: fm.nll, chosen, interrupted, modelPath, engine: model.name };
}
