/**
 * The classifier head of an ONNX graph: the initializers of the affine layer that produces the
 * logits (Gemm weight and bias, or MatMul weight + Add bias, through Reshape/Flatten/Identity),
 * the part SHOT-style adaptation holds fixed while the feature extractor adapts.
 */
import { MismatchError } from '../util/errors.ts';
import type { ModelProto } from './onnx-io.ts';

const PASS_THROUGH = new Set(['Identity', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze']);

export function classifierHead(model: ModelProto, logitsName: string): Set<string> {
  const g = model.graph;
  const inits = new Set((g?.initializer ?? []).map((t) => t.name ?? ''));
  const producer = new Map<string, { opType: string; input: string[]; name: string }>();
  for (const n of g?.node ?? []) for (const o of n.output ?? []) producer.set(o, { opType: n.opType ?? '', input: (n.input ?? []).filter((i) => i !== ''), name: n.name ?? '' });
  const head = new Set<string>();
  let t = logitsName;
  for (let depth = 0; depth < 8; depth++) {
    const p = producer.get(t);
    if (!p) break;
    const own = p.input.filter((i) => inits.has(i));
    const data = p.input.filter((i) => !inits.has(i));
    if (p.opType === 'Gemm' || p.opType === 'MatMul') {
      for (const i of own) head.add(i);
      break;
    }
    if (p.opType === 'Add' && own.length === 1 && data.length === 1) {
      head.add(own[0]);
      t = data[0];
      continue;
    }
    if (PASS_THROUGH.has(p.opType) && data.length === 1) {
      t = data[0];
      continue;
    }
    break;
  }
  if (head.size === 0) {
    throw new MismatchError(`no affine classifier head (Gemm, or MatMul [+ Add]) produces the logits '${logitsName}'; --freeze head needs one`);
  }
  return head;
}
