/**
 * Reverse-mode rules, one per ONNX op, written as ONNX ops (eval mode). Each rule says which
 * inputs may carry a gradient and, given the output gradients, emits the input gradients.
 * Shapes come from two probe runs of the model (static dims agree in both; dynamic ones differ),
 * so broadcasting and stride remainders are resolved at build time where they are static and with
 * Shape/Size ops where they are not.
 */
import { onnx, attrInt, attrInts, attrFloat, attrString, type NodeProto } from '../onnx-io.ts';
import type { GraphEmitter, AttrValue } from './builder.ts';

export interface TensorInfo {
  /** Dims in the two probe runs. */
  d1: number[];
  d2: number[];
  /** ONNX elem type. */
  elemType: number;
}

export interface BwdCtx {
  node: NodeProto;
  e: GraphEmitter;
  /** Gradient of each output (undefined: no gradient flows into it). */
  gOut: (string | undefined)[];
  isDiff(name: string): boolean;
  info(name: string): TensorInfo;
  /** Value of a constant int/float tensor (initializer or Constant node), or undefined. */
  constValue(name: string): number[] | undefined;
  /** Throw UnsupportedOpError for this node. */
  fail(detail: string): never;
}

export interface Rule {
  /** Input indices through which a gradient may flow ('all': every input). */
  diff: number[] | 'all';
  /** The outputs are constant almost everywhere (integer/boolean results, Floor, Sign...): no gradient. */
  zeroGrad?: boolean;
  /** Returns the gradient of each input (undefined where none is needed). */
  backward?(c: BwdCtx): (string | undefined)[];
  /** Forward-node rewrite (e.g. MaxPool also outputs Indices); returns extra outputs. */
  forward?(node: NodeProto, e: GraphEmitter): void;
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;

/** Sum g (shaped like `out`) over broadcast axes so it has the shape of `target`. */
export function unbroadcast(c: BwdCtx, g: string, out: string, target: string): string {
  const o = c.info(out);
  const t = c.info(target);
  const ro = o.d1.length;
  const rt = t.d1.length;
  const axes: number[] = [];
  for (let i = 0; i < ro; i++) {
    const j = i - (ro - rt);
    if (j < 0) {
      axes.push(i);
      continue;
    }
    const tOne = t.d1[j] === 1 && t.d2[j] === 1;
    const oBig = o.d1[i] !== 1 || o.d2[i] !== 1;
    if (tOne && oBig) axes.push(i);
  }
  if (axes.length === 0 && ro === rt) return g;
  const r = axes.length ? c.e.reduceSum(g, axes, true) : g;
  return c.e.reshapeLike(r, target);
}

function rank(c: BwdCtx, name: string): number {
  return c.info(name).d1.length;
}

/** Static dim (same in both probes) or null. */
function staticDim(i: TensorInfo, k: number): number | null {
  return i.d1[k] === i.d2[k] ? i.d1[k] : null;
}

const identity: Rule = { diff: [0], backward: (c) => [c.gOut[0]] };
const reshapeBack: Rule = { diff: [0], backward: (c) => [c.gOut[0] && c.e.reshapeLike(c.gOut[0], c.node.input![0])] };
const nonDiff: Rule = { diff: [], zeroGrad: true };

function elementwise(f: (c: BwdCtx, g: string, x: string, y: string) => string): Rule {
  return { diff: [0], backward: (c) => [f(c, c.gOut[0]!, c.node.input![0], c.node.output![0])] };
}

/** Conv pads after auto_pad resolution (static spatial dims needed for SAME_*). */
function convGeometry(c: BwdCtx, x: string, kernel: number[], strides: number[], dil: number[]): number[] {
  const n = kernel.length;
  const autoPad = attrString(c.node, 'auto_pad', 'NOTSET');
  const pads = attrInts(c.node, 'pads', undefined) ?? new Array(2 * n).fill(0);
  if (autoPad === 'NOTSET' || autoPad === 'VALID') return autoPad === 'VALID' ? new Array(2 * n).fill(0) : pads;
  const xi = c.info(x);
  const out: number[] = new Array(2 * n).fill(0);
  for (let k = 0; k < n; k++) {
    const d = staticDim(xi, 2 + k);
    if (d === null) c.fail(`auto_pad=${autoPad} on a dynamic spatial axis`);
    const o = Math.ceil(d / strides[k]);
    const total = Math.max(0, (o - 1) * strides[k] + dil[k] * (kernel[k] - 1) + 1 - d);
    const small = Math.floor(total / 2);
    out[k] = autoPad === 'SAME_UPPER' ? small : total - small;
    out[k + n] = total - out[k];
  }
  return out;
}

/**
 * output_padding so that a ConvTranspose of the strided output returns x's spatial size. On a
 * dynamic axis with stride > 1 the remainder depends on the length: use stride−1 (the largest) and
 * report that the result must be cut back to x's shape (the extra positions lie past x's end).
 */
function outputPadding(c: BwdCtx, x: string, kernel: number[], strides: number[], dil: number[], pads: number[]): { op: number[]; crop: boolean } {
  const n = kernel.length;
  const xi = c.info(x);
  const op: number[] = [];
  let crop = false;
  for (let k = 0; k < n; k++) {
    const r = (d: number) => (((d + pads[k] + pads[k + n] - dil[k] * (kernel[k] - 1) - 1) % strides[k]) + strides[k]) % strides[k];
    const r1 = r(xi.d1[2 + k]);
    if (xi.d1[2 + k] === xi.d2[2 + k] || strides[k] === 1) op.push(r1);
    else {
      op.push(strides[k] - 1);
      crop = true;
    }
  }
  return { op, crop };
}

/** ConvTranspose back to x's grid, cropped to x's shape when output_padding could not be exact. */
function convTransposeTo(c: BwdCtx, x: string, g: string, w: string, attrs: Record<string, AttrValue>, geo: { op: number[]; crop: boolean }): string {
  const e = c.e;
  const y = e.op1('ConvTranspose', [g, w], { ...attrs, output_padding: { ints: geo.op } });
  if (!geo.crop) return y;
  const r = c.info(x).d1.length;
  const axes = Array.from({ length: r - 2 }, (_, i) => i + 2);
  const ends = e.op1('Slice', [e.shape(x), e.i64([2]), e.i64([r])]);
  return e.op1('Slice', [y, e.i64(axes.map(() => 0)), ends, e.i64(axes)]);
}

function convBackward(c: BwdCtx): (string | undefined)[] {
  const [x, w] = c.node.input!;
  const g = c.gOut[0]!;
  const wd = c.info(w).d1;
  const n = wd.length - 2;
  const kernel = attrInts(c.node, 'kernel_shape', undefined) ?? wd.slice(2);
  const strides = attrInts(c.node, 'strides', undefined) ?? new Array(n).fill(1);
  const dil = attrInts(c.node, 'dilations', undefined) ?? new Array(n).fill(1);
  const group = attrInt(c.node, 'group', 1);
  const pads = convGeometry(c, x, kernel, strides, dil);
  const e = c.e;
  const M = wd[0];
  const Cg = wd[1];
  const stride1 = strides.every((s) => s === 1);
  const fullPads = kernel.map((k, i) => dil[i] * (k - 1));
  const convOk = stride1 && pads.every((p, i) => p <= fullPads[i % n]) && Cg * group >= e.choices.convGradMinChannels;
  const b = c.node.input![2];
  const dw = c.isDiff(w) ? convWeightGrad(c, x, g, { kernel, strides, dil, pads, group, C: Cg * group, M }) : undefined;
  const db = b && c.isDiff(b) ? e.reduceSum(g, [0, ...kernel.map((_, i) => i + 2)], false) : undefined;
  if (!c.isDiff(x)) return [undefined, dw, db];
  if (convOk) {
    // dX = Conv(g, flip(W^T)) with the complementary padding (fast NCHWc path in onnxruntime).
    const sp = wd.slice(2);
    let wt: string;
    if (group === 1) {
      wt = e.op1('Transpose', [w], { perm: { ints: [1, 0, ...sp.map((_, i) => i + 2)] } });
    } else {
      const r = e.op1('Reshape', [w, e.i64([group, M / group, Cg, ...sp])]);
      const t = e.op1('Transpose', [r], { perm: { ints: [0, 2, 1, ...sp.map((_, i) => i + 3)] } });
      wt = e.op1('Reshape', [t, e.i64([group * Cg, M / group, ...sp])]);
    }
    const axes = sp.map((_, i) => i + 2);
    const flipped = e.op1('Slice', [
      wt,
      e.i64(axes.map(() => -1)),
      e.i64(axes.map(() => -(2 ** 62))),
      e.i64(axes),
      e.i64(axes.map(() => -1)),
    ]);
    const p2 = [...kernel.map((_, i) => fullPads[i] - pads[i]), ...kernel.map((_, i) => fullPads[i] - pads[i + n])];
    return [
      e.op1('Conv', [g, flipped], {
        dilations: { ints: dil },
        group: { i: group },
        kernel_shape: { ints: kernel },
        pads: { ints: p2 },
        strides: { ints: strides },
      }),
      dw,
      db,
    ];
  }
  const geo = outputPadding(c, x, kernel, strides, dil, pads);
  return [
    convTransposeTo(c, x, g, w, { dilations: { ints: dil }, group: { i: group }, kernel_shape: { ints: kernel }, pads: { ints: pads }, strides: { ints: strides } }, geo),
    dw,
    db,
  ];
}

/**
 * Weight gradient of a Conv as another Conv: with the batch and channel axes of x and of the output
 * gradient g swapped, dW^T[c, m] = Σ_n x^T[c, n] ⋆ g^T[m, n], i.e. a Conv whose "image" is x^T
 * ([C, N, ...]) and whose kernel is g^T ([M, N, ...]), with the original strides as dilations and
 * the original dilations as strides (same pads); the result [C, M, k'...] is cropped to the kernel
 * size (k' > k when the stride leaves a remainder) and transposed back. Groups: one such Conv per
 * group (Split/Concat).
 */
function convWeightGrad(
  c: BwdCtx,
  x: string,
  g: string,
  p: { kernel: number[]; strides: number[]; dil: number[]; pads: number[]; group: number; C: number; M: number },
): string {
  const e = c.e;
  const n = p.kernel.length;
  if (p.group === 1 && (e.choices.convWeightGrad ?? 'im2col') !== 'conv') return convWeightGradIm2col(c, x, g, p);
  const perm = { perm: { ints: [1, 0, ...p.kernel.map((_, i) => i + 2)] } };
  const sp = p.kernel.map((_, i) => i + 2);
  const one = (xg: string, gg: string): string => {
    const y = e.op1('Conv', [e.op1('Transpose', [xg], perm), e.op1('Transpose', [gg], perm)], {
      strides: { ints: p.dil },
      dilations: { ints: p.strides },
      pads: { ints: p.pads },
    });
    const crop = e.op1('Slice', [y, e.i64(sp.map(() => 0)), e.i64(p.kernel), e.i64(sp)]);
    return e.op1('Transpose', [crop], perm);
  };
  void n;
  if (p.group === 1) return one(x, g);
  const G = p.group;
  const { C, M } = p;
  const xs = e.op('Split', [x, e.i64(new Array(G).fill(C / G))], { axis: { i: 1 } }, G, 'split');
  const gs = e.op('Split', [g, e.i64(new Array(G).fill(M / G))], { axis: { i: 1 } }, G, 'split');
  return e.op1('Concat', xs.map((xg, i) => one(xg, gs[i])), { axis: { i: 0 } });
}

/**
 * Weight gradient of an ungrouped Conv as one Gemm: x in channels-last layout, padded; for each
 * kernel offset a strided Slice gives [N, O..., C]; concatenated on the channel axis they are the
 * im2col columns [N·O, K·C] (offset-major), and dW = g^T · cols with g as [N·O, M] (or, for
 * large output grids, Σ_n g[n] · cols[n] with g as [N, M, O]), reordered to [M, C, k...]. Output spatial sizes are taken from g at run time when they are dynamic.
 */
function convWeightGradIm2col(
  c: BwdCtx,
  x: string,
  g: string,
  p: { kernel: number[]; strides: number[]; dil: number[]; pads: number[]; C: number; M: number },
): string {
  const e = c.e;
  const n = p.kernel.length;
  const sp = p.kernel.map((_, i) => i + 1);
  const toLast = { perm: { ints: [0, ...p.kernel.map((_, i) => i + 2), 1] } };
  let xt = e.op1('Transpose', [x], toLast);
  if (p.pads.some((v) => v !== 0)) {
    xt = e.op1('Pad', [xt, e.i64([0, ...p.pads.slice(0, n), 0, 0, ...p.pads.slice(n), 0])], { mode: { s: 'constant' } });
  }
  const gi = c.info(c.node.output![0]);
  const outLen = (k: number): number | string => {
    const d = staticDim(gi, 2 + k);
    return d ?? e.op1('Gather', [e.shape(g), e.i64([2 + k])], { axis: { i: 0 } });
  };
  const O = p.kernel.map((_, k) => outLen(k));
  const offsets: number[][] = [[]];
  for (let k = 0; k < n; k++) {
    const next: number[][] = [];
    for (const o of offsets) for (let t = 0; t < p.kernel[k]; t++) next.push([...o, t]);
    offsets.splice(0, offsets.length, ...next);
  }
  const K = offsets.length;
  const allOne = p.kernel.every((k) => k === 1) && p.strides.every((s) => s === 1);
  let cols: string;
  if (allOne) {
    cols = xt;
  } else {
    const slices = offsets.map((off) => {
      const starts = off.map((t, k) => t * p.dil[k]);
      let ends: string;
      if (O.every((o) => typeof o === 'number')) {
        ends = e.i64(starts.map((s0, k) => s0 + p.strides[k] * ((O[k] as number) - 1) + 1));
      } else {
        ends = e.op1(
          'Concat',
          starts.map((s0, k) => {
            const o = O[k];
            if (typeof o === 'number') return e.i64([s0 + p.strides[k] * (o - 1) + 1]);
            return e.op1('Add', [e.op1('Mul', [o, e.i64([p.strides[k]])]), e.i64([s0 + 1 - p.strides[k]])]);
          }),
          { axis: { i: 0 } },
        );
      }
      return e.op1('Slice', [xt, e.i64(starts), ends, e.i64(sp), e.i64(p.strides)]);
    });
    cols = K === 1 ? slices[0] : e.op1('Concat', slices, { axis: { i: n + 1 } });
  }
  // Large output grids (O > K·C): a batched MatMul of g as [N, M, O] (no transpose of g) with the
  // columns as [N, O, K·C], summed over N; else one Gemm over N·O with g transposed to channels-last.
  const Oprod = gi.d1.slice(2).reduce((a, b) => a * b, 1);
  let dw: string;
  if (Oprod > K * p.C && e.choices.convWeightGrad !== 'im2col-gemm') {
    const mm = e.op1('MatMul', [e.op1('Reshape', [g, e.i64([0, p.M, -1])]), e.op1('Reshape', [cols, e.i64([0, -1, K * p.C])])]);
    dw = e.reduceSum(mm, [0], false);
  } else {
    const cols2 = e.op1('Reshape', [cols, e.i64([-1, K * p.C])]);
    const g2 = e.op1('Reshape', [e.op1('Transpose', [g], toLast), e.i64([-1, p.M])]);
    dw = e.op1('Gemm', [g2, cols2], { transA: { i: 1 } });
  }
  // [M, K·C] (offset-major) → [M, k..., C] → [M, C, k...]
  const r = e.op1('Reshape', [dw, e.i64([p.M, ...p.kernel, p.C])]);
  return e.op1('Transpose', [r], { perm: { ints: [0, n + 1, ...p.kernel.map((_, i) => i + 1)] } });
}

function reduceBackward(mean: boolean): Rule {
  return {
    diff: [0],
    backward: (c) => {
      const x = c.node.input![0];
      const y = c.node.output![0];
      const e = c.e;
      const r = rank(c, x);
      let axes: number[] | undefined = attrInts(c.node, 'axes', undefined);
      if (!axes && c.node.input!.length > 1 && c.node.input![1]) {
        axes = c.constValue(c.node.input![1]);
        if (!axes) c.fail('axes must be a constant');
      }
      if (!axes || axes.length === 0) {
        if (attrInt(c.node, 'noop_with_empty_axes', 0) === 1) return [c.gOut[0]];
        axes = Array.from({ length: r }, (_, i) => i);
      }
      axes = axes.map((a) => (a < 0 ? a + r : a)).sort((a, b) => a - b);
      let g = c.gOut[0]!;
      if (attrInt(c.node, 'keepdims', 1) === 0) g = e.unsqueeze(g, axes);
      g = e.op1('Expand', [g, e.shape(x)]);
      if (mean) g = e.op1('Mul', [g, e.sizeRatio(y, x)]);
      return [g];
    },
  };
}

function softmaxBackward(log: boolean): Rule {
  return {
    diff: [0],
    backward: (c) => {
      const y = c.node.output![0];
      const e = c.e;
      const r = rank(c, y);
      let axis = attrInt(c.node, 'axis', -1);
      if (axis < 0) axis += r;
      const g = c.gOut[0]!;
      if (axis !== r - 1 && c.e.opset < 13) c.fail('Softmax with axis != last before opset 13');
      if (log) {
        const s = e.reduceSum(g, [axis], true);
        return [e.op1('Sub', [g, e.op1('Mul', [e.op1('Exp', [y]), s])])];
      }
      const s = e.reduceSum(e.op1('Mul', [g, y]), [axis], true);
      return [e.op1('Mul', [y, e.op1('Sub', [g, s])])];
    },
  };
}

export const RULES: Record<string, Rule> = {
  Identity: identity,
  Dropout: identity,
  Cast: identity,
  Flatten: reshapeBack,
  Reshape: reshapeBack,
  Squeeze: reshapeBack,
  Unsqueeze: reshapeBack,
  // Non-differentiable (integer/boolean results, or zero gradient almost everywhere).
  Shape: nonDiff,
  Size: nonDiff,
  Constant: nonDiff,
  ConstantOfShape: nonDiff,
  Range: nonDiff,
  Sign: nonDiff,
  Floor: nonDiff,
  Ceil: nonDiff,
  Round: nonDiff,
  Equal: nonDiff,
  Greater: nonDiff,
  Less: nonDiff,
  GreaterOrEqual: nonDiff,
  LessOrEqual: nonDiff,
  Not: nonDiff,
  ArgMax: nonDiff,
  ArgMin: nonDiff,

  Relu: elementwise((c, g, _x, y) => c.e.op1('Where', [c.e.op1('Greater', [y, c.e.scalar(0)]), g, c.e.scalar(0)])),
  LeakyRelu: elementwise((c, g, x) => {
    const a = attrFloat(c.node, 'alpha', 0.01);
    return c.e.op1('Where', [c.e.op1('Greater', [x, c.e.scalar(0)]), g, c.e.op1('Mul', [g, c.e.scalar(a)])]);
  }),
  Sigmoid: elementwise((c, g, _x, y) => c.e.op1('Mul', [g, c.e.op1('Mul', [y, c.e.op1('Sub', [c.e.scalar(1), y])])])),
  Tanh: elementwise((c, g, _x, y) => c.e.op1('Mul', [g, c.e.op1('Sub', [c.e.scalar(1), c.e.op1('Mul', [y, y])])])),
  Sqrt: elementwise((c, g, _x, y) => c.e.op1('Div', [c.e.op1('Mul', [g, c.e.scalar(0.5)]), y])),
  Exp: elementwise((c, g, _x, y) => c.e.op1('Mul', [g, y])),
  Log: elementwise((c, g, x) => c.e.op1('Div', [g, x])),
  Neg: elementwise((c, g) => c.e.op1('Neg', [g])),
  Abs: elementwise((c, g, x) => c.e.op1('Mul', [g, c.e.op1('Sign', [x])])),
  Reciprocal: elementwise((c, g, _x, y) => c.e.op1('Neg', [c.e.op1('Mul', [g, c.e.op1('Mul', [y, y])])])),
  Softplus: elementwise((c, g, x) => c.e.op1('Mul', [g, c.e.op1('Sigmoid', [x])])),
  Erf: elementwise((c, g, x) => {
    const e = c.e;
    const ex = e.op1('Exp', [e.op1('Neg', [e.op1('Mul', [x, x])])]);
    return e.op1('Mul', [g, e.op1('Mul', [ex, e.scalar(2 / Math.sqrt(Math.PI))])]);
  }),
  Clip: {
    diff: [0],
    backward: (c) => {
      const e = c.e;
      const [x, lo, hi] = c.node.input!;
      let mask: string | undefined;
      if (lo) mask = e.op1('GreaterOrEqual', [x, lo]);
      if (hi) {
        const m2 = e.op1('LessOrEqual', [x, hi]);
        mask = mask ? e.op1('And', [mask, m2]) : m2;
      }
      return [mask ? e.op1('Where', [mask, c.gOut[0]!, e.scalar(0)]) : c.gOut[0]];
    },
  },
  Pow: {
    diff: [0],
    backward: (c) => {
      const e = c.e;
      const [x, p0] = c.node.input!;
      const p = c.info(p0).elemType === FLOAT ? p0 : e.op1('Cast', [p0], { to: { i: FLOAT } });
      const pv = c.constValue(p0);
      let d: string;
      if (pv && pv.length === 1 && pv[0] === 2) d = e.op1('Mul', [x, e.scalar(2)]);
      else d = e.op1('Mul', [p, e.op1('Pow', [x, e.op1('Sub', [p, e.scalar(1)])])]);
      return [unbroadcast(c, e.op1('Mul', [c.gOut[0]!, d]), c.node.output![0], x)];
    },
  },

  Add: { diff: 'all', backward: (c) => c.node.input!.map((a) => (c.isDiff(a) ? unbroadcast(c, c.gOut[0]!, c.node.output![0], a) : undefined)) },
  Sum: { diff: 'all', backward: (c) => c.node.input!.map((a) => (c.isDiff(a) ? unbroadcast(c, c.gOut[0]!, c.node.output![0], a) : undefined)) },
  Sub: {
    diff: 'all',
    backward: (c) => {
      const [a, b] = c.node.input!;
      const y = c.node.output![0];
      const g = c.gOut[0]!;
      return [c.isDiff(a) ? unbroadcast(c, g, y, a) : undefined, c.isDiff(b) ? unbroadcast(c, c.e.op1('Neg', [g]), y, b) : undefined];
    },
  },
  Mul: {
    diff: 'all',
    backward: (c) => {
      const [a, b] = c.node.input!;
      const y = c.node.output![0];
      const g = c.gOut[0]!;
      return [
        c.isDiff(a) ? unbroadcast(c, c.e.op1('Mul', [g, b]), y, a) : undefined,
        c.isDiff(b) ? unbroadcast(c, c.e.op1('Mul', [g, a]), y, b) : undefined,
      ];
    },
  },
  Div: {
    diff: 'all',
    backward: (c) => {
      const [a, b] = c.node.input!;
      const y = c.node.output![0];
      const g = c.gOut[0]!;
      const e = c.e;
      return [
        c.isDiff(a) ? unbroadcast(c, e.op1('Div', [g, b]), y, a) : undefined,
        c.isDiff(b) ? unbroadcast(c, e.op1('Neg', [e.op1('Div', [e.op1('Mul', [g, y]), b])]), y, b) : undefined,
      ];
    },
  },
  Where: {
    diff: [1, 2],
    backward: (c) => {
      const [cond, a, b] = c.node.input!;
      const y = c.node.output![0];
      const g = c.gOut[0]!;
      const e = c.e;
      const z = e.scalar(0);
      return [
        undefined,
        c.isDiff(a) ? unbroadcast(c, e.op1('Where', [cond, g, z]), y, a) : undefined,
        c.isDiff(b) ? unbroadcast(c, e.op1('Where', [cond, z, g]), y, b) : undefined,
      ];
    },
  },
  Expand: { diff: [0], backward: (c) => [unbroadcast(c, c.gOut[0]!, c.node.output![0], c.node.input![0])] },

  MatMul: {
    diff: 'all',
    backward: (c) => {
      const [a, b] = c.node.input!;
      const y = c.node.output![0];
      const g = c.gOut[0]!;
      const e = c.e;
      const ra = rank(c, a);
      const rb = rank(c, b);
      if (ra < 2 || rb < 2) c.fail('MatMul gradient with a 1-D operand');
      const swap = (r: number) => ({ perm: { ints: [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2] } });
      return [
        c.isDiff(a) ? unbroadcast(c, e.op1('MatMul', [g, e.op1('Transpose', [b], swap(rb))]), y, a) : undefined,
        c.isDiff(b) ? unbroadcast(c, e.op1('MatMul', [e.op1('Transpose', [a], swap(ra)), g]), y, b) : undefined,
      ];
    },
  },
  Gemm: {
    diff: 'all',
    backward: (c) => {
      const [a, b, cc] = c.node.input!;
      const y = c.node.output![0];
      const g = c.gOut[0]!;
      const e = c.e;
      const alpha = attrFloat(c.node, 'alpha', 1);
      const beta = attrFloat(c.node, 'beta', 1);
      const tA = attrInt(c.node, 'transA', 0);
      const tB = attrInt(c.node, 'transB', 0);
      const al = { alpha: { f: alpha } };
      let da: string | undefined;
      let db: string | undefined;
      let dc: string | undefined;
      if (c.isDiff(a)) {
        da = tA === 0 ? e.op1('Gemm', [g, b], { ...al, transB: { i: 1 - tB } }) : e.op1('Gemm', [b, g], { ...al, transA: { i: tB }, transB: { i: 1 } });
      }
      if (c.isDiff(b)) {
        db = tB === 0 ? e.op1('Gemm', [a, g], { ...al, transA: { i: 1 - tA } }) : e.op1('Gemm', [g, a], { ...al, transA: { i: 1 }, transB: { i: tA } });
      }
      if (cc && c.isDiff(cc)) dc = unbroadcast(c, beta === 1 ? g : e.op1('Mul', [g, e.scalar(beta)]), y, cc);
      return [da, db, dc];
    },
  },
  Conv: { diff: [0, 1, 2], backward: convBackward },
  BatchNormalization: {
    diff: [0],
    backward: (c) => {
      if (attrInt(c.node, 'training_mode', 0) === 1) c.fail('training_mode=1 (the gradient graph is eval mode)');
      const [x, scale, , , variance] = c.node.input!;
      const e = c.e;
      const eps = attrFloat(c.node, 'epsilon', 1e-5);
      const s = e.op1('Div', [scale, e.op1('Sqrt', [e.op1('Add', [variance, e.scalar(eps)])])]);
      const r = rank(c, x);
      const C = c.info(scale).d1[0];
      const sr = r > 2 ? e.op1('Reshape', [s, e.i64([C, ...new Array(r - 2).fill(1)])]) : s;
      return [e.op1('Mul', [c.gOut[0]!, sr])];
    },
  },
  MaxPool: {
    diff: [0],
    forward: (node, e) => {
      if (e.choices.maxPoolGrad !== 'indices' && simplePool(node)) return;
      if ((node.output ?? []).length < 2 || !node.output![1]) node.output = [node.output![0], e.fresh('maxpool_indices')];
    },
    backward: (c) => {
      if (!simplePool(c.node) || c.e.choices.maxPoolGrad === 'indices') return maxPoolIndexBackward(c);
      return c.e.choices.maxPoolGrad === 'mask' ? maxPoolMaskBackward(c) : maxPoolResizeBackward(c);
    },
  },
  AveragePool: {
    diff: [0],
    backward: (c) => {
      const x = c.node.input![0];
      const e = c.e;
      const kernel = attrInts(c.node, 'kernel_shape', [])!;
      const n = kernel.length;
      const strides = attrInts(c.node, 'strides', undefined) ?? kernel.map(() => 1);
      const dil = attrInts(c.node, 'dilations', undefined) ?? kernel.map(() => 1);
      if (dil.some((d) => d !== 1)) c.fail('dilated AveragePool');
      if (attrInt(c.node, 'ceil_mode', 0) !== 0) c.fail('ceil_mode=1');
      const pads = convGeometry(c, x, kernel, strides, dil);
      if (pads.some((p) => p !== 0) && attrInt(c.node, 'count_include_pad', 0) === 0) c.fail('padding with count_include_pad=0');
      const C = staticDim(c.info(x), 1);
      if (C === null) return c.fail('dynamic channel count');
      const kn = kernel.reduce((a, b) => a * b, 1);
      const w = e.f32(new Float32Array(C * kn).fill(1 / kn), [C, 1, ...kernel]);
      const geo = outputPadding(c, x, kernel, strides, dil, pads);
      void n;
      return [convTransposeTo(c, x, c.gOut[0]!, w, { group: { i: C }, kernel_shape: { ints: kernel }, pads: { ints: pads }, strides: { ints: strides } }, geo)];
    },
  },
  GlobalAveragePool: {
    diff: [0],
    backward: (c) => {
      const [x] = c.node.input!;
      const e = c.e;
      return [e.op1('Mul', [e.op1('Expand', [c.gOut[0]!, e.shape(x)]), e.sizeRatio(c.node.output![0], x)])];
    },
  },
  ReduceMean: reduceBackward(true),
  ReduceSum: reduceBackward(false),
  Transpose: {
    diff: [0],
    backward: (c) => {
      const r = rank(c, c.node.input![0]);
      const perm = attrInts(c.node, 'perm', undefined) ?? Array.from({ length: r }, (_, i) => r - 1 - i);
      const inv = new Array<number>(r);
      perm.forEach((p, i) => (inv[p] = i));
      return [c.e.op1('Transpose', [c.gOut[0]!], { perm: { ints: inv } })];
    },
  },
  Concat: {
    diff: 'all',
    backward: (c) => {
      const e = c.e;
      const ins = c.node.input!;
      const r = rank(c, ins[0]);
      let axis = attrInt(c.node, 'axis', 0);
      if (axis < 0) axis += r;
      const sizes = ins.map((a) => staticDim(c.info(a), axis));
      let split: string;
      if (sizes.every((s) => s !== null)) split = e.i64(sizes as number[]);
      else split = e.op1('Concat', ins.map((a) => e.op1('Gather', [e.shape(a), e.i64([axis])], { axis: { i: 0 } })), { axis: { i: 0 } });
      const parts = e.op('Split', [c.gOut[0]!, split], { axis: { i: axis } }, ins.length, 'split');
      return ins.map((a, i) => (c.isDiff(a) ? parts[i] : undefined));
    },
  },
  Split: {
    diff: [0],
    backward: (c) => {
      const e = c.e;
      const x = c.node.input![0];
      let axis = attrInt(c.node, 'axis', 0);
      if (axis < 0) axis += rank(c, x);
      const gs = c.node.output!.map((y, i) => c.gOut[i] ?? e.zerosLike(y));
      return [e.op1('Concat', gs, { axis: { i: axis } })];
    },
  },
  Pad: {
    diff: [0],
    backward: (c) => {
      const e = c.e;
      const [x, padsName, , axesName] = c.node.input!;
      if (attrString(c.node, 'mode', 'constant') !== 'constant') c.fail(`mode=${attrString(c.node, 'mode', 'constant')}`);
      if (axesName) c.fail('Pad with an axes input');
      const pads = c.constValue(padsName);
      if (!pads) return c.fail('pads must be a constant');
      if (pads.some((p) => p < 0)) c.fail('negative pads');
      const r = rank(c, x);
      const starts = pads.slice(0, r);
      const ends = pads.slice(r).map((p) => (p === 0 ? 2 ** 62 : -p));
      return [e.op1('Slice', [c.gOut[0]!, e.i64(starts), e.i64(ends), e.i64(Array.from({ length: r }, (_, i) => i))])];
    },
  },
  Slice: {
    diff: [0],
    backward: (c) => {
      const e = c.e;
      const [x, sN, eN, aN, stN] = c.node.input!;
      const xi = c.info(x);
      const r = xi.d1.length;
      const starts = c.constValue(sN);
      const ends = c.constValue(eN);
      const axes = aN ? c.constValue(aN) : starts?.map((_, i) => i);
      const steps = stN ? c.constValue(stN) : starts?.map(() => 1);
      if (!starts || !ends || !axes || !steps) return c.fail('starts/ends/axes/steps must be constants');
      if (steps.some((s) => s !== 1)) c.fail('steps other than 1');
      const pads = new Array(2 * r).fill(0);
      axes.forEach((a0, i) => {
        const a = a0 < 0 ? a0 + r : a0;
        const d = staticDim(xi, a);
        const clamp = (v: number, dim: number) => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
        if (d !== null) {
          const s = clamp(starts[i], d);
          const en = Math.max(clamp(ends[i], d), s);
          pads[a] = s;
          pads[a + r] = d - en;
        } else if (starts[i] >= 0 && ends[i] >= 2 ** 31 - 1) {
          pads[a] = starts[i];
        } else {
          c.fail('slice of a dynamic axis other than [start:] ');
        }
      });
      return [e.op1('Pad', [c.gOut[0]!, e.i64(pads)], { mode: { s: 'constant' } })];
    },
  },
  Softmax: softmaxBackward(false),
  LogSoftmax: softmaxBackward(true),
  Gather: { diff: [] as number[], backward: undefined },
};

/** Square 2-D, non-overlapping, unpadded, undilated pooling (kernel == stride): windows tile the input. */
function simplePool(node: NodeProto): boolean {
  const kernel = attrInts(node, 'kernel_shape', [])!;
  const strides = attrInts(node, 'strides', undefined) ?? kernel.map(() => 1);
  const dil = attrInts(node, 'dilations', undefined) ?? kernel.map(() => 1);
  const pads = attrInts(node, 'pads', undefined) ?? [];
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  return (
    kernel.length === 2 &&
    kernel[0] === kernel[1] &&
    kernel.every((k, i) => strides[i] === k) &&
    dil.every((d) => d === 1) &&
    pads.every((p) => p === 0) &&
    (autoPad === 'NOTSET' || autoPad === 'VALID') &&
    attrInt(node, 'ceil_mode', 0) === 0 &&
    (node.output ?? []).filter((o) => o).length === 1
  );
}

/**
 * MaxPool gradient for square 2-D tiling windows without the Indices output (which forces
 * onnxruntime's slow generic pooling kernel): SpaceToDepth views x as [N, k·k, C, Ho, Wo], so the
 * comparison with the pooled max broadcasts over an outer axis (fast); mask = (x == max), each
 * window's gradient is split equally among tied maxima (a valid subgradient that keeps the sum),
 * and DepthToSpace puts it back.
 */
function maxPoolMaskBackward(c: BwdCtx): string[] {
  const e = c.e;
  const x = c.node.input![0];
  const y = c.node.output![0];
  const k = attrInts(c.node, 'kernel_shape', [])![0];
  const xi = c.info(x);
  const ys = e.shape(y);
  const ydim = (i: number) => e.op1('Gather', [ys, e.i64([i])], { axis: { i: 0 } });
  const divisible = [2, 3].every((a) => xi.d1[a] === xi.d2[a] && xi.d1[a] % k === 0);
  const xc = divisible
    ? x
    : e.op1('Slice', [x, e.i64([0, 0]), e.op1('Concat', [2, 3].map((a) => e.op1('Mul', [ydim(a), e.i64([k])])), { axis: { i: 0 } }), e.i64([2, 3])]);
  const s2d = e.op1('SpaceToDepth', [xc], { blocksize: { i: k } });
  const shape5 = e.op1('Concat', [ydim(0), e.i64([k * k]), ydim(1), ydim(2), ydim(3)], { axis: { i: 0 } });
  const x5 = e.op1('Reshape', [s2d, shape5]);
  const y5 = e.unsqueeze(y, [1]);
  const mask = e.op1('Cast', [e.op1('Equal', [x5, y5])], { to: { i: FLOAT } });
  const cnt = e.reduceSum(mask, [1], true);
  const gr = e.op1('Div', [e.unsqueeze(c.gOut[0]!, [1]), cnt]);
  const d4 = e.op1('Reshape', [e.op1('Mul', [mask, gr]), e.shape(s2d)]);
  const dc = e.op1('DepthToSpace', [d4], { blocksize: { i: k }, mode: { s: 'DCR' } });
  if (divisible) return [dc];
  const padEnd = e.op1('Sub', [e.shape(x), e.shape(xc)]);
  const pads = e.op1('Concat', [e.i64([0, 0, 0, 0]), padEnd], { axis: { i: 0 } });
  return [e.op1('Pad', [dc, pads], { mode: { s: 'constant' } })];
}

/**
 * MaxPool gradient for square 2-D tiling windows from the pooled values alone: nearest-neighbour
 * Resize brings the max back to x's grid, mask = (x == max), an AveragePool of the mask counts the
 * tied maxima of each window, and the window gradient is split equally among them.
 */
function maxPoolResizeBackward(c: BwdCtx): string[] {
  const e = c.e;
  const x = c.node.input![0];
  const y = c.node.output![0];
  const k = attrInts(c.node, 'kernel_shape', [])![0];
  const xi = c.info(x);
  const divisible = [2, 3].every((a) => xi.d1[a] === xi.d2[a] && xi.d1[a] % k === 0);
  const ys = e.shape(y);
  const ydim = (i: number) => e.op1('Gather', [ys, e.i64([i])], { axis: { i: 0 } });
  const xc = divisible
    ? x
    : e.op1('Slice', [x, e.i64([0, 0]), e.op1('Concat', [2, 3].map((a) => e.op1('Mul', [ydim(a), e.i64([k])])), { axis: { i: 0 } }), e.i64([2, 3])]);
  const scales = e.f32([1, 1, k, k]);
  const up = (t: string) =>
    e.op1('Resize', [t, '', scales], {
      mode: { s: 'nearest' },
      coordinate_transformation_mode: { s: 'asymmetric' },
      nearest_mode: { s: 'floor' },
    });
  const mask = e.op1('Cast', [e.op1('Equal', [xc, up(y)])], { to: { i: FLOAT } });
  const frac = e.op1('AveragePool', [mask], { kernel_shape: { ints: [k, k] }, strides: { ints: [k, k] } });
  const gq = e.op1('Div', [c.gOut[0]!, e.op1('Mul', [frac, e.scalar(k * k)])]);
  const dc = e.op1('Mul', [mask, up(gq)]);
  if (divisible) return [dc];
  const padEnd = e.op1('Sub', [e.shape(x), e.shape(xc)]);
  const pads = e.op1('Concat', [e.i64([0, 0, 0, 0]), padEnd], { axis: { i: 0 } });
  return [e.op1('Pad', [dc, pads], { mode: { s: 'constant' } })];
}

/** General MaxPool gradient: scatter the output gradient to the Indices output (first maximum on ties). */
function maxPoolIndexBackward(c: BwdCtx): string[] {
  const x = c.node.input![0];
  const idx = c.node.output![1];
  const e = c.e;
  if (attrInt(c.node, 'storage_order', 0) !== 0) c.fail('storage_order=1');
  const kernel = attrInts(c.node, 'kernel_shape', [])!;
  const strides = attrInts(c.node, 'strides', undefined) ?? kernel.map(() => 1);
  const dil = attrInts(c.node, 'dilations', undefined) ?? kernel.map(() => 1);
  const overlap = kernel.some((k, i) => dil[i] * (k - 1) + 1 > strides[i]);
  const flatN = e.op1('Reshape', [e.op1('Size', [x]), e.i64([1])]);
  const zeros = e.op1('ConstantOfShape', [flatN], { value: { t: floatTensorZero() } });
  const upd = e.op1('Reshape', [c.gOut[0]!, e.i64([-1])]);
  const ind = e.op1('Reshape', [idx, e.i64([-1])]);
  const sc = e.op1('ScatterElements', [zeros, ind, upd], { axis: { i: 0 }, ...(overlap ? { reduction: { s: 'add' } } : {}) });
  return [e.reshapeLike(sc, x)];
}

function floatTensorZero() {
  return onnx.TensorProto.create({ dims: [1], dataType: FLOAT, floatData: [0] });
}
