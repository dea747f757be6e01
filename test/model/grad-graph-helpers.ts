/** Shared helpers for the gradient-graph tests: reference models, tiny graph builders, finite differences. */
import { ONNX_REF } from '../shared-ref.ts';
import * as fs from 'node:fs';
import { onnx, decodeTensor, tensorToArray, loadModel, floatTensor, type ModelProto, type NodeProto, type TensorProto } from '../../src/model/onnx-io.ts';
import { makeAttr, type AttrValue } from '../../src/model/gradgraph/builder.ts';
import type { EnergyGrad } from '../../src/model/types.ts';
import { Rng } from '../../src/util/rng.ts';

export const REF = ONNX_REF;
export const REF_MODELS: { name: string; logits: string; last: string }[] = [
  { name: 'mlp_spliced_op13', logits: '/out/Gemm_output_0', last: 'out.weight' },
  { name: 'cnn2d_kws_op13_nofold', logits: '/out/Gemm_output_0', last: 'out.weight' },
  { name: 'tdnn1d_op13', logits: 'y', last: 'fc.weight' },
];

export function refModel(name: string): ModelProto {
  return loadModel(`${REF}/${name}/model.onnx`);
}

export function refInput(name: string, set = 0): { data: Float32Array; dims: number[] } {
  const t = tensorToArray(decodeTensor(fs.readFileSync(`${REF}/${name}/test_data_set_${set}/input_0.pb`)));
  return { data: t.data as Float32Array, dims: t.dims };
}

export function node(op: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}, name = `${op}_${outputs[0]}`): NodeProto {
  return onnx.NodeProto.create({ opType: op, name, input: inputs, output: outputs, attribute: Object.entries(attrs).map(([k, v]) => makeAttr(k, v)) });
}

export function tinyModel(nodes: NodeProto[], inits: TensorProto[], xDims: (number | string)[], out: string, opset = 13): ModelProto {
  const vi = (n: string, dims: (number | string)[] | null) =>
    onnx.ValueInfoProto.create({
      name: n,
      type: {
        tensorType: {
          elemType: onnx.TensorProto.DataType.FLOAT,
          ...(dims ? { shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } : {}),
        },
      },
    });
  return onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: { name: 'tiny', node: nodes, initializer: inits, input: [vi('x', xDims)], output: [vi(out, null)] },
  });
}

export function randTensor(rng: Rng, name: string, dims: number[], scale = 1, offset = 0): TensorProto {
  const n = dims.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = offset + scale * rng.normal();
  return floatTensor(name, dims, d);
}

export function randn(rng: Rng, n: number, scale = 1): Float32Array {
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = scale * rng.normal();
  return d;
}

async function energySum(eg: EnergyGrad, x: Float32Array, B: number, cls?: Int32Array): Promise<number> {
  const { energy } = await eg.energyAndGrad(x, B, cls);
  let s = 0;
  for (const v of energy) s += v;
  return s;
}

/**
 * Central finite differences of Σ E (float64 accumulation) against grad·d: along `dirs` directions
 * (random, each with a component along the gradient so the projection is not near zero) and
 * per element on `elems` elements drawn among the largest |grad|. Returns the worst relative errors.
 */
export async function fdCheck(
  eg: EnergyGrad,
  x: Float32Array,
  B: number,
  opts: { eps?: number; dirs?: number; elems?: number; seed?: number; cls?: Int32Array } = {},
): Promise<{ dirRel: number; elemRel: number; elemScaledErr: number; gradNorm: number }> {
  const eps = opts.eps ?? 1e-3;
  const rng = new Rng(opts.seed ?? 7);
  const { grad } = await eg.energyAndGrad(x, B, opts.cls);
  let gn = 0;
  for (const v of grad) gn += v * v;
  gn = Math.sqrt(gn);
  let dirRel = 0;
  for (let k = 0; k < (opts.dirs ?? 3); k++) {
    const r = randn(rng, x.length);
    let rn = 0;
    for (const v of r) rn += v * v;
    rn = Math.sqrt(rn);
    const d = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) d[i] = r[i] / rn + grad[i] / gn;
    const xp = x.map((v, i) => v + eps * d[i]);
    const xm = x.map((v, i) => v - eps * d[i]);
    const fd = ((await energySum(eg, xp, B, opts.cls)) - (await energySum(eg, xm, B, opts.cls))) / (2 * eps);
    let an = 0;
    for (let i = 0; i < x.length; i++) an += grad[i] * d[i];
    dirRel = Math.max(dirRel, Math.abs(fd - an) / Math.abs(an));
  }
  const order = Array.from(grad.keys()).sort((a, b) => Math.abs(grad[b]) - Math.abs(grad[a]));
  const top = order.slice(0, Math.max(opts.elems ?? 6, Math.ceil(order.length * 0.02)));
  let elemRel = 0;
  let elemScaledErr = 0;
  const gmax = Math.abs(grad[order[0]]);
  const at = async (i: number, h: number) => {
    const xs = x.slice();
    xs[i] = x[i] + h;
    return energySum(eg, xs, B, opts.cls);
  };
  for (let k = 0; k < (opts.elems ?? 6); k++) {
    const i = top[rng.int(top.length)];
    // Five-point stencil: truncation error O(eps^4), so eps can be large enough to beat float32 noise.
    const fd = (8 * ((await at(i, eps)) - (await at(i, -eps))) - ((await at(i, 2 * eps)) - (await at(i, -2 * eps)))) / (12 * eps);
    elemRel = Math.max(elemRel, Math.abs(fd - grad[i]) / Math.abs(grad[i]));
    elemScaledErr = Math.max(elemScaledErr, Math.abs(fd - grad[i]) / gmax);
  }
  return { dirRel, elemRel, elemScaledErr, gradNorm: gn };
}

/** Multiply one named weight (a copy) by s. */
export function scaledWeights(weights: Map<string, { data: Float32Array }>, name: string, s: number): Map<string, Float32Array> {
  const w = weights.get(name);
  if (!w) throw new Error(`no weight ${name}`);
  return new Map([[name, w.data.map((v) => v * s)]]);
}
