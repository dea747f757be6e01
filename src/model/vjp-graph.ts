/**
 * Vector–Jacobian-product graph: from a classifier's ONNX graph, a second ONNX graph that takes x,
 * every float initializer (as graph inputs, so new weights are fed on each call) and the upstream
 * gradient `g_logits` = ∂L/∂logits [B, K], and outputs `logits`, `grad_<initializer>` for each
 * trainable initializer, optionally `grad_x`, and — with bnMode 'train' — the batch statistics
 * each BatchNormalization used (`bn_mean_<node>`, `bn_var_<node>`: UNBIASED variance, for the
 * running-statistics update; normalisation uses the biased one, like PyTorch).
 *
 * Any loss is then: forward → ∂L/∂logits in JS → vjp. BatchNormalization in 'train' mode (and in
 * 'eval' mode when its scale/bias are trainable) is first rewritten as elementary ops
 * (ReduceMean, Sub, Mul, Sqrt, Reciprocal, Add), so its backward — through the batch mean and
 * variance in train mode — follows from the elementwise rules of gradgraph/rules/elementwise.ts.
 */
import { onnx, opsetVersion, tensorToArray, toNum, attrFloat, type ModelProto, type NodeProto, type TensorProto } from './onnx-io.ts';
import { GraphEmitter, type MaxPoolGrad, type ConvWeightGrad } from './gradgraph/builder.ts';
import { RULES } from './gradgraph/rules/index.ts';
import { nodesForLogits, defaultProbeShapes, infoGetter, markDifferentiable, backpropNode } from './gradgraph/walk.ts';
import { cloneNode, valueInfo, probe, constTable, swapReluMaxPool } from './grad-graph.ts';
import { decomposeBatchNorm, trainBatchNormBackward, trainBatchNormForward, type TrainBn } from './vjp-norm.ts';
import { inputDims } from './ort-runner.ts';
import { bnStatNames } from './bn-params.ts';
import { ConfigError, OnnxError, UnsupportedOpError } from '../util/errors.ts';
import type { BnMode, Trainable } from './types.ts';

const DT = onnx.TensorProto.DataType;

export interface VjpGraphOptions {
  /** The tensor holding the logits [B, K] (see logits.ts findLogits). */
  logitsName: string;
  /** Which float initializers get a gradient output: 'all' (all but BN running stats), 'bn' (BN scale/bias), 'none', or names. */
  trainable: Trainable | string[];
  bnMode: BnMode;
  /** Also output grad_x = ∂L/∂x (default false). */
  wantInputGrad?: boolean;
  /**
   * How ∂L/∂logits enters: 'g_logits' (default) = an input [B, K] computed by the caller from
   * logits of a previous forward; 'softmax' = computed in the graph as softmax(logits)·coef − target
   * from inputs `softmax_coef` [B, 1] and `softmax_target` [B, K], so one run gives logits and
   * gradients (cross-entropy: coef 1/B, target onehot/B; energy −logsumexp: coef ∓1/B, target 0).
   */
  head?: 'g_logits' | 'softmax';
  probeShapes?: [number[], number[]];
  maxPoolGrad?: MaxPoolGrad;
  swapReluMaxPool?: boolean;
  convGradMinChannels?: number;
  /** Conv weight-gradient formulation (default 'im2col'; see ConvWeightGrad). */
  convWeightGrad?: ConvWeightGrad;
  /**
   * Float initializers that stay initializers of the graphs, with the model's values, instead of
   * becoming fed inputs: weights that never change during the run (see fixedWeights). onnxruntime
   * then pre-packs them and folds what is computed from them (a convolution's flipped kernel): the
   * train-mode BatchNorm ∂E/∂x graph of the KWS CNN at batch 64 ran 59–62 ms instead of 71–75 with
   * only the BatchNorm affine parameters fed. None of them may be trainable.
   */
  constants?: ReadonlySet<string>;
}

export interface BnStatOutput {
  /** BatchNormalization node name (or `bn<index>`). */
  node: string;
  meanOutput: string;
  varOutput: string;
  /** Initializers holding the running statistics. */
  meanName: string;
  varName: string;
  /** ONNX momentum: running = running·momentum + batch·(1 − momentum). */
  momentum: number;
}

export interface VjpGraph {
  /** x, weights, g_logits → logits, grad_*, [grad_x], [bn_mean_*, bn_var_*]. */
  model: ModelProto;
  /** x, weights → logits, [bn_mean_*, bn_var_*] (same bnMode). */
  forwardModel: ModelProto;
  bnMode: BnMode;
  /** Float initializers fed as inputs, with their values in the source model. */
  weightInputs: string[];
  weights: Map<string, { dims: number[]; data: Float32Array }>;
  /** Trainable initializer → its gradient output name. */
  gradOutputs: Map<string, string>;
  inputName: string;
  exampleDims: (number | null)[];
  numClasses: number;
  logitsOutput: string;
  /** 'g_logits' head: the upstream-gradient input; 'softmax' head: coefficient and target inputs. */
  gLogitsInput: string;
  coefInput?: string;
  targetInput?: string;
  gradXOutput?: string;
  bnStats: BnStatOutput[];
}

/** Which inputs of a node may carry a gradient under RULES (undefined rule: none). */
function diffPositions(n: NodeProto): Set<number> {
  const r = RULES[n.opType ?? ''];
  if (!r || r.zeroGrad || !r.backward) return new Set();
  if (r.diff === 'all') return new Set((n.input ?? []).map((_, i) => i));
  return new Set(r.diff);
}

/** Resolve the trainable set to initializer names. */
export function resolveTrainable(model: ModelProto, trainable: Trainable | string[]): Set<string> {
  const g = model.graph!;
  const floats = new Set((g.initializer ?? []).filter((t) => t.dataType === DT.FLOAT).map((t) => t.name!));
  // Rank-0 initializers are the constants of an export (epsilons, scales), never parameters:
  // 'all' leaves them fixed (training a TDNN's pooling epsilon drove it negative and the
  // standard deviation to NaN). An explicit list may still name one.
  const scalars = new Set((g.initializer ?? []).filter((t) => (t.dims ?? []).length === 0).map((t) => t.name!));
  const { stats, affine } = bnStatNames(g.node ?? []);
  if (Array.isArray(trainable)) {
    for (const t of trainable) {
      if (!floats.has(t)) throw new ConfigError(`trainable '${t}' is not a float initializer of the model`);
      if (stats.has(t)) throw new ConfigError(`trainable '${t}' holds BatchNorm running statistics (updated from bn stats, not trained)`);
    }
    return new Set(trainable);
  }
  if (trainable === 'none') return new Set();
  if (trainable === 'bn') return new Set([...affine].filter((t) => floats.has(t)));
  // 'all': float initializers (not rank 0) at a differentiable input position of some node (BN scale/bias included).
  const out = new Set<string>();
  for (const n of g.node ?? []) {
    const norm = n.opType === 'BatchNormalization' || n.opType === 'LayerNormalization' || n.opType === 'InstanceNormalization';
    const pos = norm ? new Set([1, 2]) : diffPositions(n);
    (n.input ?? []).forEach((a, i) => {
      if (a && floats.has(a) && !stats.has(a) && !scalars.has(a) && pos.has(i)) out.add(a);
    });
  }
  return out;
}

/**
 * The float initializers that a run training `trainable` never changes: every float initializer
 * but the trainable ones and the BatchNorm running statistics (which adabn and train-mode passes
 * update). They can stay initializers of the gradient graphs (VjpGraphOptions.constants).
 */
export function fixedWeights(model: ModelProto, trainable: Trainable | string[]): Set<string> {
  const g = model.graph!;
  const train = resolveTrainable(model, trainable);
  const { stats } = bnStatNames(g.node ?? []);
  return new Set((g.initializer ?? []).filter((t) => t.dataType === DT.FLOAT && !train.has(t.name!) && !stats.has(t.name!)).map((t) => t.name!));
}

interface BnRewrite {
  node: string;
  x: string;
  mean: string;
  variance: string;
  C: number;
  meanName: string;
  varName: string;
  momentum: number;
}

export async function buildVjpGraph(source: ModelProto, opts: VjpGraphOptions): Promise<VjpGraph> {
  const srcOpset = opsetVersion(source);
  if (srcOpset < 13) throw new OnnxError(`VJP graph needs opset >= 13 (model has ${srcOpset})`);
  const opset = Math.max(srcOpset, 16);
  const { name: inputName, dims: xDims } = inputDims(source);
  const shapes = opts.probeShapes ?? defaultProbeShapes(xDims);
  const logits = opts.logitsName;
  const trainable = resolveTrainable(source, opts.trainable);
  for (const c of opts.constants ?? []) if (trainable.has(c)) throw new ConfigError(`weight '${c}' is trainable, so it cannot be a constant of the gradient graph`);

  // The normalisation rewrites need the rank of each input: probe the source model first.
  const hasBn = (source.graph!.node ?? []).some(
    (n) =>
      n.opType === 'LayerNormalization' ||
      n.opType === 'InstanceNormalization' ||
      (opts.bnMode === 'eval' && n.opType === 'BatchNormalization' && (trainable.has(n.input![1]) || trainable.has(n.input![2]))),
  );
  let model = source;
  const rewrites: BnRewrite[] = [];
  if (hasBn) {
    const info0 = await probe(source, inputName, shapes);
    const getInfo0 = infoGetter(info0);
    const rankOf = (t: string) => getInfo0(t).d1.length;
    model = decomposeBatchNorm(source, opts.bnMode, trainable, rankOf, opset);
  }
  const g0 = model.graph!;
  const nodes = g0.node ?? [];
  const kept = nodesForLogits(nodes, logits);
  const usedByKept = new Set<string>();
  for (const k of kept) for (const i of nodes[k].input ?? []) usedByKept.add(i);
  for (const t of trainable) if (!usedByKept.has(t)) trainable.delete(t);

  const info = await probe(model, inputName, shapes);
  const getInfo = infoGetter(info);

  // Differentiable tensors: float, reachable from x (when its gradient is wanted) or a trainable weight.
  const diff = new Set<string>([...(opts.wantInputGrad ? [inputName] : []), ...trainable]);
  markDifferentiable(nodes, kept, info, diff, 'no gradient rule for this op on the path to the logits', (n, ref, diffIns) => {
    if (n.opType !== 'BatchNormalization' || opts.bnMode !== 'train') return false;
    const bad = diffIns.find((k) => k > 2);
    if (bad !== undefined) throw new UnsupportedOpError(ref, `gradient with respect to input ${bad} ('${n.input![bad]}') is not supported`);
    diff.add(n.output![0]);
    return true;
  });
  if (!diff.has(logits) && (trainable.size > 0 || opts.wantInputGrad)) {
    throw new OnnxError(`logits tensor '${logits}' depends on neither the input nor a trainable weight`);
  }
  const li = getInfo(logits);
  if (li.d1.length !== 2) throw new OnnxError(`logits tensor '${logits}' has rank ${li.d1.length}; expected [batch, classes]`);
  const K = li.d1[1];

  const e = new GraphEmitter(opset, { maxPoolGrad: opts.maxPoolGrad ?? 'resize', convGradMinChannels: opts.convGradMinChannels ?? 8, convWeightGrad: opts.convWeightGrad ?? 'im2col' });
  const s = new GraphEmitter(opset, undefined, 'jemda_fwd/');
  const clones = kept.map((i) => cloneNode(nodes[i]));
  if (opts.swapReluMaxPool ?? true) swapReluMaxPool(clones, nodes, g0, logits, diff, info, e);
  const trainBn = new Map<NodeProto, TrainBn>();
  const fwd: NodeProto[] = [];
  const fwdByIdx = new Map<number, NodeProto>();
  clones.forEach((c, k) => {
    fwdByIdx.set(kept[k], c);
    if (c.opType === 'BatchNormalization' && opts.bnMode === 'train') {
      if ((c.output ?? []).slice(1).some((o) => o)) throw new UnsupportedOpError({ name: c.name ?? '', opType: 'BatchNormalization', index: kept[k] }, 'extra outputs (running mean/var) are not supported');
      const [x, scale, , mean, variance] = c.input!;
      const C = getInfo(scale).d1[0];
      const f = trainBatchNormForward(c, e, getInfo(x).d1.length, C);
      fwd.push(...f.nodes);
      trainBn.set(c, f.t);
      rewrites.push({ node: c.name || `bn${kept[k]}`, x, mean: f.t.mu, variance: f.v, C, meanName: mean, varName: variance, momentum: attrFloat(c, 'momentum', 0.9) });
      return;
    }
    const r = RULES[c.opType ?? ''];
    if (r?.forward && (c.input ?? []).some((a) => diff.has(a))) r.forward(c, e);
    fwd.push(c);
  });

  // Names of the new graph's interface.
  const used = new Set<string>();
  for (const n of nodes) for (const o of [...(n.input ?? []), ...(n.output ?? [])]) used.add(o);
  used.add(inputName);
  const freshName = (base: string) => {
    let nm = base;
    for (let k = 1; used.has(nm) && !(base === 'logits' && nm === logits); k++) nm = `${base}_${k}`;
    used.add(nm);
    return nm;
  };
  const logitsOutput = logits === 'logits' ? 'logits' : freshName('logits');
  if (logitsOutput !== logits) s.opNamed('Identity', [logits], [logitsOutput]);
  const softHead = opts.head === 'softmax';
  const gLogitsInput = freshName('g_logits');
  const coefInput = softHead ? freshName('softmax_coef') : undefined;
  const targetInput = softHead ? freshName('softmax_target') : undefined;
  const bnStats: BnStatOutput[] = [];
  for (const rw of rewrites) {
    const meanOutput = freshName(`bn_mean_${rw.node}`);
    const varOutput = freshName(`bn_var_${rw.node}`);
    s.opNamed('Reshape', [rw.mean, s.i64([rw.C])], [meanOutput]);
    const nf = s.sizeRatio(rw.x, rw.mean);
    const corr = s.op1('Div', [nf, s.op1('Max', [s.op1('Sub', [nf, s.scalar(1)]), s.scalar(1)])]);
    s.opNamed('Reshape', [s.op1('Mul', [rw.variance, corr]), s.i64([rw.C])], [varOutput]);
    bnStats.push({ node: rw.node, meanOutput, varOutput, meanName: rw.meanName, varName: rw.varName, momentum: rw.momentum });
  }

  // Reverse pass.
  const consts = constTable(model);
  const grads = new Map<string, string[]>();
  if (diff.has(logits)) {
    if (softHead) {
      const sm = e.op1('Softmax', [logits], { axis: { i: 1 } });
      e.opNamed('Sub', [e.op1('Mul', [sm, coefInput!]), targetInput!], [gLogitsInput]);
    }
    grads.set(logits, [gLogitsInput]);
  }
  for (let k = kept.length - 1; k >= 0; k--) {
    const idx = kept[k];
    const n = fwdByIdx.get(idx)!;
    const outs = n.output ?? [];
    if (!outs.some((o) => grads.has(o))) continue;
    const tb = trainBn.get(n);
    if (tb) {
      const gy = e.sum(grads.get(outs[0])!);
      const ins = n.input!;
      const res = trainBatchNormBackward(e, tb, gy, [diff.has(ins[0]), diff.has(ins[1]), diff.has(ins[2])]);
      res.forEach((r, i) => {
        if (!r) return;
        grads.set(ins[i], [...(grads.get(ins[i]) ?? []), r]);
      });
      continue;
    }
    backpropNode(n, idx, e, grads, diff, getInfo, consts);
  }
  const gradOutputs = new Map<string, string>();
  const zerosOf = (w: string) => e.op1('ConstantOfShape', [e.shape(w)], { value: { t: onnx.TensorProto.create({ dims: [1], dataType: DT.FLOAT, floatData: [0] }) } });
  for (const w of [...trainable].sort()) {
    const out = freshName(`grad_${w}`);
    const parts = grads.get(w);
    e.opNamed('Identity', [parts ? e.sum(parts) : zerosOf(w)], [out]);
    gradOutputs.set(w, out);
  }
  let gradXOutput: string | undefined;
  if (opts.wantInputGrad) {
    gradXOutput = freshName('grad_x');
    const gx = grads.get(inputName);
    e.opNamed('Identity', [gx ? e.sum(gx) : zerosOf(inputName)], [gradXOutput]);
  }

  // Assemble: float initializers become inputs, the others stay.
  const xVi = (source.graph!.input ?? []).find((i) => i.name === inputName)!;
  const batchParam = xVi.type?.tensorType?.shape?.dim?.[0]?.dimParam || 'batch';
  const bDim: number | string = xDims[0] ?? batchParam;
  const assemble = (body: NodeProto[], extraInits: TensorProto[], inputs: ReturnType<typeof valueInfo>[], outputs: ReturnType<typeof valueInfo>[], suffix: string) => {
    const usedAll = new Set<string>();
    for (const n of body) for (const i of n.input ?? []) usedAll.add(i);
    const ws: [string, { dims: number[]; data: Float32Array }][] = [];
    const inits: TensorProto[] = [];
    for (const t of g0.initializer ?? []) {
      if (!usedAll.has(t.name!)) continue;
      if (t.dataType === DT.FLOAT && !t.name!.startsWith('jemda_bn/') && !opts.constants?.has(t.name!)) ws.push([t.name!, { dims: (t.dims ?? []).map(toNum), data: tensorToArray(t).data as Float32Array }]);
      else inits.push(t);
    }
    const graph = onnx.GraphProto.create({
      name: `${g0.name ?? 'model'}_${suffix}`,
      node: body,
      initializer: [...inits, ...extraInits.filter((t) => usedAll.has(t.name!))],
      input: [xVi, ...ws.map(([n, w]) => valueInfo(n, DT.FLOAT, w.dims)), ...inputs],
      output: outputs,
    });
    const m = onnx.ModelProto.create({
      irVersion: Math.max(toNum(source.irVersion ?? 8), 8),
      producerName: 'jemda vjp-graph',
      // the emitted ops are of `opset` (ScatterElements' reduction needs 16): declare it, as grad-graph.ts does
      opsetImport: [...(model.opsetImport ?? []).filter((o) => o.domain && o.domain !== 'ai.onnx'), onnx.OperatorSetIdProto.create({ domain: '', version: opset })],
      graph,
    });
    return { m, ws };
  };
  const statOuts = bnStats.flatMap((b) => [valueInfo(b.meanOutput, DT.FLOAT, null), valueInfo(b.varOutput, DT.FLOAT, null)]);
  const logitsVi = valueInfo(logitsOutput, DT.FLOAT, [bDim, K]);
  const vjp = assemble(
    [...fwd, ...s.nodes, ...e.nodes],
    [...s.initializers, ...e.initializers],
    softHead ? [valueInfo(coefInput!, DT.FLOAT, [bDim, 1]), valueInfo(targetInput!, DT.FLOAT, [bDim, K])] : [valueInfo(gLogitsInput, DT.FLOAT, [bDim, K])],
    [
      logitsVi,
      ...[...gradOutputs].map(([w, o]) => valueInfo(o, DT.FLOAT, getInfo(w).d1)),
      ...(gradXOutput ? [onnx.ValueInfoProto.create({ name: gradXOutput, type: xVi.type })] : []),
      ...statOuts,
    ],
    'vjp',
  );
  const fwdOnly = assemble(
    [...fwd.map((n) => ({ ...n, output: n.opType === 'MaxPool' ? [n.output![0]] : n.output })).map((n) => onnx.NodeProto.create(n)), ...s.nodes],
    [...s.initializers, ...e.initializers],
    [],
    [logitsVi, ...statOuts],
    'forward',
  );
  // Both graphs take every weight the VJP graph takes (so one feed dictionary serves both).
  const weights = new Map(vjp.ws);
  const fIn = new Set((fwdOnly.m.graph!.input ?? []).map((i) => i.name));
  for (const [n, w] of weights) if (!fIn.has(n)) fwdOnly.m.graph!.input!.push(valueInfo(n, DT.FLOAT, w.dims));
  return {
    model: vjp.m,
    forwardModel: fwdOnly.m,
    bnMode: opts.bnMode,
    weightInputs: [...weights.keys()],
    weights,
    gradOutputs,
    inputName,
    exampleDims: xDims.slice(1),
    numClasses: K,
    logitsOutput,
    gLogitsInput,
    coefInput,
    targetInput,
    gradXOutput,
    bnStats,
  };
}
