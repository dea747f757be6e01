/**
 * Small emitter for ONNX nodes used by the gradient-graph builder: fresh tensor names, typed
 * attributes, int64/float constants (as initializers), opset-aware reductions.
 */
import { onnx, floatTensor, int64Tensor, type NodeProto, type TensorProto, type AttributeProto } from '../onnx-io.ts';

const AT = onnx.AttributeProto.AttributeType;

export type AttrValue = { i: number } | { f: number } | { ints: number[] } | { floats: number[] } | { s: string } | { t: TensorProto };

export function makeAttr(name: string, v: AttrValue): AttributeProto {
  if ('i' in v) return onnx.AttributeProto.create({ name, type: AT.INT, i: v.i });
  if ('f' in v) return onnx.AttributeProto.create({ name, type: AT.FLOAT, f: v.f });
  if ('ints' in v) return onnx.AttributeProto.create({ name, type: AT.INTS, ints: v.ints });
  if ('floats' in v) return onnx.AttributeProto.create({ name, type: AT.FLOATS, floats: v.floats });
  if ('s' in v) return onnx.AttributeProto.create({ name, type: AT.STRING, s: Buffer.from(v.s, 'utf8') });
  return onnx.AttributeProto.create({ name, type: AT.TENSOR, t: v.t });
}

/**
 * MaxPool gradient for square 2-D tiling windows: 'indices' = Indices output + ScatterElements
 * (first maximum wins, like PyTorch); 'mask' = SpaceToDepth view, compare, DepthToSpace; 'resize' =
 * nearest Resize of the max, compare, AveragePool count. 'mask' and 'resize' split ties equally.
 */
export type MaxPoolGrad = 'indices' | 'mask' | 'resize';

/**
 * Conv weight gradient: 'im2col' = channels-last strided slices of the padded input concatenated
 * into columns, then one Gemm with the output gradient, or a batched MatMul when the output grid is
 * larger than the kernel volume (default; groups fall back to 'conv'); 'im2col-gemm' = always the
 * Gemm; 'conv' = a Conv of the batch/channel-swapped input with the swapped output gradient as kernel.
 */
export type ConvWeightGrad = 'im2col' | 'im2col-gemm' | 'conv';

export class GraphEmitter {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private counter = 0;
  private constCache = new Map<string, string>();

  constructor(
    readonly opset: number,
    /** Rule choices: maxPoolGrad = how the gradient of a tiling square 2-D MaxPool is formed (see MaxPoolGrad);
     * convGradMinChannels = a stride-1 Conv's input gradient is a Conv (flipped weights) when x has at least this many
     * channels, else a ConvTranspose (onnxruntime's Conv is slow with very few output channels). */
    readonly choices: { maxPoolGrad: MaxPoolGrad; convGradMinChannels: number; convWeightGrad?: ConvWeightGrad } = { maxPoolGrad: 'indices', convGradMinChannels: 8 },
    private readonly prefix = 'jemda_grad/',
  ) {}

  fresh(base: string): string {
    return `${this.prefix}${base}_${this.counter++}`;
  }

  /** Emit one node; returns its output names. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, nOut = 1, base = opType): string[] {
    const outputs = Array.from({ length: nOut }, () => this.fresh(base));
    this.opNamed(opType, inputs, outputs, attrs);
    return outputs;
  }

  op1(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    return this.op(opType, inputs, attrs)[0];
  }

  /** Emit a node with given output names (for the graph outputs). */
  opNamed(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}): void {
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        name: this.fresh(`${opType}_node`),
        input: inputs,
        output: outputs,
        attribute: Object.entries(attrs).map(([k, v]) => makeAttr(k, v)),
      }),
    );
  }

  i64(values: number[], dims: number[] = [values.length]): string {
    const key = `i64:${dims.join(',')}:${values.join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const name = this.fresh('const_i64');
    this.initializers.push(int64Tensor(name, dims, values));
    this.constCache.set(key, name);
    return name;
  }

  f32(values: number[] | Float32Array, dims: number[] = [values.length]): string {
    const key = values.length <= 16 ? `f32:${dims.join(',')}:${Array.from(values).join(',')}` : '';
    const hit = key ? this.constCache.get(key) : undefined;
    if (hit) return hit;
    const name = this.fresh('const_f32');
    this.initializers.push(floatTensor(name, dims, values instanceof Float32Array ? values : Float32Array.from(values)));
    if (key) this.constCache.set(key, name);
    return name;
  }

  /** Scalar float constant. */
  scalar(v: number): string {
    return this.f32([v], []);
  }

  /** ReduceSum (axes as input since opset 13). */
  reduceSum(x: string, axes: number[], keepdims: boolean): string {
    return this.op1('ReduceSum', [x, this.i64(axes)], { keepdims: { i: keepdims ? 1 : 0 } });
  }

  /** ReduceMax (axes attribute before opset 18, input from 18). */
  reduceMax(x: string, axes: number[], keepdims: boolean): string {
    if (this.opset >= 18) return this.op1('ReduceMax', [x, this.i64(axes)], { keepdims: { i: keepdims ? 1 : 0 } });
    return this.op1('ReduceMax', [x], { axes: { ints: axes }, keepdims: { i: keepdims ? 1 : 0 } });
  }

  /** ReduceMean (axes attribute before opset 18, input from 18). */
  reduceMean(x: string, axes: number[], keepdims: boolean): string {
    if (this.opset >= 18) return this.op1('ReduceMean', [x, this.i64(axes)], { keepdims: { i: keepdims ? 1 : 0 } });
    return this.op1('ReduceMean', [x], { axes: { ints: axes }, keepdims: { i: keepdims ? 1 : 0 } });
  }

  unsqueeze(x: string, axes: number[]): string {
    return this.op1('Unsqueeze', [x, this.i64(axes)]);
  }

  shape(x: string): string {
    return this.op1('Shape', [x]);
  }

  /** Reshape g to the (runtime) shape of `like`. */
  reshapeLike(g: string, like: string): string {
    return this.op1('Reshape', [g, this.shape(like)]);
  }

  /** Size(a) / Size(b) as a float scalar. */
  sizeRatio(a: string, b: string): string {
    const sa = this.op1('Cast', [this.op1('Size', [a])], { to: { i: onnx.TensorProto.DataType.FLOAT } });
    const sb = this.op1('Cast', [this.op1('Size', [b])], { to: { i: onnx.TensorProto.DataType.FLOAT } });
    return this.op1('Div', [sa, sb]);
  }

  /** Zeros with the runtime shape of `like` (float). */
  zerosLike(like: string): string {
    return this.op1('ConstantOfShape', [this.shape(like)], { value: { t: floatTensor('', [1], [0]) } });
  }

  /** Sum of gradient contributions. */
  sum(parts: string[]): string {
    return parts.length === 1 ? parts[0] : this.op1('Sum', parts);
  }
}
