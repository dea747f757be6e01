/**
 * The onnxruntime parameter-gradient engine of the trainer: one JEM update (fixed SGLD samples),
 * a tent step and a CE step give the same gradients/weights as the tfjs engine from the same
 * state; and the trainer's guarantees hold on the ort engine (determinism, resume, divergence
 * guard, baselines touching only what they may, exact pooled AdaBN statistics).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { importModel } from '../../src/model/importer.ts';
import { VjpOrt, updateRunningStats } from '../../src/model/vjp-ort.ts';
import { jemLossTf, crossEntropy, predictionEntropy } from '../jem/jem-loss-tf.ts';
import { jemLoss, entropyGrad, crossEntropyGrad } from '../../src/jem/objective.ts';
import { AdamW } from '../../src/engine/adamw.ts';
import { runTrainer, type TrainerOptions } from '../../src/adapt/trainer.ts';
import { adamStepTf } from '../engine/adamw-tf.ts';
import { loadCheckpoint } from '../../src/adapt/checkpoint.ts';
import type { AdaptConfig, Method } from '../../src/adapt/config.ts';
import { DivergenceError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';
import { tmpDir, sameWeights as same, readMetrics, relErr, runAndDiff } from './trainer-helpers.ts';
import type { Trainable } from '../../src/model/types.ts';
import { DIM, SHAPE, proto, source, target, trainerOptions } from './mlp-fixture.ts';


function rand(n: number, seed: number): Float32Array {
  return new Rng(seed).fillNormal(new Float32Array(n));
}

async function engines(trainable: Trainable) {
  const model = importModel(proto, { trainable });
  const ort = await VjpOrt.create(proto, { logitsName: model.logitsName, trainable, bnMode: 'train', threads: 1 });
  const nameOf = new Map([...model.variables].map(([k, v]) => [v.name, k]));
  const vars = new Map(model.trainableVariables().map((v) => [nameOf.get(v.name) as string, v]));
  return { model, ort, vars };
}

function tfGrads(vars: Map<string, tf.Variable>, f: () => tf.Scalar): { loss: number; grads: Map<string, tf.Tensor> } {
  const { value, grads } = tf.variableGrads(f, [...vars.values()]);
  const named = new Map<string, tf.Tensor>();
  for (const [k, v] of vars) named.set(k, grads[v.name]);
  return { loss: value.dataSync()[0], grads: named };
}

test('one JEM update (fixed SGLD samples): ort engine = tfjs engine (grads, Adam weights, running stats) to 1e-4', async () => {
  const { model, ort, vars } = await engines('all');
  try {
    const B = 16;
    const xs = source.x.slice(0, B * DIM);
    const ys = source.y.slice(0, B);
    const xt = target.x.slice(0, B * DIM);
    const smp = rand(B * DIM, 7);
    const w = { xent: 1, ebm: 1, l2: 0.1, pxy: 0.5 };
    const parts: Record<string, number> = {};
    const t = tfGrads(vars, () => {
      const p = jemLossTf(
        (x, o) => model.logits(x, o),
        {
          source: { x: tf.tensor(xs, [B, ...SHAPE]), y: tf.tensor1d(ys, 'int32') },
          target: tf.tensor(xt, [B, ...SHAPE]),
          samples: tf.tensor(smp, [B, ...SHAPE]),
          pxy: { x: tf.tensor(xs, [B, ...SHAPE]), y: tf.tensor1d(ys, 'int32'), samples: tf.tensor(smp, [B, ...SHAPE]), sampleY: tf.tensor1d(ys, 'int32') },
        },
        w,
        true,
      );
      for (const [k, v] of Object.entries(p)) if (k !== 'loss' && v instanceof tf.Tensor) parts[k] = v.dataSync()[0];
      return p.loss;
    });
    const o = await jemLoss(ort, 3, DIM, { source: { x: xs, y: ys }, target: xt, samples: smp, pxy: { x: xs, y: ys, samples: smp, sampleY: ys } }, w, true);
    assert.ok(Math.abs(o.loss - t.loss) <= 1e-4 * Math.max(1, Math.abs(t.loss)), `loss ${o.loss} vs ${t.loss}`);
    for (const k of ['xent', 'ebm', 'l2', 'pxy', 'eData', 'eSamples']) assert.ok(Math.abs(o.parts[k] - parts[k]) <= 1e-4 * Math.max(1, Math.abs(parts[k])), `${k}: ${o.parts[k]} vs ${parts[k]}`);
    assert.deepEqual([...o.grads.keys()].sort(), [...vars.keys()].sort());
    // fc1.bias feeds a train-mode BatchNorm: its true gradient is 0 and both engines return rounding
    // noise, so errors are relative to max(‖g_k‖, 1e-3·‖g‖) (‖g‖ over all parameters).
    const norm = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0));
    const gAll = Math.sqrt([...t.grads.values()].reduce((s, g) => s + norm(g.dataSync() as Float32Array) ** 2, 0));
    const noise = new Set<string>();
    for (const [k, g] of t.grads) {
      const ref = g.dataSync() as Float32Array;
      const scale = Math.max(norm(ref), 1e-3 * gAll);
      if (norm(ref) < 1e-3 * gAll) noise.add(k);
      const err = relErr(o.grads.get(k)!, ref) * (norm(ref) / scale);
      assert.ok(err < 1e-4, `grad ${k}: err ${err}`);
    }
    assert.deepEqual([...noise], ['fc1.bias']);
    // One Adam update on each side; running statistics from the target pass.
    const opts = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-3, clipNorm: 5 };
    const lr = 1e-2;
    adamStepTf(new AdamW(opts), vars, t.grads, lr);
    const cur = new Map([...ort.getWeights()].map(([k, a]) => [k, Float32Array.from(a)]));
    const trainW = new Map([...vars.keys()].map((k) => [k, cur.get(k)!]));
    new AdamW(opts).step(trainW, o.grads, lr);
    updateRunningStats(cur, o.bnStats!);
    const after = model.getWeights();
    for (const [k, a] of after) {
      // Adam turns a rounding-noise gradient into a ±lr step of arbitrary sign: bounded, not equal.
      if (noise.has(k)) assert.ok(cur.get(k)!.every((v, i) => Math.abs(v - a[i]) <= 2.02 * lr), `weight ${k}`);
      else assert.ok(relErr(cur.get(k)!, a) < 1e-4, `weight ${k}: rel ${relErr(cur.get(k)!, a)}`);
    }
    for (const g of t.grads.values()) g.dispose();
  } finally {
    model.dispose();
    await ort.dispose();
  }
});

test('JEM with the label-marginal prior and --ebm-params bn: ort = tfjs (energy gradients reach BN scale/bias only)', async () => {
  const { model, ort, vars } = await engines('all');
  try {
    const B = 16;
    const xs = source.x.slice(0, B * DIM);
    const ys = source.y.slice(0, B);
    const xt = target.x.slice(0, B * DIM);
    const smp = rand(B * DIM, 8);
    const bn = new Set(['bn1.weight', 'bn1.bias']);
    const w = { xent: 1, ebm: 1, l2: 0.1, pxy: 0, marginal: 2, prior: [0.2, 0.3, 0.5], ebmParams: bn };
    const batch = () => ({ source: { x: tf.tensor(xs, [B, ...SHAPE]), y: tf.tensor1d(ys, 'int32') }, target: tf.tensor(xt, [B, ...SHAPE]), samples: tf.tensor(smp, [B, ...SHAPE]) });
    const f = (x: tf.Tensor, o: { training: boolean; updateStats: boolean }) => model.logits(x, o);
    // tfjs: the other terms over every parameter + the energy terms over the BN affine ones.
    const rest = tfGrads(vars, () => jemLossTf(f, batch(), w, false, false, 'rest').loss);
    const energy = tfGrads(new Map([...vars].filter(([k]) => bn.has(k))), () => jemLossTf(f, batch(), w, false, false, 'energy').loss);
    const o = await jemLoss(ort, 3, DIM, { source: { x: xs, y: ys }, target: xt, samples: smp }, w, false);
    assert.ok(Math.abs(o.loss - rest.loss - energy.loss) < 1e-4 * Math.max(1, Math.abs(o.loss)), `loss ${o.loss} vs ${rest.loss} + ${energy.loss}`);
    assert.ok(o.parts.marginal > 0 && o.batchMarginal && Math.abs(o.batchMarginal.reduce((a, b) => a + b, 0) - 1) < 1e-6);
    for (const [k, g] of rest.grads) {
      const ref = Float32Array.from(g.dataSync() as Float32Array);
      const e = energy.grads.get(k);
      if (e) ref.forEach((v, i) => (ref[i] = v + (e.dataSync() as Float32Array)[i]));
      assert.ok(relErr(o.grads.get(k)!, ref) < 1e-4, `grad ${k}: rel ${relErr(o.grads.get(k)!, ref)}`);
    }
    // The energy terms alone (no xent, no marginal) touch only the BN affine parameters.
    const only = await jemLoss(ort, 3, DIM, { target: xt, samples: smp }, { ...w, xent: 0, marginal: 0 }, false);
    const nonzero = [...only.grads].filter(([, g]) => g.some((v) => v !== 0)).map(([k]) => k).sort();
    assert.deepEqual(nonzero, [...bn].sort());
    for (const g of [...rest.grads.values(), ...energy.grads.values()]) g.dispose();
  } finally {
    model.dispose();
    await ort.dispose();
  }
});

test('tent (BN affine) and cross-entropy gradients: ort = tfjs', async () => {
  const { model, ort, vars } = await engines('bn');
  try {
    const B = 16;
    const x = target.x.slice(0, B * DIM);
    const y = target.y.slice(0, B);
    assert.deepEqual([...vars.keys()].sort(), (await ort.trainableNames()).sort());
    const t = tfGrads(vars, () => predictionEntropy(model.logits(tf.tensor(x, [B, ...SHAPE]), { training: true })));
    const o = await ort.lossAndGrad(x, B, (l) => entropyGrad(l, B, 3), { bnMode: 'train' });
    assert.ok(Math.abs(o.loss - t.loss) < 1e-5, `${o.loss} vs ${t.loss}`);
    for (const [k, g] of t.grads) assert.ok(relErr(o.grads.get(k)!, g.dataSync() as Float32Array) < 1e-4, `tent grad ${k}`);
    const c = tfGrads(vars, () => crossEntropy(model.logits(tf.tensor(x, [B, ...SHAPE]), { training: true }), tf.tensor1d(y, 'int32')));
    const oc = await ort.lossAndGrad(x, B, (l) => crossEntropyGrad(l, y, 3), { bnMode: 'train' });
    assert.ok(Math.abs(oc.loss - c.loss) < 1e-5);
    for (const [k, g] of c.grads) assert.ok(relErr(oc.grads.get(k)!, g.dataSync() as Float32Array) < 1e-4, `ce grad ${k}`);
  } finally {
    model.dispose();
    await ort.dispose();
  }
});

function opts(method: Method, expDir: string, cfg: Partial<AdaptConfig>, seed = 5): Promise<TrainerOptions> {
  return trainerOptions(method, expDir, cfg, { seed });
}

const tmp = (): string => tmpDir('jemda-engine-ort-');

/** A jem run stopped after 3 of its 6 steps (then `check(dir)`), then resumed to the end. */
async function interruptedThenResumed(dir: string, cfg: Partial<AdaptConfig>, check?: (dir: string) => void) {
  let n = 0;
  const o = await opts('jem', dir, cfg);
  o.shouldStop = () => ++n > 3;
  const part = await runTrainer(o);
  assert.ok(part.interrupted && part.steps === 3);
  check?.(dir);
  return runTrainer({ ...(await opts('jem', dir, cfg)), resume: true });
}

test('ort engine: same seed → same weights; interrupted + resumed → same final weights', async () => {
  const dirs = [tmp(), tmp(), tmp()];
  try {
    const r1 = await runTrainer(await opts('jem', dirs[0], {}));
    const r2 = await runTrainer(await opts('jem', dirs[1], {}));
    assert.ok(same(r1.weights, r2.weights));
    const r3 = await runTrainer(await opts('jem', dirs[1], {}, 6));
    assert.ok(!same(r1.weights, r3.weights), 'another seed gives the same weights');
    const lines = readMetrics(dirs[0]);
    assert.equal(lines.length, 6);
    assert.ok(lines.every((l) => Number.isFinite(l.gradNorm) && Number.isFinite(l.eData) && l.sgldSteps === 4));
    const rest = await interruptedThenResumed(dirs[2], {});
    assert.equal(rest.steps, 6);
    assert.ok(same(rest.weights, r1.weights), 'resumed run differs from the uninterrupted one');
  } finally {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
});

test('ort engine: divergence guard gives up with DivergenceError after K failures', async () => {
  const d = tmp();
  try {
    await assert.rejects(runTrainer(await opts('jem', d, { sgldStepSize: 1e12, sgldNoise: 0, maxFailures: 2, maxAbsEnergy: 1e4 })), (e: unknown) => e instanceof DivergenceError);
    const events = readMetrics(d).filter((l) => l.event === 'divergence');
    assert.equal(events.length, 2);
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

test('ort engine baselines: adabn sets exact pooled BN stats only, tent moves BN affine only, pseudo-label/supervised train', async () => {
  const dirs: string[] = [];
  const run = async (m: Method, cfg: Partial<AdaptConfig> = {}) => {
    const d = tmp();
    dirs.push(d);
    const o = await opts(m, d, cfg);
    return runAndDiff(o, new Map([...o.engine.getWeights()].map(([k, a]) => [k, Float32Array.from(a)])));
  };
  try {
    assert.deepEqual((await run('source-only')).changed, []);
    const ab = await run('adabn');
    assert.deepEqual(ab.changed.sort(), ['bn1.running_mean', 'bn1.running_var']);
    // The first BatchNorm sees the Gemm output: its pooled mean is the exact mean over the target set.
    const w = ab.r.weights;
    const W = w.get('fc1.weight')!;
    const b = w.get('fc1.bias')!;
    for (const c of [0, 5]) {
      let s = 0;
      for (let i = 0; i < target.n; i++) {
        let h = b[c];
        for (let j = 0; j < DIM; j++) h += W[c * DIM + j] * target.x[i * DIM + j];
        s += h;
      }
      assert.ok(Math.abs(w.get('bn1.running_mean')![c] - s / target.n) < 1e-4 * Math.max(1, Math.abs(s / target.n)));
    }
    // Batch-size independent (exact mean; variance up to the unbiased-within-batch O(1/batch) term).
    const ab2 = await run('adabn', { batchSize: 96 });
    assert.ok(relErr(ab2.r.weights.get('bn1.running_mean')!, w.get('bn1.running_mean')!) < 1e-5);
    assert.ok(relErr(ab2.r.weights.get('bn1.running_var')!, w.get('bn1.running_var')!) < 0.1);
    // --bn-source-weight w: w·source + (1−w)·pooled target, for mean and variance, whatever the
    // number of steps (the source statistics are copied before the first write, not re-blended).
    const sd = tmp();
    dirs.push(sd);
    const src = (await opts('adabn', sd, {})).engine.getWeights();
    const ab3 = await run('adabn', { bnSourceWeight: 0.3, adabnPasses: 2 });
    for (const k of ['bn1.running_mean', 'bn1.running_var']) {
      const want = w.get(k)!.map((t, i) => 0.3 * src.get(k)![i] + 0.7 * t);
      assert.ok(relErr(ab3.r.weights.get(k)!, want) < 1e-6, k);
      assert.ok(relErr(src.get(k)!, w.get(k)!) > 0.05, 'the source and target statistics differ');
    }
    const tent = await run('tent');
    assert.deepEqual(tent.changed.sort(), ['bn1.bias', 'bn1.running_mean', 'bn1.running_var', 'bn1.weight']);
    const pl = await run('pseudo-label', { pseudoFraction: 1 });
    // every target example labeled (class quotas from the source marginal add up to n ± rounding)
    assert.ok(pl.changed.includes('fc1.weight') && Math.abs(pl.r.pseudoLabelCount! - 96) <= 2, `${pl.r.pseudoLabelCount}`);
    const sup = await run('supervised');
    assert.ok(sup.changed.includes('fc2.weight'));
  } finally {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
});

test('ort engine, JEM with a running label marginal: interrupted + resumed = uninterrupted; the estimate is checkpointed', async () => {
  const dirs = [tmp(), tmp()];
  try {
    const cfg = { marginalWeight: 1, marginalMomentum: 0.5 };
    const r1 = await runTrainer(await opts('jem', dirs[0], cfg));
    const lines = readMetrics(dirs[0]);
    assert.ok(lines.every((l) => Number.isFinite(l.marginal) && l.marginal >= 0));
    const rest = await interruptedThenResumed(dirs[1], cfg, (dir) => {
      const { state } = loadCheckpoint(`${dir}/checkpoints/step-3`);
      assert.equal(state.marginalRunning?.length, 3);
    });
    assert.ok(same(rest.weights, r1.weights), 'resumed run differs from the uninterrupted one');
  } finally {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
});

test('ort engine, JEM without the energy term (ebm 0, l2 0): no SGLD is run, xent + marginal still train', async () => {
  const d = tmp();
  try {
    const o = await opts('jem', d, { ebmWeight: 0, l2Weight: 0, marginalWeight: 1 });
    const { r, changed } = await runAndDiff(o, new Map([...o.engine.getWeights()].map(([k, a]) => [k, Float32Array.from(a)])));
    assert.equal(r.steps, 6);
    assert.ok(changed.includes('fc1.weight') && changed.includes('fc2.weight'));
    const lines = readMetrics(d);
    assert.ok(lines.every((l) => l.sgldSteps === undefined && l.marginal > 0 && l.ebm === 0 && Number.isFinite(l.gradNorm)));
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

test('ort engine, JEM health: per-term gradient norms and cosines recompose the update; gap, SGLD move and energies.svg', async () => {
  const d = tmp();
  try {
    await runTrainer(await opts('jem', d, { marginalWeight: 0, xentWeight: 1, ebmWeight: 1 }));
    const lines = readMetrics(d);
    assert.equal(lines.length, 6);
    for (const l of lines) {
      // ‖g_xent + g_eData + g_eSamples‖ from the per-term norms and cosines = the norm Adam saw
      const n = (t: string) => l[`gradNorm.${t}`] as number;
      const c = (a: string, b: string) => l[`cos.${a}.${b}`] as number;
      const sq = n('xent') ** 2 + n('eData') ** 2 + n('eSamples') ** 2 +
        2 * (n('xent') * n('eData') * c('xent', 'eData') + n('xent') * n('eSamples') * c('xent', 'eSamples') + n('eData') * n('eSamples') * c('eData', 'eSamples'));
      assert.ok(Math.abs(Math.sqrt(sq) - l.gradNorm) < 1e-3 * l.gradNorm, `step ${l.step}: ${Math.sqrt(sq)} vs ${l.gradNorm}`);
      // the energy term is the sum of its two parts; every parameter is trained here
      assert.ok(Math.abs(n('ebm') ** 2 - (n('eData') ** 2 + n('eSamples') ** 2 + 2 * n('eData') * n('eSamples') * c('eData', 'eSamples'))) < 1e-3 * n('ebm') ** 2);
      assert.equal(l['gradNormTrained.xent'], n('xent'));
      assert.ok(Math.abs(l.gap - (l.sampleEnergyEval - l.dataEnergyEval)) < 1e-9);
      assert.ok(Math.abs(l.gapStart - (l.sampleEnergyStart - l.dataEnergyEval)) < 1e-9);
      assert.ok(l.sgldMove > 0 && Number.isFinite(l.sgldMove));
    }
    const svg = fs.readFileSync(`${d}/energies.svg`, 'utf8');
    assert.match(svg, /<svg /);
    for (const name of ['target data', 'samples after SGLD', 'xent', 'eSamples']) assert.ok(svg.includes(name), `energies.svg lacks ${name}`);
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

test('ort engine, JEM health with --ebm-params: the energy terms are measured on every parameter and on the ones they train', async () => {
  const d = tmp();
  try {
    const o = await opts('jem', d, { marginalWeight: 1, ebmWeight: 1 });
    o.ebmParams = new Set(['fc2.bias']);
    await runTrainer(o);
    // over every parameter at the first update and at checkpoints; the trained ones always
    const lines = readMetrics(d);
    assert.ok(lines.length > 2);
    const full = lines.filter((l) => l['gradNorm.eData'] !== undefined);
    assert.deepEqual(full.map((l) => l.step), lines.filter((l) => l.step === 1 || l.step % o.config.checkpointEvery === 0).map((l) => l.step));
    for (const l of lines) assert.ok(l['gradNormTrained.eData'] > 0 && l['gradNormTrained.eSamples'] > 0);
    for (const l of full) {
      assert.ok(l['gradNormTrained.eData'] < l['gradNorm.eData'], 'restricted norm not below the full one');
      assert.ok(l['gradNormTrained.ebm'] > 0);
      assert.equal(l['gradNormTrained.prior'], l['gradNorm.prior']); // the prior trains everything
      assert.ok(Number.isFinite(l['cos.xent.prior']) && Math.abs(l['cos.xent.prior']) <= 1 + 1e-9);
    }
    for (const l of lines) assert.ok(Number.isFinite(l['cos.xent.prior']));
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

test('ort engine, --ebm-optimizer separate: the energy weight sets the energy step (lr × weight); resume is exact', async () => {
  const firstStep = async (cfg: Partial<AdaptConfig>): Promise<number> => {
    const d = tmp();
    try {
      const o = await opts('jem', d, { steps: 1, xentWeight: 0, marginalWeight: 0, l2Weight: 0, lr: 1e-3, ...cfg });
      const before = new Map([...o.engine.getWeights()].map(([k, a]) => [k, Float32Array.from(a)]));
      const r = await runTrainer(o);
      let mx = 0;
      for (const [k, a] of r.weights) {
        const b = before.get(k)!;
        if (/running/.test(k)) continue;
        for (let i = 0; i < a.length; i++) mx = Math.max(mx, Math.abs(a[i] - b[i]));
      }
      const l = readMetrics(d)[0];
      if (cfg.ebmOptimizer === 'separate') assert.ok(l.gradNormEnergy > 0 && l.gradNorm === 0, `norms ${l.gradNorm} / ${l.gradNormEnergy}`);
      return mx;
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  };
  // Adam's first step moves each weight by about lr (sign of its gradient): shared → lr whatever the
  // weight; separate → lr × weight
  const shared = [await firstStep({ ebmWeight: 0.25 }), await firstStep({ ebmWeight: 1 })];
  const sep = [await firstStep({ ebmWeight: 0.25, ebmOptimizer: 'separate' }), await firstStep({ ebmWeight: 1, ebmOptimizer: 'separate' })];
  for (const v of shared) assert.ok(Math.abs(v - 1e-3) < 1e-4, `shared step ${v}`);
  assert.ok(Math.abs(sep[0] - 0.25e-3) < 0.25e-4, `separate step at weight 0.25: ${sep[0]}`);
  assert.ok(Math.abs(sep[1] - 1e-3) < 1e-4, `separate step at weight 1: ${sep[1]}`);

  const cfg: Partial<AdaptConfig> = { ebmOptimizer: 'separate', ebmGradClip: 1, marginalWeight: 1 };
  const dirs = [tmp(), tmp()];
  try {
    const full = await runTrainer(await opts('jem', dirs[0], cfg));
    const lines = readMetrics(dirs[0]);
    assert.ok(lines.every((l) => l.gradNorm > 0 && l.gradNormEnergy > 0), 'both optimizers step every update');
    const rest = await interruptedThenResumed(dirs[1], cfg, (d) => assert.ok((loadCheckpoint(`${d}/checkpoints/step-2`).optimizerEnergy?.t ?? 0) > 0));
    assert.ok(same(rest.weights, full.weights), 'resumed run differs from the uninterrupted one');
  } finally {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
});

test('ort engine, --sgld-clamp data: chains stay in the target range; the share on the bounds is logged', async () => {
  const d = tmp();
  try {
    await runTrainer(await opts('jem', d, { sgldClamp: 'data', sgldClampMargin: 0, sgldStepSize: 10 }));
    const lines = readMetrics(d);
    assert.ok(lines.every((l) => l.sgldAtClamp > 0 && l.sgldAtClamp <= 1), `sgldAtClamp ${lines.map((l) => l.sgldAtClamp)}`);
    const d2 = tmp();
    await runTrainer(await opts('jem', d2, {}));
    assert.ok(readMetrics(d2).every((l) => l.sgldAtClamp === 0));
    fs.rmSync(d2, { recursive: true, force: true });
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

test('ort engine, --sgld-gap-control: the step size follows the gap; it is checkpointed (resume is exact)', async () => {
  const cfg: Partial<AdaptConfig> = { sgldGapControl: 2, sgldGapTarget: 0, sgldStepSize: 1 };
  const dirs = [tmp(), tmp()];
  try {
    const full = await runTrainer(await opts('jem', dirs[0], cfg));
    const lines = readMetrics(dirs[0]);
    assert.equal(lines[0].sgldStepSize, 1);
    for (let i = 1; i < lines.length; i++) {
      const want = lines[i - 1].gap < 0 ? lines[i - 1].sgldStepSize / 2 : lines[i - 1].sgldStepSize * 2;
      assert.ok(Math.abs(lines[i].sgldStepSize - Math.min(10, Math.max(1e-3, want))) < 1e-12, `step ${lines[i].step}: ${lines[i].sgldStepSize} vs ${want}`);
    }
    assert.ok(new Set(lines.map((l) => l.sgldStepSize)).size > 1, 'the step size never changed');
    const rest = await interruptedThenResumed(dirs[1], cfg);
    assert.ok(same(rest.weights, full.weights), 'resumed run differs from the uninterrupted one');
  } finally {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
});
