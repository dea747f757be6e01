/**
 * Dev evaluation during training, always through onnxruntime (the same executor `jemda eval`
 * uses): the current weights are exported into a copy of the graph and run in eval mode.
 */
import { exportModel } from '../model/exporter.ts';
import type { ModelProto } from '../model/onnx-io.ts';
import { argmaxRows, accuracy, nll } from '../engine/metrics.ts';
import { ortLogits, type ExampleSet } from '../model/ort-logits.ts';

export async function devMetrics(
  original: ModelProto,
  weights: Map<string, Float32Array>,
  set: ExampleSet,
  numClasses: number,
  opts: { batchSize?: number; threads?: number } = {},
): Promise<{ acc: number; nll: number }> {
  const m = exportModel(original, weights);
  const logits = await ortLogits(m, set, opts);
  return { acc: accuracy(argmaxRows(logits, numClasses), set.labels), nll: nll(logits, set.labels, numClasses) };
}
