/**
 * The graph walks shared by the energy-gradient graph (grad-graph.ts) and the VJP graph
 * (vjp-graph.ts): which nodes the logits need, which tensors carry a gradient, and one step of the
 * reverse pass through a node's RULES entry.
 */
import { onnx, tensorToArray, type NodeProto, type TensorProto } from '../onnx-io.ts';
import type { GraphEmitter } from './builder.ts';
import { RULES, type BwdCtx, type TensorInfo } from './rules/index.ts';
import { OnnxError, UnsupportedOpError } from '../../util/errors.ts';

const DT = onnx.TensorProto.DataType;

export type NodeRef = { name: string; opType: string; index: number };

export function nodeRef(n: NodeProto, index: number): NodeRef {
  return { name: n.name ?? '', opType: n.opType ?? '', index };
}

/** Indices of the nodes the logits depend on, in graph order. */
export function nodesForLogits(nodes: NodeProto[], logits: string): number[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => o && producer.set(o, i)));
  if (!producer.has(logits)) throw new OnnxError(`logits tensor '${logits}' is not produced by any node`);
  const need = new Set<number>();
  const stack = [logits];
  const seen = new Set<string>();
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    const p = producer.get(t);
    if (p === undefined || need.has(p)) continue;
    need.add(p);
    for (const i of nodes[p].input ?? []) if (i) stack.push(i);
  }
  return [...need].sort((a, b) => a - b);
}

/** Probe shapes when none are given: batch 2 and 3, other dynamic axes 64 and 71. */
export function defaultProbeShapes(xDims: (number | null)[]): [number[], number[]] {
  return [xDims.map((d, i) => d ?? (i === 0 ? 2 : 64)), xDims.map((d, i) => d ?? (i === 0 ? 3 : 71))];
}

/** Lookup into probed tensor info that throws for an unknown tensor. */
export function infoGetter(info: Map<string, TensorInfo>): (n: string) => TensorInfo {
  return (n: string): TensorInfo => {
    const i = info.get(n);
    if (!i) throw new OnnxError(`no shape known for tensor '${n}'`);
    return i;
  };
}

/**
 * Grow `diff` (initially the tensors whose gradient is wanted) over the kept nodes: float outputs
 * of a node with a differentiable input become differentiable, checked against RULES. `special`
 * may take a node over (return true) before the rule lookup; `noRuleMsg` is the error detail when
 * an op has no rule.
 */
export function markDifferentiable(
  nodes: NodeProto[],
  kept: number[],
  info: Map<string, TensorInfo>,
  diff: Set<string>,
  noRuleMsg: string,
  special?: (n: NodeProto, ref: NodeRef, diffIns: number[]) => boolean,
): void {
  for (const idx of kept) {
    const n = nodes[idx];
    const ref = nodeRef(n, idx);
    const ins = n.input ?? [];
    const diffIns = ins.map((a, k) => (a && diff.has(a) ? k : -1)).filter((k) => k >= 0);
    if (diffIns.length === 0) continue;
    const floatOuts = (n.output ?? []).filter((o) => o && info.get(o)?.elemType === DT.FLOAT);
    if (floatOuts.length === 0) continue;
    if (special?.(n, ref, diffIns)) continue;
    const rule = RULES[n.opType ?? ''];
    if (!rule) throw new UnsupportedOpError(ref, noRuleMsg);
    if (rule.zeroGrad) continue;
    if (rule.diff !== 'all') {
      const bad = diffIns.find((k) => !(rule.diff as number[]).includes(k));
      if (bad !== undefined) throw new UnsupportedOpError(ref, `gradient with respect to input ${bad} ('${ins[bad]}') is not supported`);
    }
    if (!rule.backward) throw new UnsupportedOpError(ref, 'no gradient rule');
    if (n.opType === 'MaxPool') diff.add(n.output![0]);
    else for (const o of floatOuts) diff.add(o);
  }
}

/**
 * One reverse step through node `n` (graph index `idx`) by its RULES entry: sums the gradients
 * reaching its outputs and appends the gradient of each differentiable input to `grads`.
 */
export function backpropNode(
  n: NodeProto,
  idx: number,
  e: GraphEmitter,
  grads: Map<string, string[]>,
  diff: Set<string>,
  getInfo: (n: string) => TensorInfo,
  consts: Map<string, TensorProto | number[]>,
): void {
  const outs = n.output ?? [];
  const rule = RULES[n.opType ?? '']!;
  const ref = nodeRef(n, idx);
  const ctx: BwdCtx = {
    node: n,
    e,
    gOut: outs.map((o) => (grads.has(o) ? e.sum(grads.get(o)!) : undefined)),
    isDiff: (a) => diff.has(a),
    info: getInfo,
    constValue: (name) => {
      const v = consts.get(name);
      if (!v) return undefined;
      if (Array.isArray(v)) return v;
      const a = tensorToArray(v);
      return Array.from(a.data as ArrayLike<number | bigint>, (z) => Number(z));
    },
    fail: (detail) => {
      throw new UnsupportedOpError(ref, detail);
    },
  };
  if (ctx.gOut.every((g) => g === undefined)) return;
  const res = rule.backward!(ctx);
  (n.input ?? []).forEach((a, i) => {
    const r = res[i];
    if (!r || !diff.has(a)) return;
    const list = grads.get(a) ?? [];
    list.push(r);
    grads.set(a, list);
  });
}
