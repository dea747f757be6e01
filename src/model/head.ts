/**
 * The classifier head of an ONNX graph: the initializers of the affine layer that produces the
 * logits (Gemm weight and bias, or MatMul weight + Add bias, through Reshape/Flatten/Identity),
 * the part SHOT-style adaptation holds fixed while the feature extractor adapts, and the bias that
 * prior matching shifts.
 */
import { MismatchError } from '../util/errors.ts';
import { DataType, toNum, type ModelProto, type TensorProto } from './onnx-io.ts';

const PASS_THROUGH = new Set(['Identity', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze']);

/** The head's initializers walking up from the logits: all of them, and the additive bias (if any). */
function walkHead(model: ModelProto, logitsName: string): { all: Set<string>; bias: string | null } {
  const g = model.graph;
  const inits = new Set((g?.initializer ?? []).map((t) => t.name ?? ''));
  const producer = new Map<string, { opType: string; input: string[] }>();
  for (const n of g?.node ?? []) for (const o of n.output ?? []) producer.set(o, { opType: n.opType ?? '', input: n.input ?? [] });
  const all = new Set<string>();
  let bias: string | null = null;
  let t = logitsName;
  for (let depth = 0; depth < 8; depth++) {
    const p = producer.get(t);
    if (!p) break;
    const given = p.input.filter((i) => i !== '');
    const own = given.filter((i) => inits.has(i));
    const data = given.filter((i) => !inits.has(i));
    if (p.opType === 'Gemm' || p.opType === 'MatMul') {
      for (const i of own) all.add(i);
      if (p.opType === 'Gemm' && bias === null && p.input[2] && inits.has(p.input[2])) bias = p.input[2];
      break;
    }
    if (p.opType === 'Add' && own.length === 1 && data.length === 1) {
      all.add(own[0]);
      bias ??= own[0];
      t = data[0];
      continue;
    }
    if (PASS_THROUGH.has(p.opType) && data.length === 1) {
      t = data[0];
      continue;
    }
    break;
  }
  return { all, bias };
}

export function classifierHead(model: ModelProto, logitsName: string): Set<string> {
  const { all } = walkHead(model, logitsName);
  if (all.size === 0) {
    throw new MismatchError(`no affine classifier head (Gemm, or MatMul [+ Add]) produces the logits '${logitsName}'; --freeze head needs one`);
  }
  return all;
}

/** The float32 bias initializer added to the logits by the classifier head (one value per class). */
export function classifierHeadBias(model: ModelProto, logitsName: string): { name: string; size: number; tensor: TensorProto } {
  const { bias } = walkHead(model, logitsName);
  const tensor = bias === null ? undefined : model.graph?.initializer?.find((t) => t.name === bias);
  if (!tensor) {
    throw new MismatchError(`no bias initializer is added to the logits '${logitsName}' (Gemm with a bias, or MatMul + Add); --prior-match needs one`);
  }
  if (tensor.dataType !== DataType.FLOAT) throw new MismatchError(`the head bias '${bias}' is not float32`);
  const size = (tensor.dims ?? []).map(toNum).reduce((a, b) => a * b, 1);
  return { name: bias!, size, tensor };
}
