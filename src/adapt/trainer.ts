/**
 * The one adaptation trainer: a deterministic step loop with checkpoints, resume, a divergence
 * guard, checkpoint averaging, metrics.jsonl and a progress bar. It knows no method by name: each
 * method (methods/<method>.ts) says what it computes at a step through the MethodContext.
 *
 * Determinism: batch order is a function of (seed generation, stream, epoch, position); SGLD noise
 * comes from a sampler Rng and buffer draws from the buffer's own Rng, both saved in checkpoints
 * with the Adam state and all weights (BatchNorm statistics included). A run resumed from step-N
 * therefore continues exactly as the uninterrupted run would.
 *
 * Every method runs on the one engine interface (src/engine/engine.ts: onnxruntime or tfjs, the
 * same code for both): losses are ∂L/∂logits in JS (src/jem/objective.ts), and the one AdamW of src/engine/adamw.ts updates the trainer's
 * Float32Array weights in place, which are handed back to the engine after every step.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, DivergenceError } from '../util/errors.ts';
import { log, warn } from '../util/log.ts';
import { progress } from '../util/progress.ts';
import { Rng, hashString } from '../util/rng.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import type { GradResult } from '../jem/objective.ts';
import { AdamW, decayRank2 } from '../engine/adamw.ts';
import { updateRunningStats } from '../model/vjp-ort.ts';
import { averageWeights } from '../engine/averaging.ts';
import { checkpointDir, listCheckpoints, loadCheckpoint, pruneCheckpoints, saveCheckpoint, saveFinalWeights, type TrainState } from './checkpoint.ts';
import { generationSeed } from './data-order.ts';
import type { TrainerOptions } from './types.ts';
import { AdabnPool } from './adabn-pool.ts';
import { createMethod } from './methods/index.ts';
import { poolTargetStats, sourceStats } from './methods/adabn.ts';
import type { MethodContext, StepOutcome, Update } from './methods/method.ts';

export type { TrainerOptions };

export interface TrainerResult {
  weights: Map<string, Float32Array>;
  steps: number;
  interrupted: boolean;
  failures: number;
  averagedOver: number[];
  pseudoLabelCount?: number;
}

export async function runTrainer(o: TrainerOptions): Promise<TrainerResult> {
  const cfg = o.config;
  const { method } = o;
  const eng = o.engine;
  const dim = o.exampleShape.reduce((a, b) => a * b, 1);
  if (o.target.x.length !== o.target.n * dim) throw new ConfigError(`target data: ${o.target.x.length} values are not ${o.target.n} × ${dim}`);

  // The one set of weight arrays (engine inputs, sampler inputs, AdamW updates in place), and the
  // trainable ones among them by initializer name.
  const cur = new Map<string, Float32Array>();
  const trainW = new Map<string, Float32Array>();
  for (const [k, a] of eng.getWeights()) cur.set(k, Float32Array.from(a));
  eng.setWeights(cur);
  for (const k of await eng.trainableNames()) if (!o.frozen?.has(k)) trainW.set(k, cur.get(k) as Float32Array);
  const shapes = eng.getShapes();
  const adam = new AdamW({ beta1: cfg.beta1, beta2: cfg.beta2, eps: 1e-8, weightDecay: cfg.weightDecay, clipNorm: cfg.gradClip }, decayRank2(shapes));
  const getWeights = (): Map<string, Float32Array> => new Map([...cur].map(([k, a]) => [k, Float32Array.from(a)]));
  const setWeights = (w: Map<string, Float32Array>): void => {
    for (const [k, a] of w) cur.get(k)?.set(a);
    eng.setWeights(cur);
  };
  const training = cfg.bnMode === 'train';

  let samplerRng = new Rng(hashString(`${o.seed}:sgld`));
  let state: TrainState = { step: 0, seed: o.seed, generation: 0, failures: 0, samplerRng: samplerRng.getState(), method };
  const ctx: MethodContext = {
    o,
    cfg,
    engine: eng,
    dim,
    cur,
    trainW,
    shapes,
    training,
    state: () => state,
    rng: () => samplerRng,
    applyGrads,
    verdict,
  };
  const m = createMethod(method, ctx);
  if (m.trains && trainW.size === 0) throw new ConfigError(`method ${method}: the model has no trainable parameters`);
  const total = m.totalSteps;
  // From the SOURCE model (the weights before any update), so a resume recomputes the same.
  await m.prepare?.();

  let failures = 0;
  const metricsFile = path.join(o.expDir, 'metrics.jsonl');
  fs.mkdirSync(o.expDir, { recursive: true });
  const existing = listCheckpoints(o.expDir);
  const restore = (dir: string, ck = loadCheckpoint(dir)): void => {
    setWeights(ck.weights);
    adam.setState(ck.optimizer ?? { t: 0, m: new Map(), v: new Map() });
    m.restore?.(ck);
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
    if (cfg.bnInit === 'target' && m.trains) {
      // --bn-init target: BatchNorm running statistics re-estimated on all target data before
      // step 0 (exact pooled statistics, as AdaBN); part of the step-0 checkpoint.
      await poolTargetStats(ctx, new AdabnPool(), sourceStats(ctx));
      log(`bn-init target: BatchNorm statistics re-estimated on ${o.target.n} target examples`);
    }
    save();
  }
  syncSampler();
  failures = state.failures;

  function syncSampler(): void {
    if (!o.energyGrad || o.samplerSharesModel) return;
    o.energyGrad.setWeights(cur);
    o.energyGradClass?.setWeights(cur);
  }

  function save(): void {
    state.samplerRng = samplerRng.getState();
    state.failures = failures;
    const own = m.checkpoint?.() ?? { buffer: null, optimizerEnergy: null };
    saveCheckpoint(o.expDir, { state: { ...state }, weights: cur, optimizer: m.trains ? adam.getState() : null, ...own });
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
      const t0 = performance.now();
      const out = await m.step(state.step, generationSeed(o.seed, state.generation));
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
        m.reseed?.(newSeed);
        syncSampler();
        warn(`divergence at step ${event.step} (${out.reason}); restored step-${from}, retry ${failures}/${cfg.maxFailures - 1} with seed ${newSeed}`);
        continue;
      }
      state.step++;
      syncSampler();
      const atCheckpoint = state.step % cfg.checkpointEvery === 0 || state.step === total;
      const line: Record<string, unknown> = { step: state.step, method, ...out.metrics, seconds: (performance.now() - t0) / 1000, ...(atCheckpoint ? m.checkpointMetrics?.() : {}) };
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
  m.finish?.(metricsFile);
  return { weights, steps: state.step, interrupted, failures, averagedOver, ...m.summary?.() };

  function applyGrads(r: GradResult, energy?: { adam: AdamW; lr: number }): Update {
    let gradNorm = NaN;
    let gradNormEnergy: number | undefined;
    if (Number.isFinite(r.loss) && Math.abs(r.loss) <= cfg.maxAbsLoss && Object.values(r.parts).every(Number.isFinite)) {
      const own = (g: Map<string, Float32Array>) => new Map([...g].filter(([k]) => trainW.has(k)));
      // With a separate energy optimizer both updates are computed from the same (pre-update) weights' gradients.
      gradNorm = r.grads.size > 0 || !r.energyGrads ? adam.step(trainW, own(r.grads), cfg.lr) : 0;
      if (r.energyGrads && energy) {
        gradNormEnergy = r.energyGrads.size > 0 ? energy.adam.step(trainW, own(r.energyGrads), energy.lr) : 0;
        if (!Number.isFinite(gradNormEnergy)) gradNorm = gradNormEnergy;
      }
    }
    // The running statistics follow the (pre-update) target batch.
    if (training && r.bnStats) updateRunningStats(cur, r.bnStats);
    eng.setWeights(cur);
    return { loss: r.loss, parts: r.parts, gradNorm, gradNormEnergy, batchMarginal: r.batchMarginal };
  }

  function verdict(metrics: Record<string, number>, energies: number[]): StepOutcome {
    const bad = (k: string, v: number): StepOutcome => ({ ok: false, reason: `${k} = ${v}`, metrics });
    if (!Number.isFinite(metrics.loss)) return bad('loss', metrics.loss);
    if (Math.abs(metrics.loss) > cfg.maxAbsLoss) return bad('|loss|', metrics.loss);
    for (const e of energies) if (!Number.isFinite(e) || Math.abs(e) > cfg.maxAbsEnergy) return bad('energy', e);
    if (!Number.isFinite(metrics.gradNorm)) return bad('gradient norm', metrics.gradNorm);
    return { ok: true, metrics };
  }
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
