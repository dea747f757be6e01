/**
 * ONNX graph → differentiable tfjs function (the ImportedModel contract of ./types.ts).
 * Float initializers become tf.Variables (BatchNorm running statistics are never trainable);
 * integer initializers and constants stay plain JS values so that shape arithmetic
 * (Shape→Gather→Unsqueeze→Concat→Reshape) is resolved from the actual input shape without tfjs.
 * The graph runs eagerly, node by node, in the file's (topological) order.
 */
import * as tf from '@tensorflow/tfjs';
import { JemdaError, MismatchError, OnnxError, UnsupportedOpError } from '../util/errors.ts';
import { bnStatNames } from './bn-params.ts';
import { findLogits } from './logits.ts';
import { opsetVersion, tensorToArray, type GraphProto, type ModelProto, type NodeProto } from './onnx-io.ts';
import { OPS } from './ops/index.ts';
import { protoToConst } from './ops/shape.ts';
import { toTensor, type ConstVal, type Value } from './ops/value.ts';
import type { ForwardOptions, ImportedModel, Trainable } from './types.ts';

export interface ImportOptions {
  trainable?: Trainable;
  /** Name of the logits tensor (overrides auto-detection). */
  logits?: string;
  /** Expected input shape (−1 for free axes); checked on every call when given. */
  inputShape?: number[];
}

export type RunOptions = ForwardOptions;

/** ImportedModel plus what onnx-test and tools need. */
export interface ImportedGraph extends ImportedModel {
  /** Run with several named inputs (float tensors or integer constants). */
  runFeeds(feeds: Map<string, Value>, outputs: string[], opts?: RunOptions): tf.Tensor[];
  /** Names of initializers holding BatchNorm running statistics. */
  bnStats: Set<string>;
  opset: number;
}

export interface NodeRef {
  opType: string;
  name: string;
  index: number;
  domain: string;
}

/** The subgraphs in a node's attributes (If branches, Loop/Scan bodies). */
function subgraphs(node: NodeProto): GraphProto[] {
  return (node.attribute ?? []).flatMap((a) => [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]);
}

/**
 * Names a node reads: its inputs and, for a node with subgraphs, the outer-scope names they use
 * (a branch may read any tensor of the enclosing graph without listing it as an input).
 */
function nodeReads(node: NodeProto): string[] {
  const out = (node.input ?? []).filter((n) => n !== '');
  for (const g of subgraphs(node)) {
    const local = new Set([...(g.input ?? []).map((i) => i.name ?? ''), ...(g.initializer ?? []).map((t) => t.name ?? '')]);
    for (const n of g.node ?? []) {
      for (const r of nodeReads(n)) if (!local.has(r)) out.push(r);
      for (const o of n.output ?? []) local.add(o);
    }
    for (const o of g.output ?? []) if (!local.has(o.name ?? '')) out.push(o.name ?? '');
  }
  return out;
}

/** Nodes whose op (type, domain) the importer cannot run, subgraphs included (reported at their top-level node's index). */
export function listUnsupportedOps(model: ModelProto): NodeRef[] {
  const out: NodeRef[] = [];
  const visit = (n: NodeProto, index: number): void => {
    const domain = n.domain ?? '';
    if ((domain !== '' && domain !== 'ai.onnx') || !OPS[n.opType ?? '']) {
      out.push({ opType: n.opType ?? '', name: n.name ?? '', index, domain });
    }
    for (const g of subgraphs(n)) for (const m of g.node ?? []) visit(m, index);
  };
  (model.graph?.node ?? []).forEach((n, index) => visit(n, index));
  return out;
}

export function importModel(model: ModelProto, opts: ImportOptions = {}): ImportedGraph {
  const g = model.graph;
  if (!g) throw new OnnxError('model has no graph');
  const nodes = g.node ?? [];
  const opset = opsetVersion(model);
  const bad = listUnsupportedOps(model);
  if (bad.length > 0) {
    const b = bad[0];
    const more = bad.length > 1 ? ` (and ${bad.length - 1} more unsupported node(s): ${[...new Set(bad.map((x) => x.opType))].join(', ')})` : '';
    throw new UnsupportedOpError(
      { name: b.name || `#${b.index}`, opType: b.domain ? `${b.domain}.${b.opType}` : b.opType, index: b.index },
      `op type is not supported by the tfjs importer${more}`,
    );
  }
  const trainable = opts.trainable ?? 'all';
  const { stats, affine } = bnStatNames(nodes);
  const variables = new Map<string, tf.Variable>();
  const consts = new Map<string, ConstVal>();
  // a bad initializer or logits choice must not leak the variables made so far
  const disposeOnThrow = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      for (const v of variables.values()) v.dispose();
      throw e;
    }
  };
  disposeOnThrow(() => {
    for (const init of g.initializer ?? []) {
      const name = init.name ?? '';
      const arr = tensorToArray(init);
      if (arr.dtype === 'float32' || arr.dtype === 'float64') {
        // rank-0 initializers are an export's constants (epsilons, scales), as in the VJP graph's resolveTrainable
        const isTrainable = !stats.has(name) && ((trainable === 'all' && arr.dims.length > 0) || (trainable === 'bn' && affine.has(name)));
        const data = arr.data instanceof Float32Array ? arr.data : Float32Array.from(arr.data as Float64Array);
        // tidy: the initial-value tensor is released (the variable keeps its own reference to the data)
        variables.set(name, tf.tidy(() => tf.variable(tf.tensor(data, arr.dims, 'float32'), isTrainable)));
      } else {
        consts.set(name, protoToConst(init));
      }
    }
  });
  const initNames = new Set((g.initializer ?? []).map((t) => t.name ?? ''));
  const realInputs = (g.input ?? []).filter((i) => !initNames.has(i.name ?? ''));
  // a graph without inputs (e.g. only Constant nodes) can still be run through runFeeds
  const inputName = realInputs[0]?.name ?? '';
  const logitsChoice = disposeOnThrow(() => findLogits(model, opts.logits));

  const producerIdx = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => o && producerIdx.set(o, i)));
  const planCache = new Map<string, number[]>();
  /** Indices of the nodes needed for `outputs`, in graph order. */
  const plan = (outputs: string[]): number[] => {
    const key = outputs.join('\u0000');
    const hit = planCache.get(key);
    if (hit) return hit;
    const need = new Set<number>();
    const stack = [...outputs];
    while (stack.length) {
      const t = stack.pop()!;
      const i = producerIdx.get(t);
      if (i === undefined || need.has(i)) continue;
      need.add(i);
      for (const inp of nodeReads(nodes[i])) stack.push(inp);
    }
    const p = [...need].sort((a, b) => a - b);
    planCache.set(key, p);
    return p;
  };

  /** Runs `node` (index `i` of its graph) on the values in `env` and stores its outputs there. */
  const execNode = (node: NodeProto, i: number, env: Map<string, Value>, ro: RunOptions): void => {
    const inputs = (node.input ?? []).map((name) => {
      if (!name) return undefined;
      const v = env.get(name);
      if (v === undefined) throw new OnnxError(`input '${name}' is not available`, ref(node, i));
      return v;
    });
    // a subgraph (If branch) sees the enclosing scope; its own names stay in its own scope
    const runSubgraph = (sg: GraphProto): Value[] => {
      const scope = new Map(env);
      for (const init of sg.initializer ?? []) scope.set(init.name ?? '', protoToConst(init));
      (sg.node ?? []).forEach((n, k) => execNode(n, k, scope, ro));
      return (sg.output ?? []).map((o) => {
        const v = scope.get(o.name ?? '');
        if (v === undefined) throw new OnnxError(`subgraph output '${o.name}' is not produced by the subgraph`, ref(node, i));
        return v;
      });
    };
    let outs: (Value | undefined)[];
    try {
      outs = OPS[node.opType!]({ node, index: i, inputs, opset, training: !!ro.training, updateStats: !!ro.updateStats, bnStatsSink: ro.bnStatsSink, variables, runSubgraph });
    } catch (e) {
      if (e instanceof JemdaError) throw e;
      throw new OnnxError((e as Error).message, ref(node, i), { cause: e });
    }
    (node.output ?? []).forEach((name, k) => {
      const v = outs[k];
      if (name && v !== undefined) env.set(name, v);
    });
  };

  const runFeeds = (feeds: Map<string, Value>, outputs: string[], ro: RunOptions = {}): tf.Tensor[] =>
    tf.tidy(() => {
      const env = new Map<string, Value>();
      for (const [k, v] of consts) env.set(k, v);
      for (const [k, v] of variables) env.set(k, v);
      for (const [k, v] of feeds) env.set(k, v);
      for (const i of plan(outputs)) execNode(nodes[i], i, env, ro);
      return outputs.map((o) => {
        const v = env.get(o);
        if (v === undefined) throw new OnnxError(`tensor '${o}' is not produced by the graph`);
        const t = toTensor(v);
        // graph inputs/variables passed straight through must not be handed out (tidy would keep the original)
        return t instanceof tf.Variable || feeds.get(o) === t ? tf.clone(t) : t;
      });
    });

  const checkInput = (x: tf.Tensor) => {
    const s = opts.inputShape;
    if (!s) return;
    if (s.length !== x.rank || s.some((d, i) => d >= 0 && d !== x.shape[i])) {
      throw new MismatchError(`model input '${inputName}' expects shape [${s.join(', ')}], got [${x.shape.join(', ')}]`);
    }
  };
  const run = (x: tf.Tensor, outputs: string[], ro?: RunOptions) => {
    checkInput(x);
    return runFeeds(new Map([[inputName, x]]), outputs, ro);
  };

  return {
    inputName,
    logitsName: logitsChoice.name,
    logitsReason: logitsChoice.reason,
    variables,
    bnStats: stats,
    opset,
    trainableVariables: () => [...variables.values()].filter((v) => v.trainable),
    logits(x, ro) {
      const [y] = run(x, [logitsChoice.name], ro);
      if (y.rank === 2) return y as tf.Tensor2D;
      return tf.tidy(() => {
        const r = tf.reshape(y, [y.shape[0], -1]) as tf.Tensor2D;
        y.dispose();
        return r;
      });
    },
    run,
    runFeeds,
    getWeights() {
      const w = new Map<string, Float32Array>();
      for (const [k, v] of variables) w.set(k, Float32Array.from(v.dataSync() as Float32Array));
      return w;
    },
    setWeights(w) {
      for (const [k, data] of w) {
        const v = variables.get(k);
        if (!v) throw new MismatchError(`setWeights: no initializer '${k}' in the model`);
        if (data.length !== v.size) throw new MismatchError(`setWeights: '${k}' has ${data.length} values, expected ${v.size}`);
        tf.tidy(() => v.assign(tf.tensor(data, v.shape.slice(), 'float32')));
      }
    },
    dispose() {
      for (const v of variables.values()) v.dispose();
      variables.clear();
    },
  };
}

function ref(node: NodeProto, index: number) {
  return { name: node.name || `#${index}`, opType: node.opType ?? '', index };
}
