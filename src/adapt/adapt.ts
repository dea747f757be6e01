/**
 * `adapt()`: the ONNX-level entry point used by `jemda adapt`. Reads the model and its front end
 * (metadata, or an override for "bring your own model"), turns the data dirs into model inputs,
 * picks the parameter-gradient engine (onnxruntime VJP graphs on CPU backends, the tfjs importer
 * when tfjs-node(-gpu) is the backend or with engine 'tfjs'), builds the SGLD backend (onnxruntime
 * by default, tfjs fallback), runs the trainer and exports EXPDIR/adapted.onnx with metadata saying
 * how it was adapted. SIGINT/SIGTERM write a checkpoint and return { interrupted: true }.
 */
import { checkFrontEndFitsModel } from '../model/input-check.ts';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel, saveModel, type ModelProto } from '../model/onnx-io.ts';
import { FRONTEND_KEY, LABELS_KEY, modelFrontEnd, modelLabels, requireModelLabels, type FrontEnd } from '../model/frontend.ts';
import { EnergyGradOrt } from '../model/energy-grad-ort.ts';
import { EnergyGradVjp } from '../model/energy-grad-vjp.ts';
import { exportModel } from '../model/exporter.ts';
import type { EnergyGrad, Trainable } from '../model/types.ts';
import { ConfigError, MismatchError } from '../util/errors.ts';
import { log, warn } from '../util/log.ts';
import { writeJsonAtomic } from '../util/atomic.ts';
import { needsSource, resolveConfig, samplerBnMode, trainableFor, usesSampler, type AdaptConfig, type Method, METHODS } from './config.ts';
import { classifierHead, classifierHeadBias } from '../model/head.ts';
import { labelMarginal } from '../jem/marginal-prior.ts';
import { priorMatchWeights } from './prior-match.ts';
import { loadLabeled, loadUnlabeled } from './inputs.ts';
import { runTrainer, type TrainerResult } from './trainer.ts';
import type { LabeledSet } from './types.ts';
import { fixedWeights, resolveTrainable } from '../model/vjp-graph.ts';
import { findLogits } from '../model/logits.ts';
import type { ImportedModel } from '../model/types.ts';
import type { EngineChoice } from '../engine/resolve.ts';
import { engineModel, openGradEngine } from '../engine/open.ts';
import { DataParallelEnergyGrad, DataParallelEngine } from '../engine/data-parallel.ts';
import { OrtWorkerPool, defaultWorkers } from '../engine/ort-workers.ts';
import type { VjpOrt } from '../model/vjp-ort.ts';
import { scaleSgldConfig, sgldScaleFor } from './sgld-scale.ts';

export const ADAPTATION_KEY = 'jemda.adaptation';

export interface AdaptArgs {
  method: Method;
  modelPath: string;
  sourceDir?: string;
  targetDir: string;
  expDir: string;
  config?: Partial<AdaptConfig>;
  resume?: boolean;
  seed?: number;
  samplerBackend?: 'ort' | 'tfjs';
  /** Parameter-gradient engine (default 'auto'). */
  engine?: EngineChoice;
  /** Front end override (JSON file contents parsed), for models without `jemda.frontend`. */
  frontEnd?: FrontEnd;
  /** Label list override, for models without `jemda.labels`. */
  labels?: string[];
  /** Logits tensor name override. */
  logits?: string;
  threads?: number;
  /**
   * Worker threads for the eval-mode BatchNorm passes (SGLD chains, VJPs), each with one
   * onnxruntime thread on its block of rows (src/engine/ort-workers.ts); < 2 = none. Default:
   * --threads when given, else the cores (at most 4).
   */
  workers?: number;
}

export interface AdaptOutcome {
  adaptedPath: string | null;
  result: TrainerResult;
}

export async function adapt(a: AdaptArgs): Promise<AdaptOutcome> {
  if (!METHODS.includes(a.method)) throw new ConfigError(`unknown method '${a.method}' (one of ${METHODS.join(', ')})`);
  const given = resolveConfig(a.config ?? {}, a.method);
  const seed = a.seed ?? 0;
  const proto = loadModel(a.modelPath);
  const fe = modelFrontEnd(proto, a.modelPath, a.frontEnd);
  checkFrontEndFitsModel(proto, fe, a.modelPath);
  const labels = modelLabels(proto, a.modelPath, a.labels);
  const method = a.method;
  fs.mkdirSync(a.expDir, { recursive: true });

  // Target: labels only for the oracle. Every other method reads it without labels.
  let oracle: LabeledSet | undefined;
  let exampleShape: number[] | null = null;
  let target;
  if (method === 'supervised') {
    const l = await loadLabeled(a.targetDir, fe, null, requireModelLabels(proto, a.modelPath, a.labels));
    oracle = l.set;
    exampleShape = l.exampleShape;
    target = { x: l.set.x, n: l.set.n, ids: l.set.ids };
  } else {
    const u = await loadUnlabeled(a.targetDir, fe, null);
    target = u.set;
    exampleShape = u.exampleShape;
  }
  // SGLD settings in the units of a raw waveform (sgld-scale.ts); unchanged for feature front ends
  const sgldScale = sgldScaleFor(given, fe, target.x);
  const cfg = scaleSgldConfig(given, sgldScale);
  if (sgldScale !== 1 && usesSampler(method)) {
    log(`SGLD on raw waveforms (scale s = ${sgldScale.toPrecision(4)}, the target's std): step size ${given.sgldStepSize}·s² = ${cfg.sgldStepSize.toPrecision(4)}, noise ${given.sgldNoise === 'langevin' ? 'langevin' : `${given.sgldNoise}·s = ${(cfg.sgldNoise as number).toPrecision(4)}`} (--sgld-scale none keeps them as given)`);
  }
  let source: LabeledSet | null = null;
  if (needsSource(method, cfg)) {
    if (!a.sourceDir) throw new ConfigError(`method ${method} with these options needs labeled source data: give --source DIR (or --xent-weight 0, --prior-match uniform)`);
    source = (await loadLabeled(a.sourceDir, fe, exampleShape, requireModelLabels(proto, a.modelPath, a.labels))).set;
  }

  // Fail before adapting when the head has no bias to shift.
  if (cfg.priorMatch !== 'off') classifierHeadBias(proto, findLogits(proto, a.logits).name);

  const trainable: Trainable = trainableFor(method, cfg);
  const samplerBackend = a.samplerBackend ?? 'ort';
  const logitsChoice = findLogits(proto, a.logits);
  const logitsName = logitsChoice.name;
  // The weights this method never changes stay initializers of the onnxruntime graphs (pre-packed).
  const constants = fixedWeights(proto, trainable);
  let gradEngine = await openGradEngine(proto, { choice: a.engine, logitsName, trainable, bnMode: cfg.bnMode, threads: a.threads, exampleShape, constants, what: 'adapt' });
  const engine = gradEngine.name;
  // Data parallelism over worker threads for the passes whose rows are independent (eval-mode
  // BatchNorm); the workers start right before the trainer, inside the try that closes them.
  const workers = a.workers ?? defaultWorkers(a.threads);
  const poolVjp = workers >= 2 && engine === 'ort' && cfg.bnMode === 'eval';
  const poolEnergy = workers >= 2 && usesSampler(method) && samplerBnMode(cfg) === 'eval' && samplerBackend === 'ort';
  log(`logits: '${logitsName}' (${logitsChoice.reason})`);
  // The tfjs sampler evaluates the tfjs engine's own model, or (onnxruntime engine) a copy of its own.
  const model: ImportedModel | null = engineModel(gradEngine) ?? (samplerBackend === 'tfjs' ? (await import('../model/importer.ts')).importModel(proto, { trainable, logits: a.logits }) : null);
  const numClasses = gradEngine.numClasses;
  if (labels && labels.length !== numClasses) throw new MismatchError(`${a.modelPath}: ${labels.length} labels but the model has ${numClasses} logits`);

  let energyGrad: EnergyGrad | null = null;
  let energyGradClass: EnergyGrad | null = null;
  let shares = false;
  if (usesSampler(method)) {
    // The sampler scores chains in the BatchNorm mode the loss scores samples in (one landscape).
    const sbn = samplerBnMode(cfg);
    if ((a.samplerBackend ?? 'ort') === 'ort') {
      // with workers the sampler is made with them (below)
      energyGrad = poolEnergy ? null : await createEnergyGrad(proto, { logitsName, exampleShape, threads: a.threads, bnMode: sbn, constants });
      if (cfg.pxyWeight > 0) {
        energyGradClass =
          sbn === 'eval'
            ? await EnergyGradOrt.create(proto, { logitsName, exampleShape, threads: a.threads, classConditional: true })
            : energyGrad; // the VJP sampler takes classes itself
      }
    } else {
      // The tfjs sampler shares the tfjs model; with the ort engine it is a separate copy told of every update.
      const { TfjsEnergyGrad } = await import('../jem/energy-grad-tfjs.ts');
      energyGrad = new TfjsEnergyGrad(model as ImportedModel, exampleShape, engine === 'ort', sbn === 'train');
      shares = engine === 'tfjs';
    }
    log(`SGLD sampler: ${(a.samplerBackend ?? 'ort') === 'ort' ? (sbn === 'eval' ? 'onnxruntime ∂E/∂x graph' : 'onnxruntime VJP graph') : 'tfjs'}, BatchNorm ${sbn} mode (as the loss scores samples)`);
  }

  writeJsonAtomic(path.join(a.expDir, 'config.json'), {
    method,
    model: a.modelPath,
    source: a.sourceDir ?? null,
    target: a.targetDir,
    seed,
    samplerBackend,
    engine,
    logits: logitsName,
    frontEnd: fe,
    config: cfg,
  });

  let stop: string | null = null;
  const onSignal = (sig: string) => () => {
    if (stop) process.exit(sig === 'SIGINT' ? 130 : 143); // a second signal: stop now
    stop = sig;
    log(`${sig}: finishing the current step, then writing a checkpoint`);
  };
  const handlers = { SIGINT: onSignal('SIGINT'), SIGTERM: onSignal('SIGTERM') };
  process.on('SIGINT', handlers.SIGINT);
  process.on('SIGTERM', handlers.SIGTERM);
  let ebmParams: Set<string> | null = null;
  if (usesSampler(method) && cfg.ebmParams === 'bn') {
    ebmParams = resolveTrainable(proto, 'bn');
    if (ebmParams.size === 0) {
      // asked for explicitly: an error; the recommended default on a model without BatchNorm: every parameter
      if (a.config?.ebmParams === 'bn') throw new ConfigError(`--ebm-params bn: ${a.modelPath} has no BatchNorm scale/bias initializers`);
      warn(`${a.modelPath} has no BatchNorm scale/bias: the energy terms train every parameter (--ebm-params all) instead of the recommended bn`);
      ebmParams = null;
    }
  }
  let result: TrainerResult;
  let pool: OrtWorkerPool | null = null;
  try {
    if (poolVjp || poolEnergy) {
      pool = await OrtWorkerPool.create(proto, workers, {
        vjp: poolVjp ? { logitsName, trainable, exampleShape, constants } : undefined,
        energy: poolEnergy ? { logitsName, exampleShape } : undefined,
      });
      if (poolVjp) gradEngine = new DataParallelEngine(gradEngine as VjpOrt, pool, cfg.bnMode);
      if (poolEnergy) energyGrad = new DataParallelEnergyGrad(pool, exampleShape);
      log(`onnxruntime data-parallel: ${workers} worker threads × 1 onnxruntime thread each run the eval-mode ${[poolVjp ? 'VJPs' : '', poolEnergy ? 'SGLD steps' : ''].filter(Boolean).join(' and ')} on row blocks (--workers)`);
    }
    result = await runTrainer({
      method,
      ebmParams,
      frozen: cfg.freeze === 'head' ? classifierHead(proto, logitsName) : null,
      engine: gradEngine,
      energyGrad,
      energyGradClass,
      samplerSharesModel: shares,
      exampleShape,
      numClasses,
      source,
      target,
      oracleTarget: oracle,
      config: cfg,
      expDir: a.expDir,
      seed,
      resume: a.resume ?? false,
      shouldStop: () => stop !== null,
    });
  } finally {
    process.off('SIGINT', handlers.SIGINT);
    process.off('SIGTERM', handlers.SIGTERM);
    await energyGrad?.dispose();
    if (energyGradClass !== energyGrad) await energyGradClass?.dispose();
    if (engine === 'ort') await gradEngine.dispose();
    await pool?.dispose();
  }
  if (result.interrupted) {
    model?.dispose();
    return { adaptedPath: null, result };
  }
  let weights = result.weights;
  let priorMatch: Record<string, unknown> | null = null;
  if (cfg.priorMatch !== 'off') {
    const prior = cfg.priorMatch === 'uniform' ? new Float64Array(numClasses).fill(1 / numClasses) : labelMarginal(source!.y, numClasses);
    const pm = await priorMatchWeights(proto, weights, { target, exampleShape, prior, logitsName, threads: a.threads, source: a.modelPath });
    weights = pm.weights;
    const b = Array.from(pm.match.bias);
    priorMatch = { prior: cfg.priorMatch, bias: b.map((v) => Number(v.toFixed(6))), iterations: pm.match.iterations, deviation: pm.match.deviation, largestShareBefore: pm.match.largestShareBefore };
    const top = b.reduce((j, v, k) => (Math.abs(v) > Math.abs(b[j]) ? k : j), 0);
    log(
      `prior matching (${cfg.priorMatch} prior): head bias '${pm.biasName}' shifted so the mean target prediction matches it to ${pm.match.deviation.toExponential(1)} ` +
        `(${pm.match.iterations} iterations; the most predicted class had ${(100 * pm.match.largestShareBefore).toFixed(1)} %; largest shift ${b[top].toFixed(2)} on ${labels?.[top] ?? `class ${top}`})`,
    );
  }
  const adaptedPath = path.join(a.expDir, 'adapted.onnx');
  const meta = {
    [ADAPTATION_KEY]: JSON.stringify({
      method,
      oracle: method === 'supervised',
      seed,
      steps: result.steps,
      failures: result.failures,
      averagedOver: result.averagedOver,
      source: a.sourceDir ?? null,
      target: a.targetDir,
      samplerBackend,
      engine,
      logits: logitsName,
      config: cfg,
      priorMatch,
    }),
    [FRONTEND_KEY]: JSON.stringify(fe),
    ...(labels ? { [LABELS_KEY]: JSON.stringify(labels) } : {}),
  };
  const out = exportModel(proto, weights, meta);
  saveModel(adaptedPath, out);
  model?.dispose();
  log(`wrote ${adaptedPath} (${method}, ${result.steps} steps)`);
  return { adaptedPath, result };
}

/**
 * The onnxruntime SGLD sampler for a BatchNorm mode: the derived ∂E/∂x graph (running statistics,
 * the faster one) in eval mode; the VJP graph with an input gradient in train mode, where each chain
 * batch is normalised with its own statistics and ∂E/∂x flows through them.
 */
export async function createEnergyGrad(
  proto: ModelProto,
  o: { logitsName: string; exampleShape: number[]; threads?: number; bnMode: 'train' | 'eval'; constants?: ReadonlySet<string> },
): Promise<EnergyGrad> {
  if (o.bnMode === 'eval') return EnergyGradOrt.create(proto, { logitsName: o.logitsName, exampleShape: o.exampleShape, threads: o.threads });
  return EnergyGradVjp.create(proto, { logitsName: o.logitsName, exampleShape: o.exampleShape, threads: o.threads, bnMode: 'train', constants: o.constants });
}
