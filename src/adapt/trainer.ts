/**
 * The one adaptation trainer for every method (jem, adabn, tent, pseudo-label, supervised,
 * source-only): a deterministic step loop with checkpoints, resume, a divergence guard,
 * checkpoint averaging, metrics.jsonl and a progress bar.
 *
 * Determinism: batch order is a function of (seed generation, stream, epoch, position); SGLD noise
 * comes from a sampler Rng and buffer draws from the buffer's own Rng, both saved in checkpoints
 * with the Adam state and all weights (BatchNorm statistics included). A run resumed from step-N
 * therefore continues exactly as the uninterrupted run would.
 *
 * Every method runs on the one engine interface (src/engine/engine.ts: onnxruntime or tfjs, the
 * same code for both): losses are ∂L/∂logits in JS (src/jem/objective.ts), AdaBN is exact pooled
 * statistics (adabn-pool.ts), and the one AdamW of src/engine/adamw.ts updates the trainer's
 * Float32Array weights in place, which are handed back to the engine after every step.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EnergyGrad } from '../model/types.ts';
import type { GradEngine } from '../engine/engine.ts';
import { ConfigError, DivergenceError } from '../util/errors.ts';
import { log, warn } from '../util/log.ts';
import { progress } from '../util/progress.ts';
import { Rng, hashString } from '../util/rng.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { ReplayBuffer } from '../jem/replay-buffer.ts';
import { fitClassGaussians, fitUniformInit, type InitDistribution } from '../jem/buffer-init.ts';
import { dataClampBox, sgldOptions, sgldSample, type SgldOptions } from '../jem/sampler.ts';
import { crossEntropyTerm, ebmWeightAt, entropyGrad, jemLoss, type GradResult, type JemWeights } from '../jem/objective.ts';
import { softmaxRows } from '../util/logsumexp.ts';
import { labelMarginal } from '../jem/marginal-prior.ts';
import { samplerBnMode, sgldOptionsFromConfig, type AdaptConfig, type Method } from './config.ts';
import { AdamW, decayRank2 } from '../engine/adamw.ts';
import { updateRunningStats } from '../model/vjp-ort.ts';
import { AdabnPool } from './adabn-pool.ts';
import { GapMonitor, gradSum, nextStepSize, rmsDisplacement, termGradMetrics, type ParamGrads } from '../jem/health.ts';
import { lineChartsSvg } from '../eval/plots.ts';
import { averageWeights } from '../engine/averaging.ts';
import { checkpointDir, listCheckpoints, loadCheckpoint, pruneCheckpoints, saveCheckpoint, saveFinalWeights, type TrainState } from './checkpoint.ts';
import { batchIndices, gatherRows, generationSeed } from './data-order.ts';
import type { LabeledSet, UnlabeledSet } from './types.ts';

export interface TrainerOptions {
  method: Method;
  /**
   * The parameter-gradient engine every method computes its forward passes and gradients on. The
   * trainer keeps the weights as Float32Arrays, updated in place by AdamW and handed back to the
   * engine (and to a separate `energyGrad`) after every step.
   */
  engine: GradEngine;
  /** SGLD backend (jem only). */
  energyGrad: EnergyGrad | null;
  /** JEM: the parameters the energy terms train (--ebm-params bn: BatchNorm scale/bias); null = all. */
  ebmParams?: ReadonlySet<string> | null;
  /** Class-conditional backend for the p(x|y) term when energyGrad cannot take classes (ort graphs). */
  energyGradClass?: EnergyGrad | null;
  /** True when energyGrad evaluates the engine's own tfjs model (it sees setWeights): no copies needed. */
  samplerSharesModel: boolean;
  exampleShape: number[];
  numClasses: number;
  source: LabeledSet | null;
  target: UnlabeledSet;
  /** Target labels: ONLY for the `supervised` oracle. */
  oracleTarget?: LabeledSet;
  config: AdaptConfig;
  expDir: string;
  seed: number;
  resume: boolean;
  /** Polled before each step (SIGINT/SIGTERM): write a checkpoint and return. */
  shouldStop?: () => boolean;
}

export interface TrainerResult {
  weights: Map<string, Float32Array>;
  steps: number;
  interrupted: boolean;
  failures: number;
  averagedOver: number[];
  pseudoLabelCount?: number;
}

interface StepOutcome {
  ok: boolean;
  reason?: string;
  metrics: Record<string, number>;
}

export function totalSteps(method: Method, cfg: AdaptConfig, nTarget: number): number {
  if (method === 'source-only') return 0;
  if (method === 'adabn') return cfg.adabnPasses * Math.max(1, Math.ceil(nTarget / cfg.batchSize));
  return cfg.steps;
}

export async function runTrainer(o: TrainerOptions): Promise<TrainerResult> {
  const cfg = o.config;
  const { method } = o;
  const eng = o.engine;
  const dim = o.exampleShape.reduce((a, b) => a * b, 1);
  if (o.target.x.length !== o.target.n * dim) throw new ConfigError(`target data: ${o.target.x.length} values are not ${o.target.n} × ${dim}`);
  if (method === 'supervised' && !o.oracleTarget) throw new ConfigError('method supervised needs labeled target data');
  if (method === 'jem' && !o.energyGrad) throw new ConfigError('method jem needs an SGLD backend (EnergyGrad)');
  const needsSource = method === 'jem' && (cfg.xentWeight > 0 || cfg.marginalWeight > 0);
  if (needsSource && !o.source) throw new ConfigError('method jem with --xent-weight or --marginal-weight > 0 needs labeled source data (--source)');
  // The label-marginal prior of --marginal-weight: class frequencies of the labeled source data.
  const sourcePrior = method === 'jem' && cfg.marginalWeight > 0 && o.source ? labelMarginal(o.source.y, o.numClasses) : null;

  // The one set of weight arrays (engine inputs, sampler inputs, AdamW updates in place), and the
  // trainable ones among them by initializer name.
  const cur = new Map<string, Float32Array>();
  const trainW = new Map<string, Float32Array>();
  for (const [k, a] of eng.getWeights()) cur.set(k, Float32Array.from(a));
  eng.setWeights(cur);
  for (const k of await eng.trainableNames()) trainW.set(k, cur.get(k) as Float32Array);
  const shapes = eng.getShapes();
  const gradMethod = method === 'jem' || method === 'tent' || method === 'pseudo-label' || method === 'supervised';
  if (gradMethod && trainW.size === 0) throw new ConfigError(`method ${method}: the model has no trainable parameters`);

  const adamOpts = { beta1: cfg.beta1, beta2: cfg.beta2, eps: 1e-8, weightDecay: cfg.weightDecay, clipNorm: cfg.gradClip };
  const adam = new AdamW(adamOpts, decayRank2(shapes));
  // --ebm-optimizer separate: the energy terms' own Adam (own moments, own clip, lr × ebm weight).
  const separateEnergy = method === 'jem' && cfg.ebmOptimizer === 'separate';
  const adamE = separateEnergy ? new AdamW({ ...adamOpts, clipNorm: cfg.ebmGradClip }, decayRank2(shapes)) : null;
  const getWeights = (): Map<string, Float32Array> => new Map([...cur].map(([k, a]) => [k, Float32Array.from(a)]));
  const setWeights = (w: Map<string, Float32Array>): void => {
    for (const [k, a] of w) cur.get(k)?.set(a);
    eng.setWeights(cur);
  };
  const pool = method === 'adabn' ? new AdabnPool() : null;
  const training = cfg.bnMode === 'train';
  const total = totalSteps(method, cfg, o.target.n);

  // Pseudo-labels come from the SOURCE model (the weights before any update), so recomputing
  // them on resume gives the same set.
  let pseudo: LabeledSet | null = null;
  if (method === 'pseudo-label') {
    pseudo = await pseudoLabels(eng, o.target, dim, cfg.pseudoThreshold, cfg.batchSize);
  }

  let buffer: ReplayBuffer | null = null;
  const sgldOpts: SgldOptions | null =
    method === 'jem'
      ? sgldOptions({ ...sgldOptionsFromConfig(cfg), clamp: cfg.sgldClamp === 'data' ? dataClampBox(o.target.x, dim, cfg.sgldClampMargin) : null })
      : null;
  if (method === 'jem') {
    const init = bufferInit(cfg, o, dim);
    buffer = new ReplayBuffer(
      { size: cfg.bufferSize, dim, reinitProb: cfg.bufferReinit, init, classPartitioned: cfg.bufferClassPartitioned, numClasses: o.numClasses },
      hashString(`${o.seed}:buffer`),
    );
  }
  let samplerRng = new Rng(hashString(`${o.seed}:sgld`));
  const gapMonitor = new GapMonitor();
  let state: TrainState = { step: 0, seed: o.seed, generation: 0, failures: 0, samplerRng: samplerRng.getState(), method };

  let failures = 0;
  const metricsFile = path.join(o.expDir, 'metrics.jsonl');
  fs.mkdirSync(o.expDir, { recursive: true });
  const existing = listCheckpoints(o.expDir);
  const restore = (dir: string, ck = loadCheckpoint(dir)): void => {
    setWeights(ck.weights);
    const opt = ck.optimizer ?? { t: 0, m: new Map(), v: new Map() };
    adam.setState(opt);
    adamE?.setState(ck.optimizerEnergy ?? { t: 0, m: new Map(), v: new Map() });
    if (ck.buffer) buffer = ck.buffer;
    samplerRng = new Rng(0);
    samplerRng.setState(ck.state.samplerRng);
    state = { ...ck.state };
  };
  if (o.resume && existing.length > 0) {
    const last = existing[existing.length - 1];
    const ck = loadCheckpoint(checkpointDir(o.expDir, last));
    if (ck.state.method !== method) throw new ConfigError(`${checkpointDir(o.expDir, last)} was written by another method; use a new EXPDIR`);
    restore(checkpointDir(o.expDir, last), ck);
    log(`resuming ${method} from ${checkpointDir(o.expDir, last)} (step ${state.step}/${total})`);
    truncateMetrics(metricsFile, state.step);
  } else {
    if (o.resume) log(`no checkpoint in ${o.expDir}; starting from step 0`);
    fs.rmSync(path.join(o.expDir, 'checkpoints'), { recursive: true, force: true });
    writeFileAtomic(metricsFile, '');
    if (cfg.bnInit === 'target' && method !== 'adabn' && method !== 'source-only') await initBnFromTarget();
    save();
  }
  syncSampler();
  failures = state.failures;

  /** --bn-init target: BatchNorm running statistics re-estimated on all target data before step 0
   * (exact pooled statistics), like AdaBN. Part of the step-0 checkpoint, so a resumed run starts
   * from the same statistics. */
  async function initBnFromTarget(): Promise<void> {
    const B = cfg.batchSize;
    const perPass = Math.max(1, Math.ceil(o.target.n / B));
    const p = new AdabnPool();
    for (let pos = 0; pos < perPass; pos++) {
      const idx = Array.from({ length: Math.min(B, o.target.n - pos * B) }, (_, i) => pos * B + i);
      const r = await eng.forwardWithStats(gatherRows(o.target.x, dim, idx), idx.length, { bnMode: 'train' });
      p.add(r.bnStats, idx.length);
    }
    p.writeRunning(cur);
    eng.setWeights(cur);
    log(`bn-init target: BatchNorm statistics re-estimated on ${o.target.n} target examples`);
  }

  function syncSampler(): void {
    if (!o.energyGrad || o.samplerSharesModel) return;
    o.energyGrad.setWeights(cur);
    o.energyGradClass?.setWeights(cur);
  }

  function save(): void {
    state.samplerRng = samplerRng.getState();
    state.failures = failures;
    const optimizer = gradMethod ? adam.getState() : null;
    saveCheckpoint(o.expDir, { state: { ...state }, weights: cur, optimizer, optimizerEnergy: adamE?.getState() ?? null, buffer });
    pruneCheckpoints(o.expDir, Math.max(cfg.keepCheckpoints, cfg.averageLast, 1));
  }

  const bar = progress(`adapt ${method}`, Math.max(0, total - state.step));
  let interrupted = false;
  try {
    while (state.step < total) {
      await new Promise((r) => setImmediate(r)); // let signal handlers run between steps
      if (o.shouldStop?.()) {
        save();
        log(`interrupted: checkpoint written at step ${state.step} (${checkpointDir(o.expDir, state.step)}); continue with --resume`);
        interrupted = true;
        break;
      }
      const t0 = Date.now();
      const seed = generationSeed(o.seed, state.generation);
      let out: StepOutcome;
      if (method === 'jem') out = await jemStep(state.step, seed);
      else if (method === 'adabn') out = await adabnStep(state.step);
      else out = await gradStep(state.step, seed);
      if (!out.ok) {
        failures++;
        const ckSteps = listCheckpoints(o.expDir);
        const from = ckSteps[ckSteps.length - 1];
        const event = { event: 'divergence', step: state.step, reason: out.reason, failure: failures, restoredFrom: from };
        fs.appendFileSync(metricsFile, JSON.stringify(event) + '\n');
        if (failures >= cfg.maxFailures) {
          throw new DivergenceError(
            `adaptation diverged ${failures} times (last at step ${state.step}: ${out.reason}); lower the learning rate or the SGLD step size, or add --sgld-clip / --l2-weight`,
          );
        }
        restore(checkpointDir(o.expDir, from));
        state.generation = Math.max(state.generation, failures);
        const newSeed = generationSeed(o.seed, state.generation);
        samplerRng = new Rng(hashString(`${newSeed}:sgld`));
        if (buffer) buffer.rng.setState(new Rng(hashString(`${newSeed}:buffer`)).getState());
        syncSampler();
        warn(`divergence at step ${event.step} (${out.reason}); restored step-${from}, retry ${failures}/${cfg.maxFailures - 1} with seed ${newSeed}`);
        continue;
      }
      state.step++;
      if (method === 'jem') syncSampler();
      const line: Record<string, unknown> = { step: state.step, method, ...out.metrics, seconds: (Date.now() - t0) / 1000 };
      const atCheckpoint = state.step % cfg.checkpointEvery === 0 || state.step === total;
      if (buffer && atCheckpoint) line.buffer = buffer.stats();
      fs.appendFileSync(metricsFile, JSON.stringify(line) + '\n');
      if (atCheckpoint) save();
      bar.tick(1, out.metrics.loss !== undefined ? { loss: out.metrics.loss.toFixed(4) } : undefined);
    }
  } finally {
    bar.stop();
  }
  let weights = getWeights();
  const averagedOver: number[] = [];
  if (!interrupted && cfg.averageLast > 1 && total > 0) {
    const steps = listCheckpoints(o.expDir).filter((s) => s > 0).slice(-cfg.averageLast);
    if (steps.length > 1) {
      weights = averageWeights(steps.map((s) => loadCheckpoint(checkpointDir(o.expDir, s)).weights));
      averagedOver.push(...steps);
      log(`averaged the weights of checkpoints ${steps.join(', ')}`);
    }
  }
  if (!interrupted) saveFinalWeights(o.expDir, weights);
  if (method === 'jem') writeEnergyPlot(metricsFile, path.join(o.expDir, 'energies.svg'));
  const gaps = gapMonitor.summary();
  if (gaps) {
    log(
      `SGLD gap E(samples) − E(data) after sampling: ${gaps.first.toFixed(1)} at the first update, ${gaps.last.toFixed(1)} at the last, ` +
        `lowest ${gaps.min.toFixed(1)}; ${gaps.below}/${gaps.n} updates below −${gapMonitor.threshold} (plot: ${path.join(o.expDir, 'energies.svg')})`,
    );
  }
  return { weights, steps: state.step, interrupted, failures, averagedOver, pseudoLabelCount: pseudo?.n };

  // ---- steps ---------------------------------------------------------------------------------

  function verdict(metrics: Record<string, number>, energies: number[]): StepOutcome {
    const bad = (k: string, v: number): StepOutcome => ({ ok: false, reason: `${k} = ${v}`, metrics });
    if (!Number.isFinite(metrics.loss)) return bad('loss', metrics.loss);
    if (Math.abs(metrics.loss) > cfg.maxAbsLoss) return bad('|loss|', metrics.loss);
    for (const e of energies) if (!Number.isFinite(e) || Math.abs(e) > cfg.maxAbsEnergy) return bad('energy', e);
    if (!Number.isFinite(metrics.gradNorm)) return bad('gradient norm', metrics.gradNorm);
    return { ok: true, metrics };
  }

  async function jemStep(step: number, seed: number): Promise<StepOutcome> {
    const eg = o.energyGrad as EnergyGrad;
    const buf = buffer as ReplayBuffer;
    const B = cfg.batchSize;
    const xt = gatherRows(o.target.x, dim, batchIndices(o.target.n, B, step, seed, 'target'));
    if (cfg.dataNoise > 0) for (let i = 0; i < xt.length; i++) xt[i] += cfg.dataNoise * samplerRng.normal();
    // The data energy the samples are compared with (gap, adaptive stopping), in the sampler's
    // BatchNorm mode: eval, or train with the target batch's own statistics as the loss scores it.
    const sbn = samplerBnMode(cfg);
    const dataEnergy = meanEnergy(await eng.forward(xt, B, { bnMode: sbn }), B, o.numClasses);
    const mix = cfg.bufferMixSteps > 0 ? cfg.bufferMix * Math.max(0, 1 - step / cfg.bufferMixSteps) : cfg.bufferMix;
    const ebmW = ebmWeightAt(step, { weight: cfg.ebmWeight, warmup: cfg.ebmWarmup, decay: cfg.ebmDecay });
    // No energy term at this step (ebm weight 0 and no E² regulariser): no samples to draw.
    const energyOn = ebmW > 0 || cfg.l2Weight > 0;
    const draw = energyOn ? buf.draw(cfg.sgldBatchSize, { real: xt, mix }) : null;
    const tSgld = performance.now();
    const stepSize = state.sgldStepSize ?? cfg.sgldStepSize;
    const opts = { ...(sgldOpts as SgldOptions), stepSize };
    const sg = draw ? await sgldSample(eg, draw.x, cfg.sgldBatchSize, opts, samplerRng, { chainSteps: draw.chainSteps, dataEnergy }) : null;
    if (draw && sg) buf.update(draw.slots, sg.x, sg.chainSteps);
    let src: { x: Float32Array; y: Int32Array } | null = null;
    if (o.source && (cfg.xentWeight > 0 || cfg.pxyWeight > 0)) {
      const idx = batchIndices(o.source.n, B, step, seed, 'source');
      src = { x: gatherRows(o.source.x, dim, idx), y: Int32Array.from(idx, (i) => o.source!.y[i]) };
    }
    let pxy: { x: Float32Array; y: Int32Array; samples: Float32Array } | null = null;
    let pxySteps = 0;
    if (src && cfg.pxyWeight > 0) {
      const d2 = buf.draw(B, { classes: src.y, real: src.x, mix });
      const s2 = await sgldSample(o.energyGradClass ?? eg, d2.x, B, sgldOpts as SgldOptions, samplerRng, { chainSteps: d2.chainSteps, classes: src.y, dataEnergy: undefined });
      buf.update(d2.slots, s2.x, s2.chainSteps);
      pxy = { x: src.x, y: src.y, samples: s2.x };
      pxySteps = s2.steps;
    }
    const jw: JemWeights = {
      xent: cfg.xentWeight,
      ebm: ebmW,
      l2: cfg.l2Weight,
      pxy: cfg.pxyWeight,
      marginal: cfg.marginalWeight,
      prior: sourcePrior ?? undefined,
      marginalRunning: state.marginalRunning ?? null,
      marginalMomentum: cfg.marginalMomentum,
      ebmParams: o.ebmParams ?? null,
      separateEnergy,
    };
    const tUpdate = performance.now();
    const termGrads: Record<string, ParamGrads> = {};
    const sgldSeconds = (tUpdate - tSgld) / 1000;
    // the energy optimizer's learning rate: lr × the energy weight (lr when only E² is on)
    const lrEnergy = cfg.lr * (ebmW > 0 ? ebmW : 1);
    const r = applyGrads(
      await jemLoss(
        eng,
        o.numClasses,
        dim,
        { source: src ?? undefined, target: xt, samples: sg?.x, pxy: pxy ? { x: pxy.x, y: pxy.y, samples: pxy.samples, sampleY: pxy.y } : undefined },
        jw,
        training,
        cfg.sampleBnMode === 'eval' ? false : training,
        termGrads,
      ),
      lrEnergy,
    );
    const batchMarginal = r.batchMarginal;
    if (batchMarginal && cfg.marginalWeight > 0) {
      const prev = state.marginalRunning;
      const m = cfg.marginalMomentum;
      state.marginalRunning = Array.from(batchMarginal, (v, k) => (prev ? m * prev[k] + (1 - m) * v : v));
    }
    const metrics: Record<string, number> = {
      loss: r.loss,
      ...r.parts,
      ebmWeight: ebmW,
      dataEnergyEval: dataEnergy,
      pxySgldSteps: pxySteps,
      gradNorm: r.gradNorm,
      ...(r.gradNormEnergy !== undefined ? { gradNormEnergy: r.gradNormEnergy } : {}),
      sgldSeconds,
      updateSeconds: (performance.now() - tUpdate) / 1000,
    };
    if (Object.keys(termGrads).length > 0) {
      // per-term gradient norms (all parameters / the ones each term trains) and cosines; the
      // energy term is eData + eSamples
      if (termGrads.eData && termGrads.eSamples) termGrads.ebm = gradSum(termGrads.eData, termGrads.eSamples);
      const all = new Set(trainW.keys());
      const energyTrained = o.ebmParams ? new Set([...all].filter((k) => o.ebmParams!.has(k))) : all;
      const trained: Record<string, ReadonlySet<string>> = {};
      for (const t of Object.keys(termGrads)) trained[t] = t === 'eData' || t === 'eSamples' || t === 'ebm' ? energyTrained : all;
      Object.assign(metrics, termGradMetrics(termGrads, trained));
    }
    const energies = [dataEnergy, r.parts.eData];
    if (sg && draw) {
      const sampleEnergy = sg.energyTrace[sg.energyTrace.length - 1];
      const gap = sampleEnergy - dataEnergy;
      const warning = gapMonitor.add(step + 1, gap);
      if (warning) warn(warning);
      if (cfg.sgldGapControl > 0) {
        state.sgldStepSize = nextStepSize(stepSize, gap, { target: cfg.sgldGapTarget, rate: cfg.sgldGapControl, min: cfg.sgldStepSize / 1000, max: 10 * cfg.sgldStepSize });
      }
      Object.assign(metrics, {
        gap,
        gapStart: sg.energyTrace[0] - dataEnergy,
        sgldMove: rmsDisplacement(draw.x, sg.x),
        sampleEnergyEval: sampleEnergy,
        sampleEnergyStart: sg.energyTrace[0],
        sgldSteps: sg.steps,
        sgldGradNorm: sg.gradNorm,
        sgldClipped: sg.clippedFraction,
        sgldAtClamp: sg.clampedFraction,
        sgldStepSize: stepSize,
        reinitDrawn: draw.reinit.reduce((a, b) => a + b, 0),
      });
      energies.push(sampleEnergy, r.parts.eSamples);
    }
    return verdict(metrics, energies);
  }

  /**
   * The batch of a gradient baseline step: target rows for tent (no labels); otherwise rows of the
   * labeled set (oracle labels or pseudo-labels) with their labels, or null when it is empty.
   */
  function baselineBatch(step: number, seed: number): { x: Float32Array; y: Int32Array | null } | null {
    const B = cfg.batchSize;
    if (method === 'tent') return { x: gatherRows(o.target.x, dim, batchIndices(o.target.n, B, step, seed, 'target')), y: null };
    const set = method === 'supervised' ? (o.oracleTarget as LabeledSet) : (pseudo as LabeledSet);
    if (set.n === 0) return null;
    const idx = batchIndices(set.n, B, step, seed, method);
    return { x: gatherRows(set.x, dim, idx), y: Int32Array.from(idx, (i) => set.y[i]) };
  }

  function applyGrads(r: GradResult, lrEnergy = cfg.lr): { loss: number; parts: Record<string, number>; gradNorm: number; gradNormEnergy?: number; batchMarginal?: Float64Array } {
    let gradNorm = NaN;
    let gradNormEnergy: number | undefined;
    if (Number.isFinite(r.loss) && Math.abs(r.loss) <= cfg.maxAbsLoss && Object.values(r.parts).every(Number.isFinite)) {
      const own = (g: Map<string, Float32Array>) => new Map([...g].filter(([k]) => trainW.has(k)));
      // With a separate energy optimizer both updates are computed from the same (pre-update) weights' gradients.
      gradNorm = r.grads.size > 0 || !r.energyGrads ? adam.step(trainW, own(r.grads), cfg.lr) : 0;
      if (r.energyGrads && adamE) {
        gradNormEnergy = r.energyGrads.size > 0 ? adamE.step(trainW, own(r.energyGrads), lrEnergy) : 0;
        if (!Number.isFinite(gradNormEnergy)) gradNorm = gradNormEnergy;
      }
    }
    // The running statistics follow the (pre-update) target batch.
    if (training && r.bnStats) updateRunningStats(cur, r.bnStats);
    eng.setWeights(cur);
    return { loss: r.loss, parts: r.parts, gradNorm, gradNormEnergy, batchMarginal: r.batchMarginal };
  }

  async function gradStep(step: number, seed: number): Promise<StepOutcome> {
    const B = cfg.batchSize;
    const K = o.numClasses;
    const bnMode = training ? 'train' : 'eval';
    const batch = baselineBatch(step, seed);
    if (!batch) return { ok: true, metrics: { loss: 0, gradNorm: 0 } };
    const { x, y } = batch;
    let r: GradResult;
    if (!y) {
      const g = await eng.lossAndGrad(x, B, (logits) => entropyGrad(logits, B, K), { bnMode });
      r = { loss: g.loss, parts: { entropy: g.loss }, grads: g.grads, bnStats: g.bnStats };
    } else {
      const g = await crossEntropyTerm(eng, x, y, K, 1, { bnMode });
      r = { loss: g.loss, parts: { xent: g.loss }, grads: g.grads, bnStats: g.bnStats };
    }
    const a = applyGrads(r);
    return verdict({ loss: a.loss, ...a.parts, gradNorm: a.gradNorm }, []);
  }

  async function adabnStep(step: number): Promise<StepOutcome> {
    const p = pool as AdabnPool;
    const B = cfg.batchSize;
    const perPass = Math.max(1, Math.ceil(o.target.n / B));
    // Batches of the first pass, in order; later passes add nothing (the batch statistics depend
    // only on the unchanged weights). After a resume the pool is rebuilt by replaying them.
    const need = Math.min(perPass, step + 1);
    while (p.positions < need) {
      const pos = p.positions;
      const idx = Array.from({ length: Math.min(B, o.target.n - pos * B) }, (_, i) => pos * B + i);
      const r = await eng.forwardWithStats(gatherRows(o.target.x, dim, idx), idx.length, { bnMode: 'train' });
      p.add(r.bnStats, idx.length);
    }
    p.writeRunning(cur);
    eng.setWeights(cur);
    return { ok: true, metrics: { pooledBatches: p.positions } };
  }
}

function bufferInit(cfg: AdaptConfig, o: TrainerOptions, dim: number): InitDistribution {
  if (cfg.bufferInit === 'class-gaussian') {
    if (!o.source) throw new ConfigError('--buffer-init class-gaussian needs labeled source data');
    return fitClassGaussians(o.source.x, o.source.y, dim, o.numClasses, cfg.bufferInitRank, new Rng(hashString(`${o.seed}:init`)));
  }
  const from = cfg.bufferInitFrom === 'source' && o.source ? o.source : o.target;
  return fitUniformInit(from.x, dim, cfg.bufferInitK);
}

/** Mean energy −logsumexp of logits [B, K]. */
function meanEnergy(logits: Float32Array, B: number, K: number): number {
  const { lse } = softmaxRows(logits, B, K);
  let s = 0;
  for (const v of lse) s -= v;
  return s / B;
}

/** Confident argmax labels of the current (source) model on the target data (eval-mode forward). */
export async function pseudoLabels(eng: GradEngine, target: UnlabeledSet, dim: number, threshold: number, batch: number): Promise<LabeledSet> {
  const K = eng.numClasses;
  const keep: number[] = [];
  const labels: number[] = [];
  for (let s = 0; s < target.n; s += batch) {
    const n = Math.min(batch, target.n - s);
    const { p } = softmaxRows(await eng.forward(target.x.subarray(s * dim, (s + n) * dim), n, { bnMode: 'eval' }), n, K);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 1; c < K; c++) if (p[i * K + c] > p[i * K + best]) best = c;
      if (p[i * K + best] >= threshold) {
        keep.push(s + i);
        labels.push(best);
      }
    }
  }
  if (keep.length === 0) warn(`pseudo-label: no target example reaches confidence ${threshold}; the model stays unchanged`);
  else log(`pseudo-label: ${keep.length}/${target.n} target examples above confidence ${threshold}`);
  return { x: gatherRows(target.x, dim, keep), n: keep.length, ids: keep.map((i) => target.ids[i]), y: Int32Array.from(labels) };
}

/** energies.svg of a JEM run: data and sample energies, and the per-term gradient norms, over updates. */
function writeEnergyPlot(metricsFile: string, out: string): void {
  const recs = fs
    .readFileSync(metricsFile, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => typeof r.step === 'number' && r.event === undefined);
  const pts = (key: string): [number, number][] => recs.filter((r) => typeof r[key] === 'number').map((r) => [r.step as number, r[key] as number]);
  const normKeys = [...new Set(recs.flatMap((r) => Object.keys(r).filter((k) => k.startsWith('gradNormTrained.'))))];
  writeFileAtomic(
    out,
    lineChartsSvg([
      {
        title: 'energies (in the sampler\'s BatchNorm mode)',
        xLabel: 'update',
        yLabel: 'mean E',
        series: [
          { name: 'target data', points: pts('dataEnergyEval') },
          { name: 'samples before SGLD', points: pts('sampleEnergyStart') },
          { name: 'samples after SGLD', points: pts('sampleEnergyEval') },
        ],
      },
      {
        title: 'gradient norm per term (trained parameters)',
        xLabel: 'update',
        yLabel: '‖g‖',
        series: normKeys.map((k) => ({ name: k.slice('gradNormTrained.'.length), points: pts(k) })),
      },
    ]),
  );
}

function truncateMetrics(file: string, step: number): void {
  if (!fs.existsSync(file)) return;
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const kept = lines.filter((l) => {
    try {
      const j = JSON.parse(l) as { step?: number };
      return j.step === undefined || j.step <= step;
    } catch {
      return false; // a line cut by a kill -9
    }
  });
  writeFileAtomic(file, kept.map((l) => l + '\n').join(''));
}
