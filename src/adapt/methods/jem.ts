/**
 * `jem`: the Joint Energy Model objective (../../jem/objective.ts) on unlabeled target data,
 *
 *   L = xent·CE(source) + ebm·(mean E(x_target) − mean E(x_samples)) + l2·(E² terms)
 *     + pxy·(class-conditional term) + marginal·KL(mean target prediction ‖ source prior),
 *
 * with negatives from SGLD (../../jem/sampler.ts) started from a replay buffer
 * (../../jem/replay-buffer.ts). Owns the buffer, the sampler's step-size control, the sampler
 * health metrics (gap, displacement, per-term gradient norms) and, with --ebm-optimizer separate,
 * the energy terms' own AdamW. Samples move DOWN the energy: x ← x − α∇E + σ·N(0, I).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AdamW, decayRank2 } from '../../engine/adamw.ts';
import type { EnergyGrad } from '../../model/types.ts';
import { fitClassGaussians, fitUniformInit, type InitDistribution } from '../../jem/buffer-init.ts';
import { GapMonitor, gradSum, nextStepSize, rmsDisplacement, termGradMetrics, type ParamGrads } from '../../jem/health.ts';
import { marginalPriorOf, updateRunningMarginal } from '../../jem/marginal-prior.ts';
import { ebmWeightAt, jemLoss, type JemWeights } from '../../jem/objective.ts';
import { ReplayBuffer } from '../../jem/replay-buffer.ts';
import { dataClampBox, sgldOptions, sgldSample, type SgldOptions } from '../../jem/sampler.ts';
import { lineChartsSvg } from '../../engine/plots.ts';
import { writeFileAtomic } from '../../util/atomic.ts';
import { ConfigError } from '../../util/errors.ts';
import { log, warn } from '../../util/log.ts';
import { softmaxRows } from '../../util/logsumexp.ts';
import { Rng, hashString } from '../../util/rng.ts';
import { samplerBnMode, sgldOptionsFromConfig, type AdaptConfig } from '../config.ts';
import { batchIndices, gatherRows } from '../data-order.ts';
import type { TrainerOptions } from '../types.ts';
import { targetBatch, type AdaptMethod, type MethodContext, type StepOutcome } from './method.ts';

export function jem(ctx: MethodContext): AdaptMethod {
  const { o, cfg, dim } = ctx;
  const training = ctx.training;
  if (!o.energyGrad) throw new ConfigError('method jem needs an SGLD backend (EnergyGrad)');
  if ((cfg.xentWeight > 0 || (cfg.marginalWeight > 0 && cfg.marginalPrior === 'source')) && !o.source) {
    throw new ConfigError(`method ${o.method} with --xent-weight or --marginal-weight > 0 (source prior) needs labeled source data (--source)`);
  }
  // The prior of --marginal-weight: the source label marginal (or uniform).
  const sourcePrior = marginalPriorOf(cfg, o.source?.y ?? null, o.numClasses);
  // --ebm-optimizer separate: the energy terms' own AdamW (own moments, own clip, lr × ebm weight).
  const separateEnergy = cfg.ebmOptimizer === 'separate';
  const adamE = separateEnergy
    ? new AdamW({ beta1: cfg.beta1, beta2: cfg.beta2, eps: 1e-8, weightDecay: cfg.weightDecay, clipNorm: cfg.ebmGradClip }, decayRank2(ctx.shapes))
    : null;
  const sgldOpts: SgldOptions = sgldOptions({ ...sgldOptionsFromConfig(cfg), clamp: cfg.sgldClamp === 'data' ? dataClampBox(o.target.x, dim, cfg.sgldClampMargin) : null });
  let buffer = new ReplayBuffer(
    { size: cfg.bufferSize, dim, reinitProb: cfg.bufferReinit, init: bufferInit(cfg, o, dim), classPartitioned: cfg.bufferClassPartitioned, numClasses: o.numClasses },
    hashString(`${o.seed}:buffer`),
  );
  const gapMonitor = new GapMonitor();

  return {
    totalSteps: cfg.steps,
    trains: true,
    step: jemStep,
    checkpoint: () => ({ buffer, optimizerEnergy: adamE?.getState() ?? null }),
    restore(ck) {
      adamE?.setState(ck.optimizerEnergy ?? { t: 0, m: new Map(), v: new Map() });
      if (ck.buffer) buffer = ck.buffer;
    },
    reseed(seed) {
      buffer.rng.setState(new Rng(hashString(`${seed}:buffer`)).getState());
    },
    checkpointMetrics: () => ({ buffer: buffer.stats() }),
    finish(metricsFile) {
      const plotFile = path.join(path.dirname(metricsFile), 'energies.svg');
      writeEnergyPlot(metricsFile, plotFile);
      const gaps = gapMonitor.summary();
      if (gaps) {
        log(
          `SGLD gap E(samples) − E(data) after sampling: ${gaps.first.toFixed(1)} at the first update, ${gaps.last.toFixed(1)} at the last, ` +
            `lowest ${gaps.min.toFixed(1)}; ${gaps.below}/${gaps.n} updates below −${gapMonitor.threshold} (plot: ${plotFile})`,
        );
      }
    },
  };

  async function jemStep(step: number, seed: number): Promise<StepOutcome> {
    const state = ctx.state();
    const samplerRng = ctx.rng();
    const eg = o.energyGrad as EnergyGrad;
    const buf = buffer;
    const B = cfg.batchSize;
    const xt = targetBatch(ctx, step, seed);
    if (cfg.dataNoise > 0) for (let i = 0; i < xt.length; i++) xt[i] += cfg.dataNoise * samplerRng.normal();
    // The data energy the samples are compared with (gap, adaptive stopping), in the sampler's
    // BatchNorm mode: eval, or train with the target batch's own statistics as the loss scores it.
    const sbn = samplerBnMode(cfg);
    const targetLogits = await ctx.engine.forward(xt, B, { bnMode: sbn });
    const dataEnergy = meanEnergy(targetLogits, B, o.numClasses);
    const mix = cfg.bufferMixSteps > 0 ? cfg.bufferMix * Math.max(0, 1 - step / cfg.bufferMixSteps) : cfg.bufferMix;
    const ebmW = ebmWeightAt(step, { weight: cfg.ebmWeight, warmup: cfg.ebmWarmup, decay: cfg.ebmDecay });
    // No energy term at this step (ebm weight 0 and no E² regulariser): no samples to draw.
    const energyOn = ebmW > 0 || cfg.l2Weight > 0;
    const draw = energyOn ? buf.draw(cfg.sgldBatchSize, { real: xt, mix }) : null;
    const tSgld = performance.now();
    const stepSize = state.sgldStepSize ?? cfg.sgldStepSize;
    const opts = { ...(sgldOpts as SgldOptions), stepSize };
    // The loss scores the samples on these weights; when that pass is in the sampler's BatchNorm
    // mode it gives the final sample energy, and the sampler skips its own evaluation after the last step.
    const lossScoresSamples = eg.bnMode !== undefined && (cfg.sampleBnMode === 'eval' || !training ? 'eval' : 'train') === eg.bnMode;
    const sg = draw ? await sgldSample(eg, draw.x, cfg.sgldBatchSize, opts, samplerRng, { chainSteps: draw.chainSteps, dataEnergy, finalEnergy: !lossScoresSamples }) : null;
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
    const allParamHealth = step === 0 || (step + 1) % cfg.checkpointEvery === 0;
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
      // the energy terms over every parameter for the health metrics: at the first update and at
      // every checkpoint (elsewhere their gradient is computed for the trained parameters only)
      energyOverAll: allParamHealth,
      separateEnergy,
    };
    const tUpdate = performance.now();
    const termGrads: Record<string, ParamGrads> = {};
    const sgldSeconds = (tUpdate - tSgld) / 1000;
    // the energy optimizer's learning rate: lr × the energy weight (lr when only E² is on)
    const lrEnergy = cfg.lr * (ebmW > 0 ? ebmW : 1);
    const r = ctx.applyGrads(
      await jemLoss(
        ctx.engine,
        o.numClasses,
        dim,
        // eval-mode loss passes reuse these logits (the weights have not moved since)
        { source: src ?? undefined, target: xt, targetLogits: sbn === 'eval' && !training ? targetLogits : undefined, samples: sg?.x, pxy: pxy ? { x: pxy.x, y: pxy.y, samples: pxy.samples, sampleY: pxy.y } : undefined },
        jw,
        training,
        cfg.sampleBnMode === 'eval' ? false : training,
        termGrads,
      ),
      adamE ? { adam: adamE, lr: lrEnergy } : undefined,
    );
    const batchMarginal = r.batchMarginal;
    if (batchMarginal && cfg.marginalWeight > 0) {
      state.marginalRunning = updateRunningMarginal(state.marginalRunning, batchMarginal, cfg.marginalMomentum);
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
      const all = new Set(ctx.trainW.keys());
      const energyTrained = o.ebmParams ? new Set([...all].filter((k) => o.ebmParams!.has(k))) : all;
      const trained: Record<string, ReadonlySet<string>> = {};
      for (const t of Object.keys(termGrads)) trained[t] = t === 'eData' || t === 'eSamples' || t === 'ebm' ? energyTrained : all;
      const tm = termGradMetrics(termGrads, trained);
      if (o.ebmParams && !allParamHealth) {
        // the energy terms' gradients cover only the parameters they train on this update
        for (const k of Object.keys(tm)) if (/^gradNorm\.(eData|eSamples|ebm)$/.test(k) || (k.startsWith('cos.') && /\.(eData|eSamples|ebm)(\.|$)/.test(k))) delete tm[k];
      }
      Object.assign(metrics, tm);
    }
    const energies = [dataEnergy, r.parts.eData];
    if (sg && draw) {
      // the sampler's own final evaluation, or the loss pass over the same samples (same weights and BatchNorm mode)
      const sampleEnergy = sg.energy ? sg.energyTrace[sg.energyTrace.length - 1] : r.parts.eSamples;
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
    return ctx.verdict(metrics, energies);
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
