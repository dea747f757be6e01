/**
 * Indexing and data-movement ops (gathers, scatters, arg/top-k, cumulative sums, masks, splits,
 * tiling, depth/space rearrangements). Index arithmetic is done in plain JS: most ops here compute
 * a flat index map and apply it with one tf.gather (differentiable through tfjs autodiff) or, on
 * constants, directly on the data.
 */
import * as tf from '@tensorflow/tfjs';
import { attr, attrInt, attrInts, attrString, DataType } from '../onnx-io.ts';
import { fail, need, unsupported, type OpCtx, type OpImpl } from './op.ts';
import {
  broadcastShape,
  constTranspose,
  cval,
  dimsOf,
  isConst,
  normAxis,
  ONNX_TO_CONST_DTYPE,
  size,
  strides,
  toConst,
  toTensor,
  type ConstDType,
  type ConstVal,
  type Value,
} from './value.ts';

// ---------------------------------------------------------------- helpers

function constDTypeOf(v: Value): ConstDType {
  if (isConst(v)) return v.dtype;
  return v.dtype === 'int32' ? 'int64' : v.dtype === 'bool' ? 'bool' : 'float32';
}

/** Output element k ← input element map[k] (flat, row-major); `outDims` is the output shape. */
export function gatherFlat(x: Value, map: ArrayLike<number>, outDims: number[]): Value {
  if (isConst(x)) return cval(Array.from(map, (i) => x.data[i]), outDims, x.dtype);
  if (map.length === 0) return tf.zeros(outDims, x.dtype);
  return tf.reshape(gatherGrad(tf.reshape(x, [-1]), Int32Array.from(map)), outDims);
}

/**
 * tf.gather on a flat tensor whose gradient is a scatterND (summing duplicates): tf.gather's own
 * gradient needs UnsortedSegmentSum, which the wasm backend lacks.
 */
function gatherGrad(flat: tf.Tensor, map: Int32Array): tf.Tensor {
  if (flat.dtype !== 'float32') return tf.gather(flat, tf.tensor1d(map, 'int32'));
  const n = flat.shape[0]!;
  const f = tf.customGrad(((x: tf.Tensor) => ({
    value: tf.gather(x, tf.tensor1d(map, 'int32')),
    gradFunc: (dy: tf.Tensor) => tf.scatterND(tf.tensor2d(map, [map.length, 1], 'int32'), dy, [n]),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(flat);
}

function reshapeV(x: Value, dims: number[]): Value {
  return isConst(x) ? cval(x.data, dims, x.dtype) : tf.reshape(x, dims);
}

function transposeV(x: Value, perm: number[]): Value {
  return isConst(x) ? constTranspose(x, perm) : tf.transpose(x, perm);
}

/** Coordinates of flat index k under `st` (row-major strides). */
function unravel(k: number, st: number[]): number[] {
  const c = new Array<number>(st.length);
  let rem = k;
  for (let d = 0; d < st.length; d++) {
    c[d] = Math.floor(rem / st[d]);
    rem -= c[d] * st[d];
  }
  return c;
}

function ravel(c: number[], st: number[]): number {
  let j = 0;
  for (let d = 0; d < c.length; d++) j += c[d] * st[d];
  return j;
}

function normIndex(ctx: OpCtx, i: number, n: number, what: string): number {
  const j = i < 0 ? i + n : i;
  if (j < 0 || j >= n || !Number.isInteger(j)) fail(ctx, `${what} index ${i} out of range [${-n}, ${n - 1}]`);
  return j;
}

function scalarOf(ctx: OpCtx, i: number): number {
  const c = toConst(need(ctx, i));
  if (c.data.length !== 1) fail(ctx, `input ${i} must hold exactly one value, got shape [${c.dims.join(', ')}]`);
  return c.data[0];
}

const REDUCTIONS = ['none', 'add', 'mul', 'max', 'min'] as const;
type Reduction = (typeof REDUCTIONS)[number];

function reductionOf(ctx: OpCtx): Reduction {
  const r = attrString(ctx.node, 'reduction', 'none');
  if (!(REDUCTIONS as readonly string[]).includes(r)) unsupported(ctx, `reduction '${r}'`);
  return r as Reduction;
}

const COMBINE_JS: Record<Reduction, (a: number, b: number) => number> = {
  none: (_a, b) => b,
  add: (a, b) => a + b,
  mul: (a, b) => a * b,
  max: (a, b) => Math.max(a, b),
  min: (a, b) => Math.min(a, b),
};

/**
 * out = data; for each update element u (in order): out[targets[u]] = reduce(out[targets[u]], updates[u]).
 * Tensors: built from gathers over concat(data, updates) so that gradients reach both inputs.
 */
function scatterFlat(ctx: OpCtx, data: Value, updates: Value, targets: number[], reduction: Reduction): Value {
  const dd = dimsOf(data);
  const n = size(dd);
  if (isConst(data) && isConst(updates)) {
    const out = data.data.slice();
    const f = COMBINE_JS[reduction];
    targets.forEach((t, u) => (out[t] = f(out[t], updates.data[u])));
    const isInt = data.dtype === 'int64' || data.dtype === 'int32';
    return cval(isInt ? out.map(Math.trunc) : out, dd.slice(), data.dtype);
  }
  const dt = toTensor(data);
  let ut = toTensor(updates);
  if (ut.dtype !== dt.dtype) ut = tf.cast(ut, dt.dtype);
  if (targets.length === 0) return tf.clone(dt);
  const dFlat = tf.reshape(dt, [-1]);
  const uFlat = tf.reshape(ut, [-1]);
  if (reduction === 'none') {
    const map = Int32Array.from({ length: n }, (_, k) => k);
    targets.forEach((t, u) => (map[t] = n + u));
    return tf.reshape(gatherGrad(tf.concat([dFlat, uFlat]), map), dd);
  }
  // level j holds, for each output element, its j-th update (or the reduction's identity)
  const lists: number[][] = Array.from({ length: n }, () => []);
  targets.forEach((t, u) => lists[t].push(u));
  const levels = Math.max(...lists.map((l) => l.length));
  const big = dt.dtype === 'float32' ? Infinity : 2147483647; // int32 tensors have no infinities
  const ident = reduction === 'add' ? 0 : reduction === 'mul' ? 1 : reduction === 'max' ? -big : big;
  const padIdx = targets.length;
  const withPad = tf.concat([uFlat, tf.tensor1d([ident], dt.dtype as 'float32' | 'int32')]);
  let acc: tf.Tensor = dFlat;
  for (let j = 0; j < levels; j++) {
    const map = Int32Array.from(lists, (l) => l[j] ?? padIdx);
    const g = gatherGrad(withPad, map);
    acc = reduction === 'add' ? tf.add(acc, g) : reduction === 'mul' ? tf.mul(acc, g) : reduction === 'max' ? tf.maximum(acc, g) : tf.minimum(acc, g);
  }
  return tf.reshape(acc, dd);
}

// ---------------------------------------------------------------- gathers and scatters

function gatherElements(ctx: OpCtx): Value[] {
  const x = need(ctx, 0);
  const idx = toConst(need(ctx, 1));
  const dd = dimsOf(x);
  const r = dd.length;
  if (idx.dims.length !== r) fail(ctx, `indices rank ${idx.dims.length} differs from data rank ${r}`);
  const axis = normAxis(attrInt(ctx.node, 'axis', 0), r);
  const ist = strides(idx.dims);
  const dst = strides(dd);
  const map = new Int32Array(idx.data.length);
  for (let k = 0; k < map.length; k++) {
    const c = unravel(k, ist);
    c[axis] = normIndex(ctx, idx.data[k], dd[axis], 'GatherElements');
    map[k] = ravel(c, dst);
  }
  return [gatherFlat(x, map, idx.dims.slice())];
}

/** Flat element offsets and slice size addressed by ONNX GatherND/ScatterND-style indices. */
function ndTargets(ctx: OpCtx, dd: number[], idx: ConstVal, batchDims: number): { bases: number[]; inner: number; outDims: number[] } {
  const q = idx.dims.length;
  const m = idx.dims[q - 1];
  if (m > dd.length - batchDims) fail(ctx, `index tuples of length ${m} exceed data rank ${dd.length} (batch_dims ${batchDims})`);
  const batch = size(dd.slice(0, batchDims));
  const perBatch = size(idx.dims.slice(batchDims, q - 1));
  const inner = size(dd.slice(batchDims + m));
  const dst = strides(dd);
  const batchStride = size(dd.slice(batchDims));
  const bases: number[] = [];
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < perBatch; t++) {
      const off = (b * perBatch + t) * m;
      let base = b * batchStride;
      for (let j = 0; j < m; j++) base += normIndex(ctx, idx.data[off + j], dd[batchDims + j], 'ND') * dst[batchDims + j];
      bases.push(base);
    }
  }
  return { bases, inner, outDims: [...idx.dims.slice(0, q - 1), ...dd.slice(batchDims + m)] };
}

function gatherND(ctx: OpCtx): Value[] {
  const x = need(ctx, 0);
  const idx = toConst(need(ctx, 1));
  const batchDims = attrInt(ctx.node, 'batch_dims', 0);
  const { bases, inner, outDims } = ndTargets(ctx, dimsOf(x), idx, batchDims);
  const map = new Int32Array(bases.length * inner);
  bases.forEach((b, i) => {
    for (let k = 0; k < inner; k++) map[i * inner + k] = b + k;
  });
  return [gatherFlat(x, map, outDims)];
}

function scatterElements(ctx: OpCtx): Value[] {
  const data = need(ctx, 0);
  const idx = toConst(need(ctx, 1));
  const upd = need(ctx, 2);
  const dd = dimsOf(data);
  const axis = normAxis(attrInt(ctx.node, 'axis', 0), dd.length);
  const reduction = ctx.node.opType === 'Scatter' ? 'none' : reductionOf(ctx);
  const ud = dimsOf(upd);
  if (ud.length !== idx.dims.length || ud.some((d, i) => d !== idx.dims[i])) fail(ctx, `updates shape [${ud.join(', ')}] differs from indices shape [${idx.dims.join(', ')}]`);
  const ist = strides(idx.dims);
  const dst = strides(dd);
  const targets = idx.data.map((v, k) => {
    const c = unravel(k, ist);
    c[axis] = normIndex(ctx, v, dd[axis], 'ScatterElements');
    return ravel(c, dst);
  });
  return [scatterFlat(ctx, data, upd, targets, reduction)];
}

function scatterND(ctx: OpCtx): Value[] {
  const data = need(ctx, 0);
  const idx = toConst(need(ctx, 1));
  const upd = need(ctx, 2);
  const { bases, inner } = ndTargets(ctx, dimsOf(data), idx, 0);
  const targets: number[] = [];
  for (const b of bases) for (let k = 0; k < inner; k++) targets.push(b + k);
  if (size(dimsOf(upd)) !== targets.length) fail(ctx, `updates hold ${size(dimsOf(upd))} elements, indices address ${targets.length}`);
  return [scatterFlat(ctx, data, upd, targets, reductionOf(ctx))];
}

// ---------------------------------------------------------------- arg / top-k / cumsum

function argMinMax(isMax: boolean): OpImpl {
  return (ctx) => {
    const x = toTensor(need(ctx, 0));
    const r = x.rank;
    const axis = normAxis(attrInt(ctx.node, 'axis', 0), r);
    const keep = attrInt(ctx.node, 'keepdims', 1) === 1;
    const last = attrInt(ctx.node, 'select_last_index', 0) === 1;
    const n = x.shape[axis];
    if (n === 0) fail(ctx, `${ctx.node.opType} over an empty axis`);
    const src = last ? tf.reverse(x, axis) : x;
    let i: tf.Tensor = isMax ? tf.argMax(src, axis) : tf.argMin(src, axis);
    if (last) i = tf.sub(tf.scalar(n - 1, 'int32'), i);
    if (keep) i = tf.expandDims(i, axis);
    return [i];
  };
}

function topK(ctx: OpCtx): Value[] {
  const xv = need(ctx, 0);
  const x = toTensor(xv);
  const r = x.rank;
  const axis = normAxis(attrInt(ctx.node, 'axis', -1), r);
  const k = ctx.opset >= 10 ? scalarOf(ctx, 1) : attrInt(ctx.node, 'k', 0);
  const largest = attrInt(ctx.node, 'largest', 1) === 1;
  const n = x.shape[axis];
  if (k < 0 || k > n) fail(ctx, `k = ${k} is out of range for axis of size ${n}`);
  // tfjs' topk works on the last axis; sorted=1 and sorted=0 may return the same (sorted) order
  const perm = x.shape.map((_, i) => i);
  perm[axis] = r - 1;
  perm[r - 1] = axis;
  const xt = axis === r - 1 ? x : tf.transpose(x, perm);
  const key = largest ? xt : tf.neg(xt);
  const { indices } = tf.topk(key, k, true);
  const idxT = axis === r - 1 ? indices : tf.transpose(indices, perm);
  const idx = toConst(idxT);
  const values = gatherElements({ ...ctx, inputs: [x, idx], node: { ...ctx.node, attribute: [{ name: 'axis', i: axis }] } });
  return [values[0], idxT];
}

function cumSum(ctx: OpCtx): Value[] {
  const x = need(ctx, 0);
  const dd = dimsOf(x);
  const axis = normAxis(scalarOf(ctx, 1), dd.length);
  const exclusive = attrInt(ctx.node, 'exclusive', 0) === 1;
  const reverse = attrInt(ctx.node, 'reverse', 0) === 1;
  if (isConst(x)) {
    const out = new Array<number>(x.data.length).fill(0);
    const n = dd[axis];
    const inner = size(dd.slice(axis + 1));
    const outer = size(dd.slice(0, axis));
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let acc = 0;
        for (let s = 0; s < n; s++) {
          const j = reverse ? n - 1 - s : s;
          const p = (o * n + j) * inner + i;
          if (exclusive) {
            out[p] = acc;
            acc += x.data[p];
          } else {
            acc += x.data[p];
            out[p] = acc;
          }
        }
      }
    }
    return [cval(x.dtype === 'float32' ? out.map(Math.fround) : out, dd.slice(), x.dtype)];
  }
  return [tf.cumsum(x, axis, exclusive, reverse)];
}

// ---------------------------------------------------------------- masks and generators

function trilu(ctx: OpCtx): Value[] {
  const x = need(ctx, 0);
  const k = ctx.inputs[1] ? scalarOf(ctx, 1) : 0;
  const upper = attrInt(ctx.node, 'upper', 1) === 1;
  const dd = dimsOf(x);
  if (dd.length < 2) fail(ctx, `Trilu needs rank >= 2, got ${dd.length}`);
  const rows = dd[dd.length - 2];
  const cols = dd[dd.length - 1];
  const keep = (i: number, j: number) => (upper ? j - i >= k : j - i <= k);
  const n = size(dd);
  if (isConst(x)) {
    const data = x.data.map((v, p) => {
      const m = p % (rows * cols);
      return keep(Math.floor(m / cols), m % cols) ? v : 0;
    });
    return [cval(data, dd.slice(), x.dtype)];
  }
  if (n === 0) return [tf.clone(x)];
  const mask = new Array<boolean>(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) mask[i * cols + j] = keep(i, j);
  const m = tf.broadcastTo(tf.tensor(mask, [rows, cols], 'bool'), dd);
  return [tf.where(m, x, tf.zerosLike(x))];
}

function range(ctx: OpCtx): Value[] {
  const start = scalarOf(ctx, 0);
  const limit = scalarOf(ctx, 1);
  const delta = scalarOf(ctx, 2);
  if (delta === 0) fail(ctx, 'Range delta 0');
  const dt = constDTypeOf(need(ctx, 0));
  const n = Math.max(Math.ceil((limit - start) / delta), 0);
  const data = Array.from({ length: n }, (_, i) => start + i * delta);
  return [cval(dt === 'float32' ? data.map(Math.fround) : data, [n], dt)];
}

function oneHot(ctx: OpCtx): Value[] {
  const idx = toConst(need(ctx, 0));
  const depth = Math.trunc(scalarOf(ctx, 1));
  const values = need(ctx, 2);
  if (size(dimsOf(values)) !== 2) fail(ctx, 'OneHot values must hold [off_value, on_value]');
  const r = idx.dims.length + 1;
  const axis = normAxis(attrInt(ctx.node, 'axis', -1), r);
  const outDims = [...idx.dims.slice(0, axis), depth, ...idx.dims.slice(axis)];
  const outer = size(idx.dims.slice(0, axis));
  const inner = size(idx.dims.slice(axis));
  const map = new Int32Array(outer * depth * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let v = Math.trunc(idx.data[o * inner + i]);
      if (v < 0) v += depth;
      if (v >= 0 && v < depth) map[(o * depth + v) * inner + i] = 1;
    }
  }
  return [gatherFlat(reshapeV(values, [2]), map, outDims)];
}

function compress(ctx: OpCtx): Value[] {
  const x = need(ctx, 0);
  const cond = toConst(need(ctx, 1));
  const axisAttr = attr(ctx.node, 'axis');
  let src = x;
  let dd = dimsOf(x);
  if (!axisAttr) {
    src = reshapeV(x, [size(dd)]);
    dd = [size(dd)];
  }
  const axis = axisAttr ? normAxis(attrInt(ctx.node, 'axis', 0), dd.length) : 0;
  if (cond.data.length > dd[axis]) fail(ctx, `condition length ${cond.data.length} exceeds axis size ${dd[axis]}`);
  const keep: number[] = [];
  cond.data.forEach((c, i) => c !== 0 && keep.push(i));
  const outer = size(dd.slice(0, axis));
  const inner = size(dd.slice(axis + 1));
  const map: number[] = [];
  for (let o = 0; o < outer; o++) for (const i of keep) for (let k = 0; k < inner; k++) map.push((o * dd[axis] + i) * inner + k);
  const outDims = dd.slice();
  outDims[axis] = keep.length;
  return [gatherFlat(src, map, outDims)];
}

function eyeLike(ctx: OpCtx): Value[] {
  const x = need(ctx, 0);
  const dd = dimsOf(x);
  if (dd.length !== 2) fail(ctx, `EyeLike needs a 2-D input, got rank ${dd.length}`);
  const k = attrInt(ctx.node, 'k', 0);
  const dtA = attr(ctx.node, 'dtype');
  let dt = constDTypeOf(x);
  if (dtA) {
    const d = ONNX_TO_CONST_DTYPE[attrInt(ctx.node, 'dtype', 1)];
    if (!d) unsupported(ctx, `EyeLike dtype ${attrInt(ctx.node, 'dtype', 1)}`);
    dt = d;
  }
  const [rows, cols] = dd;
  const data = new Array<number>(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) if (i + k >= 0 && i + k < cols) data[i * cols + i + k] = 1;
  return [cval(data, [rows, cols], dt)];
}

// ---------------------------------------------------------------- split, expand, tile

function sliceAxis(x: Value, axis: number, start: number, len: number): Value {
  const dd = dimsOf(x);
  const outDims = dd.slice();
  outDims[axis] = len;
  if (isConst(x)) {
    const outer = size(dd.slice(0, axis));
    const inner = size(dd.slice(axis + 1));
    const data: number[] = [];
    for (let o = 0; o < outer; o++) for (let i = start; i < start + len; i++) for (let k = 0; k < inner; k++) data.push(x.data[(o * dd[axis] + i) * inner + k]);
    return cval(data, outDims, x.dtype);
  }
  if (size(outDims) === 0) return tf.zeros(outDims, x.dtype);
  const b = dd.map(() => 0);
  b[axis] = start;
  return tf.slice(x, b, outDims);
}

function split(ctx: OpCtx): Value[] {
  const x = need(ctx, 0);
  const dd = dimsOf(x);
  const axis = normAxis(attrInt(ctx.node, 'axis', 0), dd.length);
  const nOut = (ctx.node.output ?? []).length;
  const n = dd[axis];
  let parts: number[] | undefined;
  if (ctx.opset >= 13 || ctx.opset < 2) parts = ctx.inputs[1] ? toConst(ctx.inputs[1]).data : undefined;
  if (!parts && ctx.opset < 13) parts = attrInts(ctx.node, 'split', undefined);
  if (!parts) {
    const numOutputs = attrInt(ctx.node, 'num_outputs', nOut);
    if (numOutputs <= 0) fail(ctx, `num_outputs ${numOutputs}`);
    if (attr(ctx.node, 'num_outputs') && numOutputs !== nOut) fail(ctx, `num_outputs ${numOutputs} but the node has ${nOut} outputs`);
    const chunk = attr(ctx.node, 'num_outputs') ? Math.ceil(n / numOutputs) : n / numOutputs;
    if (!Number.isInteger(chunk)) fail(ctx, `axis of size ${n} does not split into ${numOutputs} equal parts`);
    parts = Array.from({ length: numOutputs }, (_, i) => Math.max(0, Math.min(chunk, n - i * chunk)));
  }
  if (parts.reduce((a, b) => a + b, 0) !== n) fail(ctx, `split sizes [${parts.join(', ')}] do not add up to ${n}`);
  if (parts.length !== nOut) fail(ctx, `${parts.length} split sizes for ${nOut} outputs`);
  let s = 0;
  return parts.map((len) => {
    const v = sliceAxis(x, axis, s, len);
    s += len;
    return v;
  });
}

/** Flat index map from `out` dims into `dims` under numpy broadcasting. */
function broadcastMap(dims: number[], out: number[]): Int32Array {
  const r = out.length;
  const padded = [...new Array<number>(r - dims.length).fill(1), ...dims];
  const ist = strides(padded);
  const ost = strides(out);
  const map = new Int32Array(size(out));
  for (let k = 0; k < map.length; k++) {
    const c = unravel(k, ost);
    let j = 0;
    for (let d = 0; d < r; d++) if (padded[d] !== 1) j += c[d] * ist[d];
    map[k] = j;
  }
  return map;
}

function expand(ctx: OpCtx): Value[] {
  const x = need(ctx, 0);
  const shape = toConst(need(ctx, 1)).data;
  const dd = dimsOf(x);
  let out: number[];
  try {
    out = broadcastShape(dd, shape);
  } catch (e) {
    if (!(e instanceof Error)) throw e;
    return fail(ctx, `cannot expand [${dd.join(', ')}] to [${shape.join(', ')}]: ${e.message}`);
  }
  if (!isConst(x)) {
    // broadcastTo (not a gather): its gradient is a sum, available on every backend
    if (size(out) === 0) return [tf.zeros(out, x.dtype)];
    return [tf.broadcastTo(dd.length < out.length ? tf.reshape(x, [...new Array<number>(out.length - dd.length).fill(1), ...dd]) : x, out)];
  }
  return [gatherFlat(x, broadcastMap(dd, out), out)];
}

function tile(ctx: OpCtx): Value[] {
  const x = need(ctx, 0);
  if (ctx.opset < 6) unsupported(ctx, 'Tile before opset 6 (tiles/axis inputs)');
  const reps = toConst(need(ctx, 1)).data;
  const dd = dimsOf(x);
  if (reps.length !== dd.length) fail(ctx, `repeats of length ${reps.length} for rank ${dd.length}`);
  const out = dd.map((d, i) => d * reps[i]);
  if (!isConst(x)) return [size(out) === 0 ? tf.zeros(out, x.dtype) : tf.tile(x, reps)];
  const ist = strides(dd);
  const ost = strides(out);
  const map = new Int32Array(size(out));
  for (let k = 0; k < map.length; k++) {
    const c = unravel(k, ost);
    map[k] = ravel(c.map((v, d) => v % dd[d]), ist);
  }
  return [gatherFlat(x, map, out)];
}

function reverseSequence(ctx: OpCtx): Value[] {
  const x = need(ctx, 0);
  const lens = toConst(need(ctx, 1)).data;
  const dd = dimsOf(x);
  const batchAxis = normAxis(attrInt(ctx.node, 'batch_axis', 1), dd.length);
  const timeAxis = normAxis(attrInt(ctx.node, 'time_axis', 0), dd.length);
  if (lens.length !== dd[batchAxis]) fail(ctx, `sequence_lens has ${lens.length} entries for batch size ${dd[batchAxis]}`);
  const st = strides(dd);
  const map = new Int32Array(size(dd));
  for (let k = 0; k < map.length; k++) {
    const c = unravel(k, st);
    const L = lens[c[batchAxis]];
    if (L < 0 || L > dd[timeAxis]) fail(ctx, `sequence length ${L} out of range`);
    if (c[timeAxis] < L) c[timeAxis] = L - 1 - c[timeAxis];
    map[k] = ravel(c, st);
  }
  return [gatherFlat(x, map, dd.slice())];
}

function depthToSpace(ctx: OpCtx): Value[] {
  const x = need(ctx, 0);
  const dd = dimsOf(x);
  if (dd.length !== 4) fail(ctx, `DepthToSpace needs a 4-D input, got rank ${dd.length}`);
  const b = attrInt(ctx.node, 'blocksize', 0);
  const mode = attrString(ctx.node, 'mode', 'DCR');
  const [N, C, H, W] = dd;
  if (b <= 0 || C % (b * b) !== 0) fail(ctx, `channels ${C} not divisible by blocksize² (${b})`);
  const c = C / (b * b);
  let t: Value;
  if (mode === 'DCR') t = transposeV(reshapeV(x, [N, b, b, c, H, W]), [0, 3, 4, 1, 5, 2]);
  else if (mode === 'CRD') t = transposeV(reshapeV(x, [N, c, b, b, H, W]), [0, 1, 4, 2, 5, 3]);
  else return unsupported(ctx, `DepthToSpace mode '${mode}'`);
  return [reshapeV(t, [N, c, H * b, W * b])];
}

function spaceToDepth(ctx: OpCtx): Value[] {
  const x = need(ctx, 0);
  const dd = dimsOf(x);
  if (dd.length !== 4) fail(ctx, `SpaceToDepth needs a 4-D input, got rank ${dd.length}`);
  const b = attrInt(ctx.node, 'blocksize', 0);
  const [N, C, H, W] = dd;
  if (b <= 0 || H % b !== 0 || W % b !== 0) fail(ctx, `spatial size ${H}x${W} not divisible by blocksize ${b}`);
  const t = transposeV(reshapeV(x, [N, C, H / b, b, W / b, b]), [0, 3, 5, 1, 2, 4]);
  return [reshapeV(t, [N, C * b * b, H / b, W / b])];
}

function nonZero(ctx: OpCtx): Value[] {
  const x = toConst(need(ctx, 0));
  const st = strides(x.dims);
  const hits: number[] = [];
  x.data.forEach((v, k) => v !== 0 && hits.push(k));
  const r = x.dims.length;
  const data = new Array<number>(r * hits.length);
  hits.forEach((k, j) => unravel(k, st).forEach((c, d) => (data[d * hits.length + j] = c)));
  return [cval(data, [r, hits.length], 'int64')];
}

export const indexingOps: Record<string, OpImpl> = {
  GatherElements: gatherElements,
  GatherND: gatherND,
  ScatterElements: scatterElements,
  Scatter: scatterElements,
  ScatterND: scatterND,
  ArgMax: argMinMax(true),
  ArgMin: argMinMax(false),
  TopK: topK,
  CumSum: cumSum,
  Trilu: trilu,
  Range: range,
  OneHot: oneHot,
  Compress: compress,
  EyeLike: eyeLike,
  Split: split,
  Expand: expand,
  Tile: tile,
  ReverseSequence: reverseSequence,
  DepthToSpace: depthToSpace,
  SpaceToDepth: spaceToDepth,
  NonZero: nonZero,
};
