/**
 * Logits of a model on a set of examples through onnxruntime-node (the one executor for
 * evaluation). Examples of different shapes (a front end without a fixed frame count) are run in
 * groups of equal shape.
 */
import { decodeModel, type ModelProto } from './onnx-io.ts';
import { OrtRunner, withExtraOutputs } from './ort-runner.ts';
import { findLogits } from './logits.ts';

export interface ExampleSet {
  /** One model-input example per utterance (no batch axis). */
  inputs: Float32Array[];
  labels: Int32Array;
  /** Shape of every example; when examples differ, `shapes` holds each one's. */
  exampleShape: number[];
  shapes?: number[][];
  utts?: string[];
}

export interface OrtLogitsOptions {
  batchSize?: number;
  threads?: number;
  /** Logits tensor name (default: the importer's choice: input of a terminal Softmax/LogSoftmax, else the output). */
  logits?: string;
  /** The model file, for error messages. */
  source?: string;
}

/** Logits (n × C, row-major) of `model` on `set`. */
export async function ortLogits(model: ModelProto | Uint8Array, set: ExampleSet, opts: OrtLogitsOptions = {}): Promise<Float32Array> {
  const proto = model instanceof Uint8Array ? decodeModel(model) : model;
  const out = findLogits(proto, opts.logits).name;
  const runner = await OrtRunner.create(withExtraOutputs(proto, [out]), { threads: opts.threads, source: opts.source });
  try {
    const n = set.inputs.length;
    const groups = new Map<string, number[]>();
    for (let i = 0; i < n; i++) {
      const key = (set.shapes?.[i] ?? set.exampleShape).join('x');
      const g = groups.get(key);
      if (g) g.push(i);
      else groups.set(key, [i]);
    }
    let all: Float32Array | null = null;
    let C = 0;
    for (const idx of groups.values()) {
      const shape = set.shapes?.[idx[0]] ?? set.exampleShape;
      const rows = await runner.runBatched(runner.inputNames[0], (k) => set.inputs[idx[k]], shape, opts.batchSize ?? 64, out, idx.length);
      if (!all) {
        C = rows[0].length;
        all = new Float32Array(n * C);
      }
      rows.forEach((r, k) => (all as Float32Array).set(r, idx[k] * C));
    }
    return all ?? new Float32Array(0);
  } finally {
    await runner.dispose();
  }
}
