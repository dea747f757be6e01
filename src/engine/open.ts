/**
 * Open the parameter-gradient engine `jemda train` and `jemda adapt` run on: resolve --engine
 * (auto: tfjs on libtensorflow, onnxruntime otherwise), build it, and with 'auto' fall back to the
 * tfjs importer when the onnxruntime VJP graph cannot be derived (e.g. an op without a backward
 * rule). One log line says which engine and why.
 */
import { currentTfjsBackend } from '../model/backend-state.ts';
import type { ModelProto } from '../model/onnx-io.ts';
import type { BnMode, ImportedModel, Trainable } from '../model/types.ts';
import { VjpOrt } from '../model/vjp-ort.ts';
import { JemdaError } from '../util/errors.ts';
import { log, warn } from '../util/log.ts';
import type { GradEngine } from './engine.ts';
import { resolveEngine, type EngineChoice, type EngineName } from './resolve.ts';
import type { TfjsGradEngine } from './tfjs-engine.ts';

export interface OpenEngineOptions {
  choice?: EngineChoice;
  /** The logits tensor (graph-derived default otherwise). */
  logitsName: string;
  trainable: Trainable;
  /** Default BatchNorm mode of the onnxruntime graphs (a call may ask for the other). */
  bnMode: BnMode;
  exampleShape: number[];
  threads?: number;
  /** Weights that never change during the run: initializers of the onnxruntime graphs (VjpGraphOptions.constants). */
  constants?: ReadonlySet<string>;
  /** Log prefix: the command. */
  what: string;
}

export async function openGradEngine(proto: ModelProto, o: OpenEngineOptions): Promise<GradEngine> {
  const backend = currentTfjsBackend();
  const chosen = resolveEngine(o.choice, backend);
  let name: EngineName = chosen.engine;
  let reason = chosen.reason;
  let engine: GradEngine | null = null;
  if (name === 'ort') {
    try {
      engine = await VjpOrt.create(proto, { logitsName: o.logitsName, trainable: o.trainable, bnMode: o.bnMode, threads: o.threads, exampleShape: o.exampleShape, constants: o.constants });
    } catch (e) {
      if ((o.choice ?? 'auto') !== 'auto' || !(e instanceof JemdaError)) throw e;
      warn(`${o.what}: onnxruntime VJP graph unavailable (${(e as Error).message}); falling back to the tfjs engine`);
      name = 'tfjs';
      reason = 'fallback';
    }
  }
  if (!engine) {
    // tfjs is loaded only here: an onnxruntime run never pays its start-up
    const [{ TfjsGradEngine }, { importModel }] = await Promise.all([import('./tfjs-engine.ts'), import('../model/importer.ts')]);
    engine = new TfjsGradEngine(importModel(proto, { trainable: o.trainable, logits: o.logitsName }), o.exampleShape);
  }
  log(`${o.what}: parameter engine: ${name === 'ort' ? 'onnxruntime (VJP graph)' : `tfjs (${backend || 'default backend'})`} — ${reason}`);
  return engine;
}

/** The tfjs model behind a tfjs engine (to share with a tfjs sampler), null for onnxruntime. */
export function engineModel(engine: GradEngine): ImportedModel | null {
  return engine.name === 'tfjs' ? (engine as TfjsGradEngine).model : null;
}
