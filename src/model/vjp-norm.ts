/**
 * The normalisation rewrites of the VJP graph (vjp-graph.ts): train-mode BatchNormalization forward
 * and backward as ONNX ops (through the batch mean and variance), and, in 'eval' mode, BatchNorm
 * with a trainable scale or bias, LayerNormalization and InstanceNormalization decomposed into
 * elementary ops that the generic rules of gradgraph/rules.ts differentiate.
 */
import { onnx, attrFloat, toNum, type ModelProto, type NodeProto } from './onnx-io.ts';
import { GraphEmitter } from './gradgraph/builder.ts';
import { UnsupportedOpError } from '../util/errors.ts';
import type { BnMode } from './types.ts';

/** Tensors of a train-mode BatchNormalization's forward that its backward reuses. */
export interface TrainBn {
  x: string;
  xc: string;
  inv: string;
  k: string;
  mu: string;
  axes: number[];
  C: number;
}

/**
 * Train-mode BatchNormalization forward as ONNX ops (biased batch variance for normalising):
 * mu = mean(x), xc = x − mu, v = mean(xc²), inv = 1/√(v+ε), y = xc·(scale·inv) + bias.
 */
export function trainBatchNormForward(n: NodeProto, e: GraphEmitter, r: number, C: number): { nodes: NodeProto[]; t: TrainBn; v: string } {
  const [x, scale, bias] = n.input!;
  const eps = attrFloat(n, 'epsilon', 1e-5);
  const start = e.nodes.length;
  const chanShape = e.i64([C, ...new Array(Math.max(0, r - 2)).fill(1)]);
  const axes = [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2)];
  const mu = e.reduceMean(x, axes, true);
  const xc = e.op1('Sub', [x, mu]);
  const v = e.reduceMean(e.op1('Mul', [xc, xc]), axes, true);
  const inv = e.op1('Reciprocal', [e.op1('Sqrt', [e.op1('Add', [v, e.scalar(eps)])])]);
  const k = e.op1('Mul', [e.op1('Reshape', [scale, chanShape]), inv]);
  e.opNamed('Add', [e.op1('Mul', [xc, k]), e.op1('Reshape', [bias, chanShape])], [n.output![0]]);
  const nodes = e.nodes.splice(start);
  return { nodes, t: { x, xc, inv, k, mu, axes, C }, v };
}

/**
 * Train-mode BatchNormalization backward (through the batch mean and variance), with
 * S_g = Σ g, S_gx = Σ g·xc over N and spatial axes, n their count:
 * dbias = S_g, dscale = inv·S_gx, dx = k·g − xc·(k·inv²·S_gx/n) − k·S_g/n.
 */
export function trainBatchNormBackward(e: GraphEmitter, t: TrainBn, g: string, want: [boolean, boolean, boolean]): (string | undefined)[] {
  const sg = e.reduceSum(g, t.axes, true);
  const sgx = want[0] || want[1] ? e.reduceSum(e.op1('Mul', [g, t.xc]), t.axes, true) : undefined;
  const flat = (a: string) => e.op1('Reshape', [a, e.i64([t.C])]);
  let dx: string | undefined;
  if (want[0]) {
    const invN = e.op1('Div', [e.scalar(1), e.sizeRatio(t.x, t.mu)]);
    const kn = e.op1('Mul', [t.k, invN]);
    const c1 = e.op1('Neg', [e.op1('Mul', [e.op1('Mul', [kn, e.op1('Mul', [t.inv, t.inv])]), sgx!])]);
    const c0 = e.op1('Neg', [e.op1('Mul', [kn, sg])]);
    dx = e.op1('Add', [e.op1('Add', [e.op1('Mul', [g, t.k]), e.op1('Mul', [t.xc, c1])]), c0]);
  }
  return [dx, want[1] ? flat(e.op1('Mul', [t.inv, sgx!])) : undefined, want[2] ? flat(sg) : undefined];
}

/**
 * In 'eval' mode, replace the BatchNormalization nodes whose scale or bias is trainable by their
 * affine map with running statistics (elementary ops, differentiated by the generic rules).
 * 'train' mode keeps them: see trainBatchNorm. `rank` gives the rank of each BN input.
 *
 * A BatchNorm whose input is a Conv's output that nothing else reads is folded into that Conv
 * (foldedConvBn) when the Conv's weight is trainable too: one Conv with weight W·s and bias
 * (b − mean)·s + bias, s = scale/√(var + ε), computed from the parameters on every run. The
 * per-activation Mul and Add of the affine map, and in the backward pass their per-activation
 * gradients (Σ g·x̂ for the scale), become operations on parameter-sized tensors (the chain rule
 * through W·s), and onnxruntime may fuse the Conv with the activation that follows. With a fixed
 * Conv weight the fold would cost more than it saves: the scale's gradient would then need the
 * whole weight gradient ∂L/∂(W·s), one im2col product per layer, where the affine map's is one
 * elementwise pass (the TDNN's BatchNorm-only VJP at 32 rows: 18.7 ms folded, 13.4 ms not).
 */
export function decomposeBatchNorm(model: ModelProto, mode: BnMode, trainable: Set<string>, rank: (t: string) => number, opset: number): ModelProto {
  const m = onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
  const g = m.graph!;
  const e = new GraphEmitter(opset, undefined, 'jemda_bn/');
  const nodes: NodeProto[] = [];
  const inits = new Map((g.initializer ?? []).map((t) => [t.name!, t]));
  const folds = mode === 'eval' ? foldableConvBn(g.node ?? [], (bn, conv) => trainable.has(conv.input![1]) && (trainable.has(bn.input![1]) || trainable.has(bn.input![2])), new Set((g.output ?? []).map((o) => o.name!))) : new Map<number, NodeProto>();
  const foldedBn = new Set(folds.values());
  (g.node ?? []).forEach((n, idx) => {
    const bn = folds.get(idx);
    if (bn) {
      nodes.push(...foldedConvBn(n, bn, e));
      return;
    }
    if (foldedBn.has(n)) return;
    if (n.opType === 'LayerNormalization' || n.opType === 'InstanceNormalization') {
      nodes.push(...decomposeNorm(n, idx, e, rank(n.input![0])));
      return;
    }
    if (n.opType !== 'BatchNormalization') {
      nodes.push(n);
      return;
    }
    const [x, scale, bias, mean, variance] = n.input ?? [];
    const affineTrainable = trainable.has(scale) || trainable.has(bias);
    if (mode === 'train' || !affineTrainable) {
      nodes.push(n);
      return;
    }
    if ((n.output ?? []).slice(1).some((o) => o)) throw new UnsupportedOpError({ name: n.name ?? '', opType: 'BatchNormalization', index: idx }, 'extra outputs (running mean/var) are not supported');
    const eps = attrFloat(n, 'epsilon', 1e-5);
    const sInit = inits.get(scale);
    const C = sInit ? toNum((sInit.dims ?? [])[0]) : NaN;
    if (!Number.isFinite(C)) throw new UnsupportedOpError({ name: n.name ?? '', opType: 'BatchNormalization', index: idx }, 'scale must be an initializer');
    const r = rank(x);
    const chanShape = e.i64([C, ...new Array(Math.max(0, r - 2)).fill(1)]);
    const start = e.nodes.length;
    const s = e.op1('Mul', [scale, e.op1('Reciprocal', [e.op1('Sqrt', [e.op1('Add', [variance, e.scalar(eps)])])])]);
    const sr = e.op1('Reshape', [s, chanShape]);
    const br = e.op1('Reshape', [e.op1('Sub', [bias, e.op1('Mul', [mean, s])]), chanShape]);
    e.opNamed('Add', [e.op1('Mul', [x, sr]), br], [n.output![0]]);
    nodes.push(...e.nodes.slice(start));
  });
  g.node = nodes;
  g.initializer = [...(g.initializer ?? []), ...e.initializers];
  m.opsetImport = [...(m.opsetImport ?? []).filter((o) => o.domain && o.domain !== 'ai.onnx'), onnx.OperatorSetIdProto.create({ domain: '', version: opset })];
  return m;
}

/**
 * Every Conv → BatchNormalization pair of `model` folded into one Conv (foldedConvBn), for graphs
 * that evaluate BatchNorm with its running statistics (the ∂E/∂x graph). Other nodes are kept.
 */
export function foldConvBatchNorm(model: ModelProto, opset: number): ModelProto {
  const g = model.graph!;
  const folds = foldableConvBn(g.node ?? [], () => true, new Set((g.output ?? []).map((o) => o.name!)));
  if (folds.size === 0) return model;
  const e = new GraphEmitter(opset, undefined, 'jemda_bn/');
  const folded = new Set(folds.values());
  const nodes: NodeProto[] = [];
  (g.node ?? []).forEach((n, idx) => {
    const bn = folds.get(idx);
    if (bn) nodes.push(...foldedConvBn(n, bn, e));
    else if (!folded.has(n)) nodes.push(n);
  });
  const m = onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
  m.graph!.node = nodes;
  m.graph!.initializer = [...(m.graph!.initializer ?? []), ...e.initializers];
  m.opsetImport = [...(m.opsetImport ?? []).filter((o) => o.domain && o.domain !== 'ai.onnx'), onnx.OperatorSetIdProto.create({ domain: '', version: opset })];
  return m;
}

/**
 * The eval-mode BatchNorms to fold into their Conv: node index of the Conv → its BatchNorm, where
 * `want(bn, conv)` (decomposeBatchNorm: its scale or bias and the Conv's weight are trainable), its
 * input is the Conv's only output, nothing else reads that output, and neither has extra outputs.
 */
function foldableConvBn(nodes: NodeProto[], want: (bn: NodeProto, conv: NodeProto) => boolean, graphOutputs: Set<string>): Map<number, NodeProto> {
  const readers = new Map<string, number>();
  for (const n of nodes) for (const i of n.input ?? []) if (i) readers.set(i, (readers.get(i) ?? 0) + 1);
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => o && producer.set(o, i)));
  const out = new Map<number, NodeProto>();
  for (const n of nodes) {
    if (n.opType !== 'BatchNormalization') continue;
    const x = (n.input ?? [])[0];
    if ((n.output ?? []).slice(1).some((o) => o)) continue;
    const ci = producer.get(x);
    if (ci === undefined) continue;
    const c = nodes[ci];
    if (c.opType !== 'Conv' || !want(n, c) || (c.output ?? []).length !== 1 || readers.get(x) !== 1 || graphOutputs.has(x)) continue;
    out.set(ci, n);
  }
  return out;
}

/**
 * Conv followed by eval-mode BatchNormalization as one Conv: with s = scale/√(var + ε),
 * W' = W·s (per output channel) and b' = (b − mean)·s + bias (b = 0 without a Conv bias).
 */
function foldedConvBn(conv: NodeProto, bn: NodeProto, e: GraphEmitter): NodeProto[] {
  const [x, w, b] = conv.input!;
  const [, scale, bias, mean, variance] = bn.input!;
  const eps = attrFloat(bn, 'epsilon', 1e-5);
  const start = e.nodes.length;
  const s = e.op1('Mul', [scale, e.op1('Reciprocal', [e.op1('Sqrt', [e.op1('Add', [variance, e.scalar(eps)])])])]);
  // s as [M, 1, ..., 1] against W [M, C/group, k...]: the kernel's rank from the Conv's kernel_shape when given, else from W below
  const ks = conv.attribute?.find((a) => a.name === 'kernel_shape')?.ints;
  const wShape = e.op1('Shape', [w]);
  const ones = ks ? e.i64([-1, ...new Array(ks.length + 1).fill(1)]) : e.op1('Concat', [e.i64([-1]), e.op1('ConstantOfShape', [e.op1('Sub', [e.op1('Shape', [wShape]), e.i64([1])])], { value: { t: onnx.TensorProto.create({ dims: [1], dataType: onnx.TensorProto.DataType.INT64, int64Data: [1] }) } })], { axis: { i: 0 } });
  const wf = e.op1('Mul', [w, e.op1('Reshape', [s, ones])]);
  const shifted = b ? e.op1('Sub', [b, mean]) : e.op1('Neg', [mean]);
  const bf = e.op1('Add', [e.op1('Mul', [shifted, s]), bias]);
  e.nodes.push(onnx.NodeProto.create({ ...conv, input: [x, wf, bf], output: [bn.output![0]] }));
  return e.nodes.splice(start);
}

/**
 * LayerNormalization (normalised over axes axis..r−1, scale/bias broadcast on them) and
 * InstanceNormalization (over the spatial axes, per-channel scale/bias) as elementary ops, which
 * the generic rules then differentiate (also through the mean and variance).
 */
function decomposeNorm(n: NodeProto, idx: number, e: GraphEmitter, r: number): NodeProto[] {
  const ref = { name: n.name ?? '', opType: n.opType ?? '', index: idx };
  if ((n.output ?? []).slice(1).some((o) => o)) throw new UnsupportedOpError(ref, 'extra outputs (mean / inverse std) are not supported');
  const [x, scale, bias] = n.input!;
  const eps = attrFloat(n, 'epsilon', 1e-5);
  const start = e.nodes.length;
  let axes: number[];
  let sc = scale;
  let bi = bias;
  if (n.opType === 'LayerNormalization') {
    let axis = toNum(n.attribute?.find((a) => a.name === 'axis')?.i ?? -1);
    if (axis < 0) axis += r;
    axes = Array.from({ length: r - axis }, (_, i) => axis + i);
  } else {
    axes = Array.from({ length: r - 2 }, (_, i) => i + 2);
    const shape = e.i64([-1, ...new Array(r - 2).fill(1)]);
    sc = e.op1('Reshape', [scale, shape]);
    bi = bias ? e.op1('Reshape', [bias, shape]) : '';
  }
  const mu = e.reduceMean(x, axes, true);
  const xc = e.op1('Sub', [x, mu]);
  const v = e.reduceMean(e.op1('Mul', [xc, xc]), axes, true);
  const inv = e.op1('Reciprocal', [e.op1('Sqrt', [e.op1('Add', [v, e.scalar(eps)])])]);
  const y = e.op1('Mul', [e.op1('Mul', [xc, inv]), sc]);
  if (bi) e.opNamed('Add', [y, bi], [n.output![0]]);
  else e.opNamed('Identity', [y], [n.output![0]]);
  return e.nodes.splice(start);
}
