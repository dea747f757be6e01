/**
 * Derive from a classifier's ONNX graph a second ONNX graph that outputs the JEM energy
 * E(x) = −logsumexp(logits) (or −logits[y] with `classConditional`) per example and
 * grad_x = ∂(Σ E)/∂x, by reverse-mode differentiation written as ONNX ops (eval mode; the per-op
 * rules are in gradgraph/rules/). Every float initializer becomes a graph INPUT, so new weights
 * are fed on each call without rebuilding the onnxruntime session.
 *
 * Shapes are taken from two probe runs of the original model through onnxruntime with different
 * batch (and dynamic-axis) sizes: dims that agree are static, the others are resolved at run time
 * with Shape/Size ops.
 */
import * as ort from 'onnxruntime-node';
import { onnx, opsetVersion, tensorToArray, toNum, attr, type ModelProto, type NodeProto, type TensorProto } from './onnx-io.ts';
import { GraphEmitter, type MaxPoolGrad } from './gradgraph/builder.ts';
import { RULES, type TensorInfo } from './gradgraph/rules/index.ts';
import { nodesForLogits, defaultProbeShapes, infoGetter, markDifferentiable, backpropNode } from './gradgraph/walk.ts';
import { inputDims, withExtraOutputs } from './ort-runner.ts';
import { foldConvBatchNorm } from './vjp-norm.ts';
import { OnnxError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';

const DT = onnx.TensorProto.DataType;

export interface GradGraphOptions {
  /** The tensor holding the logits [B, K]. */
  logitsName: string;
  /** Add an int64 input for the class and output E = −logits[y] instead of −logsumexp. */
  classConditional?: boolean;
  /** Two full input shapes for the shape probes (default: batch 2 and 3, other dynamic axes 64 and 71). */
  probeShapes?: [number[], number[]];
  /** Gradient formulation for square 2-D tiling MaxPool (see MaxPoolGrad; default 'resize', the fastest measured). */
  maxPoolGrad?: MaxPoolGrad;
  /** Rewrite Relu→MaxPool as MaxPool→Relu (equal values; the ReLU and its gradient mask then work
   * on the pooled tensor, k² times smaller). Default true. */
  swapReluMaxPool?: boolean;
  /** Input gradient of a stride-1 Conv as a Conv on flipped weights when x has >= this many channels,
   * else ConvTranspose (default 8). */
  convGradMinChannels?: number;
  /**
   * Fold each BatchNormalization that follows a Conv into that Conv (weights W·s, bias
   * (b − mean)·s + bias; vjp-norm.ts foldConvBatchNorm): onnxruntime then fuses the Conv with its
   * activation, and the backward pass runs through one Conv instead of Conv + BatchNorm. Default true.
   */
  foldBatchNorm?: boolean;
}

export interface GradGraph {
  model: ModelProto;
  /** Names of the float initializers that became graph inputs (feed them on every run). */
  weightInputs: string[];
  /** Their values in the source model. */
  weights: Map<string, { dims: number[]; data: Float32Array }>;
  inputName: string;
  /** Per-example input dims (null where dynamic). */
  exampleDims: (number | null)[];
  /** Name of the int64 class input when classConditional. */
  classInput?: string;
  numClasses: number;
  energyName: 'energy';
  gradName: 'grad_x';
}

const ORT_TYPES: Record<string, number> = {
  float32: DT.FLOAT,
  float64: DT.DOUBLE,
  int64: DT.INT64,
  int32: DT.INT32,
  bool: DT.BOOL,
  uint8: DT.UINT8,
  int8: DT.INT8,
  float16: DT.FLOAT16,
};

export function cloneNode(n: NodeProto): NodeProto {
  return onnx.NodeProto.decode(onnx.NodeProto.encode(n).finish());
}

export function valueInfo(name: string, elemType: number, dims: (number | string)[] | null) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType,
        ...(dims
          ? { shape: onnx.TensorShapeProto.create({ dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) }) }
          : {}),
      }),
    }),
  });
}

/** Run the model twice with every intermediate tensor exposed; record dims and element types. */
export async function probe(model: ModelProto, inputName: string, shapes: [number[], number[]]): Promise<Map<string, TensorInfo>> {
  const names: string[] = [];
  for (const n of model.graph!.node ?? []) for (const o of n.output ?? []) if (o) names.push(o);
  const m = withExtraOutputs(model, []);
  const have = new Set((m.graph!.output ?? []).map((o) => o.name));
  for (const n of names) if (!have.has(n)) m.graph!.output!.push(onnx.ValueInfoProto.create({ name: n }));
  let s: ort.InferenceSession;
  try {
    s = await ort.InferenceSession.create(onnx.ModelProto.encode(m).finish(), { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1, logSeverityLevel: 3 });
  } catch (e) {
    // e.g. an op onnxruntime does not know: a typed error, not a crash
    throw new OnnxError(`onnxruntime could not load graph '${model.graph?.name ?? ''}' (probing its tensor shapes): ${(e as Error).message}`, undefined, { cause: e });
  }
  const rng = new Rng(12345);
  const runs: Record<string, { dims: number[]; type: string }>[] = [];
  try {
    for (const shape of shapes) {
      const x = new Float32Array(shape.reduce((a, b) => a * b, 1));
      for (let i = 0; i < x.length; i++) x[i] = rng.normal();
      let r: ort.InferenceSession.ReturnType;
      try {
        r = await s.run({ [inputName]: new ort.Tensor('float32', x, shape) });
      } catch (e) {
        throw new OnnxError(`shape probe with input [${shape.join(', ')}] failed: ${(e as Error).message}`, undefined, { cause: e });
      }
      const rec: Record<string, { dims: number[]; type: string }> = {};
      for (const [k, t] of Object.entries(r)) {
        rec[k] = { dims: t.dims.map(Number), type: t.type };
        t.dispose?.();
      }
      rec[inputName] = { dims: shape, type: 'float32' };
      runs.push(rec);
    }
  } finally {
    await s.release();
  }
  const info = new Map<string, TensorInfo>();
  for (const [k, v] of Object.entries(runs[0])) {
    info.set(k, { d1: v.dims, d2: runs[1][k].dims, elemType: ORT_TYPES[v.type] ?? DT.UNDEFINED });
  }
  for (const t of model.graph!.initializer ?? []) {
    const d = (t.dims ?? []).map(toNum);
    info.set(t.name!, { d1: d, d2: d, elemType: t.dataType ?? DT.UNDEFINED });
  }
  return info;
}

/** Values of constant tensors (initializers and Constant nodes), for axes/pads/exponents. */
export function constTable(model: ModelProto): Map<string, TensorProto | number[]> {
  const t = new Map<string, TensorProto | number[]>();
  for (const i of model.graph!.initializer ?? []) t.set(i.name!, i);
  for (const n of model.graph!.node ?? []) {
    if (n.opType !== 'Constant') continue;
    const v = attr(n, 'value');
    if (v?.t) t.set(n.output![0], v.t);
    const vi = attr(n, 'value_ints') ?? attr(n, 'value_floats');
    if (vi) t.set(n.output![0], [...(vi.ints ?? []).map(toNum), ...(vi.floats ?? [])]);
    const vs = attr(n, 'value_int') ?? attr(n, 'value_float');
    if (vs) t.set(n.output![0], [vs.name === 'value_int' ? toNum(vs.i) : (vs.f ?? 0)]);
  }
  return t;
}

/**
 * Relu(a)→r, MaxPool(r)→p with r used only there becomes MaxPool(a)→r', Relu(r')→p: max and ReLU
 * commute (ReLU is monotone; pads are −∞), so values are identical and the backward ReLU mask is
 * applied on the pooled tensor.
 */
export function swapReluMaxPool(
  clones: NodeProto[],
  all: NodeProto[],
  g: NonNullable<ModelProto['graph']>,
  logits: string,
  diff: Set<string>,
  info: Map<string, TensorInfo>,
  e: GraphEmitter,
): void {
  const uses = new Map<string, number>();
  for (const n of all) for (const i of n.input ?? []) uses.set(i, (uses.get(i) ?? 0) + 1);
  for (const o of g.output ?? []) uses.set(o.name ?? '', (uses.get(o.name ?? '') ?? 0) + 1);
  uses.set(logits, (uses.get(logits) ?? 0) + 1);
  for (let k = 0; k < clones.length; k++) {
    const relu = clones[k];
    if (relu.opType !== 'Relu') continue;
    const r = relu.output![0];
    if (uses.get(r) !== 1) continue;
    const k2 = clones.findIndex((n, j) => j > k && n.opType === 'MaxPool' && n.input![0] === r && (n.output ?? []).filter((o) => o).length === 1);
    if (k2 < 0) continue;
    const pool = clones[k2];
    const p = pool.output![0];
    const mid = e.fresh('pooled_pre_relu');
    const pinfo = info.get(p);
    if (!pinfo) continue;
    info.set(mid, pinfo);
    if (diff.has(r)) diff.add(mid);
    clones[k] = onnx.NodeProto.create({ ...pool, input: [relu.input![0]], output: [mid] });
    clones[k2] = onnx.NodeProto.create({ ...relu, input: [mid], output: [p] });
  }
}

export async function buildEnergyGradGraph(source: ModelProto, opts: GradGraphOptions): Promise<GradGraph> {
  const srcOpset = opsetVersion(source);
  if (srcOpset < 13) throw new OnnxError(`gradient graph needs opset >= 13 (model has ${srcOpset})`);
  const opset = Math.max(srcOpset, 16);
  const model = opts.foldBatchNorm === false ? source : foldConvBatchNorm(source, opset);
  const g0 = model.graph!;
  const { name: inputName, dims: xDims } = inputDims(model);
  const nodes = g0.node ?? [];
  const logits = opts.logitsName;
  // Nodes needed for the logits, in graph order.
  const kept = nodesForLogits(nodes, logits);

  const shapes: [number[], number[]] = opts.probeShapes ?? defaultProbeShapes(xDims);
  const info = await probe(model, inputName, shapes);
  const getInfo = infoGetter(info);

  // Differentiable tensors: float, reachable from x through differentiable inputs.
  const diff = new Set<string>([inputName]);
  markDifferentiable(nodes, kept, info, diff, 'no gradient rule for this op on the path from the input to the logits');
  if (!diff.has(logits)) throw new OnnxError(`logits tensor '${logits}' does not depend on the input '${inputName}'`);
  const li = getInfo(logits);
  if (li.d1.length !== 2) throw new OnnxError(`logits tensor '${logits}' has rank ${li.d1.length}; expected [batch, classes]`);
  const K = li.d1[1];

  const e = new GraphEmitter(opset, { maxPoolGrad: opts.maxPoolGrad ?? 'resize', convGradMinChannels: opts.convGradMinChannels ?? 8 });
  const clones = kept.map((i) => cloneNode(nodes[i]));
  if (opts.swapReluMaxPool ?? true) swapReluMaxPool(clones, nodes, g0, logits, diff, info, e);
  const fwd: NodeProto[] = clones.map((c) => {
    const r = RULES[c.opType ?? ''];
    if (r?.forward && (c.input ?? []).some((a) => diff.has(a))) r.forward(c, e);
    return c;
  });
  const fwdByIdx = new Map<number, NodeProto>();
  kept.forEach((i, k) => fwdByIdx.set(i, fwd[k]));

  // Energy head.
  const used = new Set<string>();
  for (const n of fwd) for (const i of n.input ?? []) used.add(i);
  for (const n of nodes) for (const o of n.output ?? []) used.add(o);
  const classInput = opts.classConditional ? (used.has('y') || inputName === 'y' ? 'jemda_y' : 'y') : undefined;
  if (used.has('energy') || used.has('grad_x')) throw new OnnxError(`the model already has a tensor named 'energy' or 'grad_x'`);
  const mx = e.reduceMax(logits, [1], true);
  let dL: string;
  if (!classInput) {
    const ez = e.op1('Exp', [e.op1('Sub', [logits, mx])]);
    const s = e.reduceSum(ez, [1], true);
    const lse = e.op1('Add', [e.op1('Log', [s]), mx]);
    e.opNamed('Neg', [e.op1('Reshape', [lse, e.i64([-1])])], ['energy']);
    dL = e.op1('Neg', [e.op1('Div', [ez, s])]);
  } else {
    const yc = e.unsqueeze(classInput, [1]);
    const picked = e.op1('GatherElements', [logits, yc], { axis: { i: 1 } });
    e.opNamed('Neg', [e.op1('Reshape', [picked, e.i64([-1])])], ['energy']);
    const onehot = e.op1('Cast', [e.op1('Equal', [yc, e.i64(Array.from({ length: K }, (_, i) => i), [1, K])])], { to: { i: DT.FLOAT } });
    dL = e.op1('Neg', [onehot]);
  }

  // Reverse pass.
  const consts = constTable(model);
  const grads = new Map<string, string[]>([[logits, [dL]]]);
  for (let k = kept.length - 1; k >= 0; k--) {
    const idx = kept[k];
    const n = fwdByIdx.get(idx)!;
    const outs = n.output ?? [];
    if (!outs.some((o) => grads.has(o))) continue;
    backpropNode(n, idx, e, grads, diff, getInfo, consts);
  }
  const gx = grads.get(inputName);
  if (!gx) throw new OnnxError(`no gradient reaches the input '${inputName}'`);
  e.opNamed('Identity', [e.sum(gx)], ['grad_x']);

  // Assemble: weights become inputs, other initializers stay.
  const usedAll = new Set<string>();
  for (const n of [...fwd, ...e.nodes]) for (const i of n.input ?? []) usedAll.add(i);
  const weights = new Map<string, { dims: number[]; data: Float32Array }>();
  const inits: TensorProto[] = [];
  for (const t of g0.initializer ?? []) {
    if (!usedAll.has(t.name!)) continue;
    if (t.dataType === DT.FLOAT && !t.name!.startsWith('jemda_bn/')) weights.set(t.name!, { dims: (t.dims ?? []).map(toNum), data: tensorToArray(t).data as Float32Array });
    else inits.push(t);
  }
  const xVi = (g0.input ?? []).find((i) => i.name === inputName)!;
  const batchParam = xVi.type?.tensorType?.shape?.dim?.[0]?.dimParam || 'batch';
  const graph = onnx.GraphProto.create({
    name: `${g0.name ?? 'model'}_energy_grad`,
    node: [...fwd, ...e.nodes],
    initializer: [...inits, ...e.initializers],
    input: [
      xVi,
      ...[...weights].map(([n, w]) => valueInfo(n, DT.FLOAT, w.dims)),
      ...(classInput ? [valueInfo(classInput, DT.INT64, [xDims[0] ?? batchParam])] : []),
    ],
    output: [valueInfo('energy', DT.FLOAT, [xDims[0] ?? batchParam]), onnx.ValueInfoProto.create({ name: 'grad_x', type: xVi.type })],
  });
  const out = onnx.ModelProto.create({
    irVersion: model.irVersion,
    producerName: 'jemda grad-graph',
    opsetImport: [
      ...(model.opsetImport ?? []).filter((o) => o.domain && o.domain !== 'ai.onnx'),
      onnx.OperatorSetIdProto.create({ domain: '', version: opset }),
    ],
    graph,
  });
  return {
    model: out,
    weightInputs: [...weights.keys()],
    weights,
    inputName,
    exampleDims: xDims.slice(1),
    classInput,
    numClasses: K,
    energyName: 'energy',
    gradName: 'grad_x',
  };
}
