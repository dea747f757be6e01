/**
 * The small MLP adaptation fixture shared by the onnxruntime trainer tests (engine-ort.test.ts) and
 * the engine-agreement test: a 3-class model on 20 × 10 inputs, blob source data and a shifted
 * target, and the trainer options for one method on either engine.
 */
import { buildModel, defaultFrontEnd } from '../../src/model/builders/index.ts';
import { importModel } from '../../src/model/importer.ts';
import { VjpOrt } from '../../src/model/vjp-ort.ts';
import { EnergyGradOrt } from '../../src/model/energy-grad-ort.ts';
import type { TrainerOptions } from '../../src/adapt/trainer.ts';
import type { GradEngine } from '../../src/engine/engine.ts';
import { TfjsGradEngine } from '../../src/engine/tfjs-engine.ts';
import { resolveConfig, trainableFor, usesSampler, type AdaptConfig, type Method } from '../../src/adapt/config.ts';
import { classifierHead } from '../../src/model/head.ts';
import type { Trainable } from '../../src/model/types.ts';
import { blobs, unlabeled } from './synthetic.ts';

export const SHAPE = [20, 10];
export const DIM = 200;
export const fe = defaultFrontEnd('BTF', { featDim: 10, numFrames: 20 });
export const proto = buildModel('mlp', { hidden: [16] }, fe, ['a', 'b', 'c'], 3);
export const source = blobs(96, DIM, 3, 0, 1);
export const target = blobs(96, DIM, 3, 1.5, 2);

/**
 * Trainer options for `method` (tent trains BatchNorm affine, the others every parameter): 6 small
 * updates unless `cfg` says otherwise; JEM samples with the onnxruntime ∂E/∂x graph on both engines.
 * The caller disposes the engine (`o.engine.dispose()`).
 */
export async function trainerOptions(method: Method, expDir: string, cfg: Partial<AdaptConfig>, o: { seed?: number; engine?: 'ort' | 'tfjs' } = {}): Promise<TrainerOptions> {
  // The baselines added with their own recipes run with their recommended settings (tea is source-free).
  const base = method === 'tea' || method === 'shot-im' || method === 'entropy-ce' ? method : undefined;
  const config = resolveConfig({ steps: 6, batchSize: 16, sgldBatchSize: 16, sgldSteps: 4, sgldStepSize: 0.1, bufferSize: 64, checkpointEvery: 2, lr: 1e-2, ...cfg }, base);
  const trainable: Trainable = trainableFor(method, config);
  const engine = o.engine ?? 'ort';
  const gradEngine: GradEngine =
    engine === 'ort' ? await VjpOrt.create(proto, { logitsName: 'logits', trainable, bnMode: 'train', threads: 1 }) : new TfjsGradEngine(importModel(proto, { trainable }), SHAPE);
  const eg = usesSampler(method) ? await EnergyGradOrt.create(proto, { logitsName: 'logits', threads: 1 }) : null;
  return {
    method,
    engine: gradEngine,
    energyGrad: eg,
    samplerSharesModel: false,
    exampleShape: SHAPE,
    numClasses: 3,
    source,
    target: unlabeled(target),
    oracleTarget: method === 'supervised' ? target : undefined,
    frozen: config.freeze === 'head' ? classifierHead(proto, 'logits') : null,
    config,
    expDir,
    seed: o.seed ?? 5,
    resume: false,
  } as TrainerOptions;
}
