/**
 * A small helper to emit ONNX graphs (opset 13) with seeded initializers. Parameters follow
 * PyTorch's defaults: Conv/Gemm weights and biases uniform in ±1/sqrt(fan_in) (kaiming_uniform
 * with a=√5), BatchNorm scale 1, bias 0, running mean 0, running var 1, epsilon 1e-5, ONNX
 * momentum 0.9 (= PyTorch momentum 0.1).
 */
import { onnx, floatTensor, setMetadata, type AttributeProto, type ModelProto, type NodeProto, type TensorProto } from '../onnx-io.ts';
import { FRONTEND_KEY, LABELS_KEY, type FrontEnd } from '../frontend.ts';
import { Rng } from '../../util/rng.ts';
import { ConfigError } from '../../util/errors.ts';

const AT = onnx.AttributeProto.AttributeType;
export const OPSET = 13;

export type AttrValue = number | number[] | string;

export function makeAttr(name: string, v: AttrValue, float = false): AttributeProto {
  if (typeof v === 'string') return { name, type: AT.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: AT.INTS, ints: v };
  return float ? { name, type: AT.FLOAT, f: v } : { name, type: AT.INT, i: v };
}

/** Uniform in [−bound, bound). */
export function uniformArray(rng: Rng, n: number, bound: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng.uniform() * 2 - 1) * bound;
  return a;
}

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly inits: TensorProto[] = [];
  private counts = new Map<string, number>();

  constructor(readonly rng: Rng) {}

  /** A fresh name with a per-prefix counter: "conv1", "conv2", ... */
  fresh(prefix: string): string {
    const n = (this.counts.get(prefix) ?? 0) + 1;
    this.counts.set(prefix, n);
    return `${prefix}${n}`;
  }

  node(opType: string, inputs: string[], name: string, attrs: Record<string, AttrValue> = {}, floatAttrs: string[] = []): string {
    const out = `${name}_out`;
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        name,
        input: inputs,
        output: [out],
        attribute: Object.entries(attrs).map(([k, v]) => makeAttr(k, v, floatAttrs.includes(k))),
      }),
    );
    return out;
  }

  init(name: string, dims: number[], data: Float32Array): string {
    this.inits.push(floatTensor(name, dims, data));
    return name;
  }

  /** A Constant node holding a float tensor (never a parameter: no trainable set includes it). */
  constant(name: string, dims: number[], data: Float32Array): string {
    this.nodes.push(onnx.NodeProto.create({ opType: 'Constant', name, output: [name], attribute: [{ name: 'value', type: AT.TENSOR, t: floatTensor(name, dims, data) }] }));
    return name;
  }

  /** A Constant node holding an int64 tensor (axes, shapes). */
  constantInt64(name: string, dims: number[], values: number[]): string {
    const t = onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.INT64, int64Data: values });
    this.nodes.push(onnx.NodeProto.create({ opType: 'Constant', name, output: [name], attribute: [{ name: 'value', type: AT.TENSOR, t }] }));
    return name;
  }

  /** Conv (1-D or 2-D) with bias; weight [cout, cin, ...kernel]; PyTorch default init. */
  conv(x: string, cin: number, cout: number, kernel: number[], opts: { pads?: number[]; dilations?: number[]; strides?: number[] } = {}): string {
    const name = this.fresh('conv');
    const fanIn = cin * kernel.reduce((a, b) => a * b, 1);
    const bound = 1 / Math.sqrt(fanIn);
    const w = this.init(`${name}.weight`, [cout, cin, ...kernel], uniformArray(this.rng, cout * fanIn, bound));
    const b = this.init(`${name}.bias`, [cout], uniformArray(this.rng, cout, bound));
    const attrs: Record<string, AttrValue> = {
      kernel_shape: kernel,
      pads: opts.pads ?? new Array<number>(2 * kernel.length).fill(0),
      dilations: opts.dilations ?? kernel.map(() => 1),
      strides: opts.strides ?? kernel.map(() => 1),
    };
    return this.node('Conv', [x, w, b], name, attrs);
  }

  batchNorm(x: string, channels: number, epsilon = 1e-5, momentum = 0.9): string {
    const name = this.fresh('bn');
    const ins = [
      this.init(`${name}.weight`, [channels], new Float32Array(channels).fill(1)),
      this.init(`${name}.bias`, [channels], new Float32Array(channels)),
      this.init(`${name}.running_mean`, [channels], new Float32Array(channels)),
      this.init(`${name}.running_var`, [channels], new Float32Array(channels).fill(1)),
    ];
    return this.node('BatchNormalization', [x, ...ins], name, { epsilon, momentum }, ['epsilon', 'momentum']);
  }

  relu(x: string): string {
    return this.node('Relu', [x], this.fresh('relu'));
  }

  /** Gemm y = x·Wᵀ + b with W [out, in] (transB = 1, like torch.nn.Linear). */
  gemm(x: string, nin: number, nout: number, prefix = 'fc'): string {
    const name = this.fresh(prefix);
    const bound = 1 / Math.sqrt(nin);
    const w = this.init(`${name}.weight`, [nout, nin], uniformArray(this.rng, nout * nin, bound));
    const b = this.init(`${name}.bias`, [nout], uniformArray(this.rng, nout, bound));
    return this.node('Gemm', [x, w, b], name, { transB: 1 });
  }

  /** Rename the last node's output (e.g. to "logits"). */
  renameLastOutput(newName: string): string {
    const last = this.nodes[this.nodes.length - 1];
    last.output = [newName];
    return newName;
  }

  /** Assemble a ModelProto with a dynamic batch axis and jemda metadata. */
  finish(opts: {
    graphName: string;
    input: { name: string; dims: (number | string)[] };
    output: { name: string; dims: (number | string)[] };
    frontEnd: FrontEnd;
    labels: string[];
    extraMetadata?: Record<string, string>;
  }): ModelProto {
    const vi = (name: string, dims: (number | string)[]) =>
      onnx.ValueInfoProto.create({
        name,
        type: {
          tensorType: {
            elemType: onnx.TensorProto.DataType.FLOAT,
            shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
          },
        },
      });
    const m = onnx.ModelProto.create({
      irVersion: 7,
      producerName: 'jemda',
      producerVersion: '0.1.0',
      opsetImport: [{ domain: '', version: OPSET }],
      graph: onnx.GraphProto.create({
        name: opts.graphName,
        node: this.nodes,
        initializer: this.inits,
        input: [vi(opts.input.name, opts.input.dims)],
        output: [vi(opts.output.name, opts.output.dims)],
      }),
    });
    setMetadata(m, {
      [FRONTEND_KEY]: JSON.stringify(opts.frontEnd),
      [LABELS_KEY]: JSON.stringify(opts.labels),
      ...(opts.extraMetadata ?? {}),
    });
    return m;
  }
}

export function requirePositiveInts(what: string, v: unknown): number[] {
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => Number.isInteger(x) && x > 0)) {
    throw new ConfigError(`${what}: expected a non-empty list of positive integers, got ${JSON.stringify(v)}`);
  }
  return v as number[];
}
