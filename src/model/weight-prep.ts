/**
 * Split a graph whose weights are fed inputs into a "weight prep" graph and a main graph: every
 * node that reads only weights and constants (a convolution's flipped kernel in a gradient graph,
 * a BatchNorm folded into its Conv) moves to the prep graph, which runs once per set of weights;
 * the main graph, run once per batch, reads the prep graph's results as inputs. onnxruntime cannot
 * fold those nodes itself when the weights are inputs, so without the split they run on every call
 * (an SGLD chain calls the ∂E/∂x graph 10–20 times between two weight updates).
 */
import { onnx, type ModelProto, type NodeProto } from './onnx-io.ts';

export interface WeightPrepSplit {
  /** Weights (some of `weights`) → `boundary`; null when no node reads only weights and constants. */
  prep: ModelProto | null;
  /** The original graph with the prep nodes removed and `boundary` as extra inputs (declared by `withBoundaryInputs`). */
  main: ModelProto;
  /** Tensors the prep graph computes that main-graph nodes (or the graph outputs) read. */
  boundary: string[];
}

/** Ops whose value is not a function of their inputs: never hoisted. */
const NONDETERMINISTIC = new Set(['RandomNormal', 'RandomNormalLike', 'RandomUniform', 'RandomUniformLike', 'Multinomial', 'Bernoulli', 'Dropout']);

/**
 * Split `model` (a graph whose `weights` are graph inputs; every other graph input is per-call
 * data) into the weight prep graph and the main graph. The main graph's inputs for the boundary
 * tensors have no type yet: pass it through `withBoundaryInputs` with the prep results' types.
 */
export function splitWeightPrep(model: ModelProto, weights: ReadonlySet<string>): WeightPrepSplit {
  const g = model.graph!;
  const nodes = g.node ?? [];
  const inits = new Set((g.initializer ?? []).map((t) => t.name!));
  const isStatic = new Set<string>([...weights, ...inits, '']);
  const staticNode = nodes.map((n) => {
    const s = !NONDETERMINISTIC.has(n.opType ?? '') && !(n.attribute ?? []).some((a) => a.g || (a.graphs ?? []).length > 0) && (n.input ?? []).every((i) => isStatic.has(i));
    if (s) for (const o of n.output ?? []) if (o) isStatic.add(o);
    return s;
  });
  const producedByPrep = new Set<string>();
  nodes.forEach((n, i) => {
    if (staticNode[i]) for (const o of n.output ?? []) if (o) producedByPrep.add(o);
  });
  const boundary = new Set<string>();
  nodes.forEach((n, i) => {
    if (staticNode[i]) return;
    for (const t of n.input ?? []) if (producedByPrep.has(t)) boundary.add(t);
  });
  for (const o of g.output ?? []) if (producedByPrep.has(o.name!)) boundary.add(o.name!);
  if (boundary.size === 0) return { prep: null, main: model, boundary: [] };

  // prep: only the static nodes the boundary needs (in order)
  const needed = new Set(boundary);
  const prepNodes: NodeProto[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    if (!staticNode[i] || !(nodes[i].output ?? []).some((o) => needed.has(o))) continue;
    prepNodes.unshift(nodes[i]);
    for (const t of nodes[i].input ?? []) if (t) needed.add(t);
  }
  const mainNodes = nodes.filter((_, i) => !staticNode[i]);
  const reads = (ns: NodeProto[]) => new Set(ns.flatMap((n) => n.input ?? []));
  const prepReads = reads(prepNodes);
  const mainReads = reads(mainNodes);
  for (const o of g.output ?? []) mainReads.add(o.name!);
  const boundaryList = [...boundary].sort();
  const opsets = model.opsetImport;
  const prep = onnx.ModelProto.create({
    irVersion: model.irVersion,
    producerName: 'jemda weight-prep',
    opsetImport: opsets,
    graph: onnx.GraphProto.create({
      name: `${g.name ?? 'model'}_weight_prep`,
      node: prepNodes,
      initializer: (g.initializer ?? []).filter((t) => prepReads.has(t.name!)),
      input: (g.input ?? []).filter((i) => weights.has(i.name!) && prepReads.has(i.name!)),
      // outputs need a name only: onnxruntime infers their types
      output: boundaryList.map((name) => onnx.ValueInfoProto.create({ name })),
    }),
  });
  const main = onnx.ModelProto.create({
    ...model,
    graph: onnx.GraphProto.create({
      ...g,
      node: mainNodes,
      initializer: (g.initializer ?? []).filter((t) => mainReads.has(t.name!)),
      input: (g.input ?? []).filter((i) => !weights.has(i.name!) || mainReads.has(i.name!)),
    }),
  });
  return { prep, main, boundary: boundaryList };
}

/** The main graph with its boundary inputs declared (element type and dims of each prep result). */
export function withBoundaryInputs(main: ModelProto, types: Map<string, { elemType: number; dims: number[] }>): ModelProto {
  const g = main.graph!;
  const extra = [...types].map(([name, t]) =>
    onnx.ValueInfoProto.create({
      name,
      type: { tensorType: { elemType: t.elemType, shape: { dim: t.dims.map((d) => ({ dimValue: d })) } } },
    }),
  );
  return onnx.ModelProto.create({ ...main, graph: onnx.GraphProto.create({ ...g, input: [...(g.input ?? []), ...extra] }) });
}
