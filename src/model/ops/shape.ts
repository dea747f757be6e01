/** Shape and layout ops. Integer/constant inputs are computed in plain JS (no tfjs round trips). */
import * as tf from '@tensorflow/tfjs';
import { attr, attrInt, attrInts, attrString, tensorToArray, type TensorProto } from '../onnx-io.ts';
import { fail, need, unsupported, type OpCtx, type OpImpl } from './op.ts';
import {
  constTake,
  constTranspose,
  cval,
  dimsOf,
  isConst,
  normAxis,
  size,
  strides,
  toConst,
  toTensor,
  type ConstDType,
  type ConstVal,
  type Value,
} from './value.ts';

/** TensorProto → ConstVal. */
export function protoToConst(t: TensorProto): ConstVal {
  const a = tensorToArray(t);
  const data = Array.from(a.data as ArrayLike<number | bigint>, Number);
  const dtype: ConstDType =
    a.dtype === 'float32' || a.dtype === 'float64' ? 'float32' : a.dtype === 'bool' ? 'bool' : a.dtype === 'int64' ? 'int64' : 'int32';
  return cval(dtype === 'float32' ? data.map(Math.fround) : data, a.dims, dtype);
}

/** Integer list from an optional input (newer opsets) or an attribute (older ones). */
function intsFrom(ctx: OpCtx, inputIdx: number, attrName: string): number[] | undefined {
  const v = ctx.inputs[inputIdx];
  if (v !== undefined) return toConst(v).data;
  return attrInts(ctx.node, attrName, undefined);
}

function shapeOp(ctx: OpCtx): Value[] {
  const d = dimsOf(need(ctx, 0));
  const r = d.length;
  let start = attrInt(ctx.node, 'start', 0);
  let end = attrInt(ctx.node, 'end', r);
  start = Math.min(Math.max(start < 0 ? start + r : start, 0), r);
  end = Math.min(Math.max(end < 0 ? end + r : end, 0), r);
  const s = d.slice(start, Math.max(start, end));
  return [cval(s, [s.length], 'int64')];
}

function gather(ctx: OpCtx): Value[] {
  const data = need(ctx, 0);
  const idx = toConst(need(ctx, 1));
  const dd = dimsOf(data);
  const axis = normAxis(attrInt(ctx.node, 'axis', 0), dd.length);
  const n = dd[axis];
  const ids = idx.data.map((i) => {
    const j = i < 0 ? i + n : i;
    if (j < 0 || j >= n) fail(ctx, `index ${i} out of range for axis ${axis} of size ${n}`);
    return j;
  });
  if (isConst(data)) return [constTake(data, axis, ids, idx.dims)];
  let g: tf.Tensor;
  if (ids.length <= 64) {
    // slices + concat: differentiable on every backend (tf.gather's gradient needs
    // UnsortedSegmentSum, which the wasm backend lacks)
    const parts = ids.map((i) => {
      const b = dd.map(() => 0);
      const sz = dd.slice();
      b[axis] = i;
      sz[axis] = 1;
      return tf.slice(data, b, sz);
    });
    g = parts.length === 1 ? parts[0]! : tf.concat(parts, axis);
  } else {
    g = tf.gather(data, tf.tensor1d(ids, 'int32'), axis);
  }
  return [tf.reshape(g, [...dd.slice(0, axis), ...idx.dims, ...dd.slice(axis + 1)])];
}

function reshapeTo(x: Value, dims: number[]): Value {
  if (isConst(x)) return cval(x.data, dims, x.dtype);
  return tf.reshape(x, dims);
}

function unsqueeze(ctx: OpCtx): Value[] {
  const x = need(ctx, 0);
  const axes = ctx.opset >= 13 ? toConst(need(ctx, 1)).data : attrInts(ctx.node, 'axes', [])!;
  const d = dimsOf(x);
  const r = d.length + axes.length;
  const ax = new Set(axes.map((a) => normAxis(a, r)));
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < r; i++) out.push(ax.has(i) ? 1 : d[k++]);
  return [reshapeTo(x, out)];
}

function squeeze(ctx: OpCtx): Value[] {
  const x = need(ctx, 0);
  const d = dimsOf(x);
  const axes = ctx.opset >= 13 ? (ctx.inputs[1] ? toConst(ctx.inputs[1]).data : undefined) : attrInts(ctx.node, 'axes', undefined);
  const ax = new Set((axes ?? d.map((v, i) => (v === 1 ? i : -1)).filter((i) => i >= 0)).map((a) => normAxis(a, d.length)));
  for (const a of ax) if (d[a] !== 1) fail(ctx, `cannot squeeze axis ${a} of size ${d[a]}`);
  return [reshapeTo(x, d.filter((_, i) => !ax.has(i)))];
}

function concat(ctx: OpCtx): Value[] {
  const xs = ctx.inputs.filter((v): v is Value => v !== undefined);
  const r = dimsOf(xs[0]).length;
  const axis = normAxis(attrInt(ctx.node, 'axis', 0), r);
  const nonEmpty = xs.filter((v) => size(dimsOf(v)) > 0);
  if (xs.every(isConst)) {
    const cs = xs as ConstVal[];
    const outer = size(cs[0].dims.slice(0, axis));
    const data: number[] = [];
    for (let o = 0; o < outer; o++) {
      for (const c of cs) {
        const chunk = size(c.dims.slice(axis));
        for (let k = 0; k < chunk; k++) data.push(c.data[o * chunk + k]);
      }
    }
    const dims = cs[0].dims.slice();
    dims[axis] = cs.reduce((s, c) => s + c.dims[axis], 0);
    return [cval(data, dims, cs[0].dtype)];
  }
  const ts = (nonEmpty.length ? nonEmpty : xs).map(toTensor);
  return [ts.length === 1 ? tf.clone(ts[0]) : tf.concat(ts, axis)];
}

function reshape(ctx: OpCtx): Value[] {
  const x = need(ctx, 0);
  const shape = ctx.opset >= 5 ? toConst(need(ctx, 1)).data : attrInts(ctx.node, 'shape', [])!;
  const allowZero = attrInt(ctx.node, 'allowzero', 0) === 1;
  const d = dimsOf(x);
  const out = shape.map((s, i) => (s === 0 && !allowZero ? d[i] : s));
  const neg = out.indexOf(-1);
  if (neg >= 0) {
    const known = out.reduce((a, b, i) => (i === neg ? a : a * b), 1);
    out[neg] = known === 0 ? 0 : size(d) / known;
  }
  if (size(out) !== size(d)) fail(ctx, `cannot reshape [${d.join(', ')}] to [${shape.join(', ')}]`);
  return [reshapeTo(x, out)];
}

function flatten(ctx: OpCtx): Value[] {
  const x = need(ctx, 0);
  const d = dimsOf(x);
  const axis = normAxis(attrInt(ctx.node, 'axis', 1), d.length);
  return [reshapeTo(x, [size(d.slice(0, axis)), size(d.slice(axis))])];
}

function transpose(ctx: OpCtx): Value[] {
  const x = need(ctx, 0);
  const r = dimsOf(x).length;
  const perm = attrInts(ctx.node, 'perm', undefined) ?? Array.from({ length: r }, (_, i) => r - 1 - i);
  if (isConst(x)) return [constTranspose(x, perm)];
  return [tf.transpose(x, perm)];
}

/** Per-axis begin/end/step after ONNX clamping rules. */
function sliceParams(ctx: OpCtx, d: number[]) {
  let starts: number[];
  let ends: number[];
  let axes: number[] | undefined;
  let steps: number[] | undefined;
  if (ctx.opset < 10) {
    starts = attrInts(ctx.node, 'starts', [])!;
    ends = attrInts(ctx.node, 'ends', [])!;
    axes = attrInts(ctx.node, 'axes', undefined);
  } else {
    starts = toConst(need(ctx, 1)).data;
    ends = toConst(need(ctx, 2)).data;
    axes = ctx.inputs[3] ? toConst(ctx.inputs[3]).data : undefined;
    steps = ctx.inputs[4] ? toConst(ctx.inputs[4]).data : undefined;
  }
  const begin = d.map(() => 0);
  const end = d.slice();
  const step = d.map(() => 1);
  (axes ?? starts.map((_, i) => i)).forEach((a0, i) => {
    const a = normAxis(a0, d.length);
    const n = d[a];
    const st = steps ? steps[i] : 1;
    if (st === 0) fail(ctx, 'slice step 0');
    let s = starts[i];
    let e = ends[i];
    s = s < 0 ? s + n : s;
    e = e < 0 ? e + n : e;
    if (st > 0) {
      s = Math.min(Math.max(s, 0), n);
      e = Math.min(Math.max(e, 0), n);
    } else {
      s = Math.min(Math.max(s, 0), n - 1);
      e = Math.min(Math.max(e, -1), n - 1);
    }
    begin[a] = s;
    end[a] = e;
    step[a] = st;
  });
  const outDims = d.map((_, a) => Math.max(0, Math.ceil((end[a] - begin[a]) / step[a])));
  return { begin, end, step, outDims };
}

function slice(ctx: OpCtx): Value[] {
  const x = need(ctx, 0);
  const d = dimsOf(x);
  const { begin, step, outDims } = sliceParams(ctx, d);
  if (isConst(x)) {
    const n = size(outDims);
    const os = strides(outDims);
    const is = strides(d);
    const data = new Array<number>(n);
    for (let k = 0; k < n; k++) {
      let rem = k;
      let j = 0;
      for (let a = 0; a < d.length; a++) {
        const c = Math.floor(rem / os[a]);
        rem -= c * os[a];
        j += (begin[a] + c * step[a]) * is[a];
      }
      data[k] = x.data[j];
    }
    return [cval(data, outDims, x.dtype)];
  }
  if (size(outDims) === 0) return [tf.zeros(outDims, x.dtype)];
  let t: tf.Tensor = x;
  const rev = step.map((s, a) => (s < 0 ? a : -1)).filter((a) => a >= 0);
  const b = begin.slice();
  const st = step.slice();
  if (rev.length) {
    // reverse the axes with negative steps, then slice forwards
    t = tf.reverse(t, rev);
    for (const a of rev) {
      b[a] = d[a] - 1 - begin[a];
      st[a] = -step[a];
    }
  }
  if (st.every((s) => s === 1)) return [tf.slice(t, b, outDims)];
  // steps > 1 by pad/slice/reshape (tfjs has no gradient for stridedSlice)
  for (let a = 0; a < d.length; a++) {
    const step = st[a]!;
    const n = outDims[a]!;
    const begin0 = t.shape.map(() => 0);
    const size0 = t.shape.slice();
    begin0[a] = b[a]!;
    size0[a] = Math.min(n * step, t.shape[a]! - b[a]!);
    t = tf.slice(t, begin0, size0);
    if (step === 1) continue;
    if (size0[a]! < n * step) {
      const pads = t.shape.map((_, k) => [0, k === a ? n * step - size0[a]! : 0] as [number, number]);
      t = tf.pad(t, pads);
    }
    const split = [...t.shape.slice(0, a), n, step, ...t.shape.slice(a + 1)];
    t = tf.reshape(t, split);
    const bb = split.map(() => 0);
    const ss = split.slice();
    ss[a + 1] = 1;
    t = tf.reshape(tf.slice(t, bb, ss), [...split.slice(0, a), n, ...split.slice(a + 2)]);
  }
  return [t];
}

function constantOp(ctx: OpCtx): Value[] {
  const a = (ctx.node.attribute ?? [])[0];
  if (!a) fail(ctx, 'Constant without a value');
  switch (a.name) {
    case 'value':
      return [protoToConst(a.t!)];
    case 'value_float':
      return [cval([Math.fround(a.f ?? 0)], [], 'float32')];
    case 'value_floats':
      return [cval((a.floats ?? []).map(Math.fround), [(a.floats ?? []).length], 'float32')];
    case 'value_int':
      return [cval([Number(a.i ?? 0)], [], 'int64')];
    case 'value_ints':
      return [cval((a.ints ?? []).map(Number), [(a.ints ?? []).length], 'int64')];
    default:
      return unsupported(ctx, `Constant attribute '${a.name}' is not supported`);
  }
}

function constantOfShape(ctx: OpCtx): Value[] {
  const shape = toConst(need(ctx, 0)).data;
  const a = attr(ctx.node, 'value');
  const v = a?.t ? protoToConst(a.t) : cval([0], [1], 'float32');
  const n = size(shape);
  if (n <= 1 << 16) return [cval(new Array(n).fill(v.data[0]), shape, v.dtype)];
  return [tf.fill(shape, v.data[0], v.dtype === 'float32' ? 'float32' : v.dtype === 'bool' ? 'bool' : 'int32')];
}

/**
 * Reflect padding from slices, reverse and concat (tfjs' mirrorPad gradient disagrees with
 * central differences, so it is not used).
 */
function reflectPad(x: tf.Tensor, pads: number[]): tf.Tensor {
  const r = x.rank;
  let t = x;
  for (let a = 0; a < r; a++) {
    const pb = pads[a]!;
    const pe = pads[a + r]!;
    if (pb <= 0 && pe <= 0) continue;
    const n = t.shape[a]!;
    const part = (start: number, len: number) => {
      const b = t.shape.map(() => 0);
      const sz = t.shape.slice();
      b[a] = start;
      sz[a] = len;
      return tf.reverse(tf.slice(t, b, sz), a);
    };
    const parts: tf.Tensor[] = [];
    if (pb > 0) parts.push(part(1, pb));
    parts.push(t);
    if (pe > 0) parts.push(part(n - 1 - pe, pe));
    t = tf.concat(parts, a);
  }
  return t;
}

function edgePad(x: tf.Tensor, pads: number[]): tf.Tensor {
  const r = x.rank;
  let t = x;
  for (let a = 0; a < r; a++) {
    const pb = pads[a];
    const pe = pads[a + r];
    if (pb <= 0 && pe <= 0) continue;
    const parts: tf.Tensor[] = [];
    const n = t.shape[a];
    const b0 = t.shape.map(() => 0);
    const sz = t.shape.slice();
    if (pb > 0) {
      sz[a] = 1;
      const first = tf.slice(t, b0, sz);
      parts.push(tf.concat(new Array(pb).fill(first), a));
    }
    parts.push(t);
    if (pe > 0) {
      const bl = b0.slice();
      bl[a] = n - 1;
      const s2 = t.shape.slice();
      s2[a] = 1;
      const last = tf.slice(t, bl, s2);
      parts.push(tf.concat(new Array(pe).fill(last), a));
    }
    t = tf.concat(parts, a);
  }
  return t;
}

function pad(ctx: OpCtx): Value[] {
  const x = toTensor(need(ctx, 0));
  const r = x.rank;
  const mode = attrString(ctx.node, 'mode', 'constant');
  let pads: number[];
  let value = 0;
  if (ctx.opset < 11) {
    pads = attrInts(ctx.node, 'pads', [])!;
    value = (attr(ctx.node, 'value')?.f ?? 0) as number;
  } else {
    pads = toConst(need(ctx, 1)).data;
    if (ctx.inputs[2]) value = toConst(ctx.inputs[2]).data[0] ?? 0;
    if (ctx.inputs[3]) {
      const axes = toConst(ctx.inputs[3]).data.map((a) => normAxis(a, r));
      const full = new Array(2 * r).fill(0);
      axes.forEach((a, i) => {
        full[a] = pads[i];
        full[a + r] = pads[i + axes.length];
      });
      pads = full;
    }
  }
  // negative pads crop
  let t: tf.Tensor = x;
  if (pads.some((p) => p < 0)) {
    const b = t.shape.map((_, a) => Math.max(0, -pads[a]));
    const s = t.shape.map((n, a) => n - b[a] - Math.max(0, -pads[a + r]));
    t = tf.slice(t, b, s);
    pads = pads.map((p) => Math.max(0, p));
  }
  const pairs = t.shape.map((_, a) => [pads[a], pads[a + r]] as [number, number]);
  if (mode === 'constant') return [tf.pad(t, pairs, value)];
  if (mode === 'reflect') return [reflectPad(t, pads)];
  if (mode === 'edge') return [edgePad(t, pads)];
  return unsupported(ctx, `Pad mode '${mode}'`);
}

export const shapeOps: Record<string, OpImpl> = {
  Shape: shapeOp,
  Size: (ctx) => [cval([size(dimsOf(need(ctx, 0)))], [], 'int64')],
  Gather: gather,
  Unsqueeze: unsqueeze,
  Squeeze: squeeze,
  Concat: concat,
  Reshape: reshape,
  Flatten: flatten,
  Transpose: transpose,
  Slice: slice,
  Constant: constantOp,
  ConstantOfShape: constantOfShape,
  Pad: pad,
};
