import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeFakeModel } from '../jem/fake-model.ts';
import { TfjsEnergyGrad } from '../../src/jem/energy-grad-tfjs.ts';
import { runTrainer, type TrainerOptions } from '../../src/adapt/trainer.ts';
import { TfjsGradEngine } from '../../src/engine/tfjs-engine.ts';
import { resolveConfig, type AdaptConfig, type Method } from '../../src/adapt/config.ts';
import { listCheckpoints } from '../../src/adapt/checkpoint.ts';
import { DivergenceError } from '../../src/util/errors.ts';
import { blobs, unlabeled } from './synthetic.ts';
import { tmpDir, sameWeights as same, readMetrics, runAndDiff } from './trainer-helpers.ts';

const DIM = 8;
const source = blobs(96, DIM, 3, 0, 1);
const target = blobs(96, DIM, 3, 1.5, 2);

function opts(method: Method, expDir: string, cfg: Partial<AdaptConfig>, seed = 5): TrainerOptions {
  const model = makeFakeModel(DIM, 12, 3, 99, method === 'tent' ? 'bn' : 'all');
  return {
    method,
    engine: new TfjsGradEngine(model, [DIM]),
    energyGrad: method === 'jem' ? new TfjsEnergyGrad(model, [DIM], false) : null,
    samplerSharesModel: true,
    exampleShape: [DIM],
    numClasses: 3,
    source,
    target: unlabeled(target),
    oracleTarget: method === 'supervised' ? target : undefined,
    config: resolveConfig({ steps: 8, batchSize: 16, sgldBatchSize: 16, sgldSteps: 5, sgldStepSize: 0.1, bufferSize: 64, checkpointEvery: 3, lr: 1e-2, ...cfg }),
    expDir,
    seed,
    resume: false,
  };
}

const tmp = (): string => tmpDir('jemda-trainer-');

test('jem: same seed → same weights; different seed → different; metrics and checkpoints written', async () => {
  const d1 = tmp();
  const d2 = tmp();
  const d3 = tmp();
  try {
    const r1 = await runTrainer(opts('jem', d1, {}));
    const r2 = await runTrainer(opts('jem', d2, {}));
    const r3 = await runTrainer(opts('jem', d3, {}, 6));
    assert.ok(same(r1.weights, r2.weights), 'same seed gives identical weights');
    assert.ok(!same(r1.weights, r3.weights), 'another seed gives other weights');
    const lines = readMetrics(d1);
    assert.equal(lines.length, 8);
    for (const k of ['loss', 'eData', 'eSamples', 'sgldSteps', 'gradNorm', 'sgldGradNorm']) assert.ok(Number.isFinite(lines[0][k]), k);
    assert.ok(lines[2].buffer && Number.isFinite(lines[2].buffer.meanChainSteps));
    assert.deepEqual(listCheckpoints(d1), [0, 3, 6, 8]);
    assert.ok(fs.existsSync(path.join(d1, 'final', 'tensors.bin')));
  } finally {
    for (const d of [d1, d2, d3]) fs.rmSync(d, { recursive: true, force: true });
  }
});

test('jem: interrupted (shouldStop) then resumed → same final weights as uninterrupted', async () => {
  const a = tmp();
  const b = tmp();
  try {
    const full = await runTrainer(opts('jem', a, { averageLast: 2 }));
    let calls = 0;
    const o1 = { ...opts('jem', b, { averageLast: 2 }), shouldStop: () => ++calls > 5 };
    const part = await runTrainer(o1);
    assert.ok(part.interrupted);
    assert.equal(part.steps, 5);
    const rest = await runTrainer({ ...opts('jem', b, { averageLast: 2 }), resume: true });
    assert.equal(rest.steps, 8);
    assert.deepEqual(rest.averagedOver, [6, 8]);
    assert.ok(same(full.weights, rest.weights), 'resumed weights equal the uninterrupted run');
    const lines = readMetrics(b);
    assert.deepEqual(lines.map((l) => l.step), [1, 2, 3, 4, 5, 6, 7, 8]);
  } finally {
    for (const d of [a, b]) fs.rmSync(d, { recursive: true, force: true });
  }
});

test('divergence guard: a huge SGLD step restores, reseeds, and gives up with DivergenceError after K', async () => {
  const d = tmp();
  try {
    await assert.rejects(runTrainer(opts('jem', d, { sgldStepSize: 1e12, sgldNoise: 0, maxFailures: 3, maxAbsEnergy: 1e4 })), (e: unknown) => {
      assert.ok(e instanceof DivergenceError);
      assert.match((e as Error).message, /diverged 3 times/);
      return true;
    });
    const events = readMetrics(d).filter((l) => l.event === 'divergence');
    assert.equal(events.length, 3);
    assert.ok(events.every((e) => e.restoredFrom === 0));
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

test('divergence guard: a transient failure is restored and training finishes', async () => {
  const d = tmp();
  try {
    // Sample energies only explode while the buffer holds the first chains; the retry reseeds.
    let n = 0;
    const o = opts('jem', d, { maxFailures: 3 });
    const inner = o.energyGrad!;
    o.energyGrad = {
      exampleShape: inner.exampleShape,
      async energyAndGrad(x, b, c) {
        n++;
        const r = await inner.energyAndGrad(x, b, c);
        if (n === 20) r.energy.fill(NaN);
        return r;
      },
      setWeights: (w) => inner.setWeights(w),
      dispose: () => inner.dispose(),
    };
    const r = await runTrainer(o);
    assert.equal(r.failures, 1);
    assert.equal(r.steps, 8);
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

test('baselines: source-only copies, adabn moves BN stats only, tent moves BN affine only, pseudo-label and supervised train', async () => {
  const dirs: string[] = [];
  const run = async (m: Method, cfg: Partial<AdaptConfig> = {}) => {
    const d = tmp();
    dirs.push(d);
    const o = opts(m, d, cfg);
    return runAndDiff(o, o.engine.getWeights());
  };
  try {
    assert.deepEqual((await run('source-only')).changed, []);
    const ab = await run('adabn');
    assert.deepEqual(ab.changed.sort(), ['bn.mean', 'bn.var']);
    const tent = await run('tent');
    assert.deepEqual(tent.changed.sort(), ['bn.bias', 'bn.mean', 'bn.scale', 'bn.var']);
    const pl = await run('pseudo-label', { pseudoFraction: 1 });
    assert.ok(pl.changed.includes('W1') && Math.abs(pl.r.pseudoLabelCount! - 96) <= 2, `${pl.r.pseudoLabelCount}`);
    const sup = await run('supervised');
    assert.ok(sup.changed.includes('W2'));
  } finally {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
});

test('jem on tfjs with --ebm-params bn: the energy terms alone move only BN scale/bias; with xent + marginal every weight moves', async () => {
  const dirs: string[] = [];
  const run = async (cfg: Partial<AdaptConfig>) => {
    const d = tmp();
    dirs.push(d);
    const o = { ...opts('jem', d, { bnMode: 'eval', ...cfg }), ebmParams: new Set(['bn.scale', 'bn.bias']) };
    return runAndDiff(o, o.engine.getWeights());
  };
  try {
    const energyOnly = await run({ xentWeight: 0, marginalWeight: 0 });
    assert.deepEqual(energyOnly.changed.sort(), ['bn.bias', 'bn.scale']);
    const full = await run({ xentWeight: 1, marginalWeight: 1 });
    assert.ok(full.changed.length > 2 && full.changed.includes('bn.scale'), `changed: ${full.changed}`);
    const lines = readMetrics(dirs[1]);
    assert.ok(lines.every((l) => l.marginal > 0 && Number.isFinite(l.ebm) && Number.isFinite(l.xent)));
  } finally {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
});
