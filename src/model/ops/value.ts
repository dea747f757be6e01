/**
 * Values flowing through an imported graph: either a tfjs tensor (differentiable) or a constant
 * held in plain JS (shape arithmetic, integer tensors, attributes-as-inputs). Integer graphs such as
 * Shape→Gather→Unsqueeze→Concat→Reshape are evaluated entirely on ConstVals.
 */
import * as tf from '@tensorflow/tfjs';
import { DataType } from '../onnx-io.ts';

export type ConstDType = 'float32' | 'int64' | 'int32' | 'bool';

export interface ConstVal {
  kind: 'const';
  dims: number[];
  data: number[];
  dtype: ConstDType;
}

export type Value = tf.Tensor | ConstVal;

/** ONNX data type → the ConstVal dtype that holds it (Cast, CastLike, EyeLike, window output types); absent: not supported. */
export const ONNX_TO_CONST_DTYPE: Readonly<Record<number, ConstDType>> = {
  [DataType.FLOAT]: 'float32',
  [DataType.DOUBLE]: 'float32',
  [DataType.FLOAT16]: 'float32',
  [DataType.INT64]: 'int64',
  [DataType.INT32]: 'int32',
  [DataType.INT16]: 'int32',
  [DataType.INT8]: 'int32',
  [DataType.UINT8]: 'int32',
  [DataType.UINT16]: 'int32',
  [DataType.UINT32]: 'int64',
  [DataType.UINT64]: 'int64',
  [DataType.BOOL]: 'bool',
};

export function isConst(v: Value | undefined): v is ConstVal {
  return !!v && (v as ConstVal).kind === 'const';
}

export function cval(data: number[], dims: number[], dtype: ConstDType): ConstVal {
  return { kind: 'const', dims, data, dtype };
}

export function size(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function tfDType(d: ConstDType): 'float32' | 'int32' | 'bool' {
  return d === 'float32' ? 'float32' : d === 'bool' ? 'bool' : 'int32';
}

/** Value → tensor (constants become new tensors; callers run inside tf.tidy). */
export function toTensor(v: Value): tf.Tensor {
  if (!isConst(v)) return v;
  const dt = tfDType(v.dtype);
  // a copy of dims: the wasm backend keeps the shape array it is given, and mutating it later
  // silently changes how that tensor is read
  return tf.tensor(dt === 'bool' ? v.data.map((x) => x !== 0) : v.data, v.dims.slice(), dt);
}

/** Value → constant (tensors are read back synchronously: only for small integer tensors). */
export function toConst(v: Value): ConstVal {
  if (isConst(v)) return v;
  const data = Array.from(v.dataSync() as ArrayLike<number>, Number);
  const dtype: ConstDType = v.dtype === 'int32' ? 'int64' : v.dtype === 'bool' ? 'bool' : 'float32';
  return cval(data, v.shape.slice(), dtype);
}

export function dimsOf(v: Value): number[] {
  return isConst(v) ? v.dims : v.shape.slice();
}

export function rankOf(v: Value): number {
  return dimsOf(v).length;
}

export function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** Row-major strides. */
export function strides(dims: number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i];
  }
  return s;
}

/** Numpy broadcasting of two shapes. */
export function broadcastShape(a: number[], b: number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`shapes [${a}] and [${b}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Index map from an output of shape `out` into an input of shape `dims` under broadcasting. */
function broadcastIndex(dims: number[], out: number[]): Int32Array {
  const n = size(out);
  const idx = new Int32Array(n);
  const r = out.length;
  const padded = new Array(r - dims.length).fill(1).concat(dims) as number[];
  const inStr = strides(padded);
  const outStr = strides(out);
  for (let k = 0; k < n; k++) {
    let rem = k;
    let j = 0;
    for (let d = 0; d < r; d++) {
      const c = Math.floor(rem / outStr[d]);
      rem -= c * outStr[d];
      if (padded[d] !== 1) j += c * inStr[d];
    }
    idx[k] = j;
  }
  return idx;
}

/** Elementwise n-ary op on constants with broadcasting. */
export function constElementwise(inputs: ConstVal[], f: (...xs: number[]) => number, dtype?: ConstDType): ConstVal {
  let out: number[] = [];
  for (const v of inputs) out = broadcastShape(out, v.dims);
  const maps = inputs.map((v) => broadcastIndex(v.dims, out));
  const n = size(out);
  const data = new Array<number>(n);
  const args = new Array<number>(inputs.length);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < inputs.length; i++) args[i] = inputs[i].data[maps[i][k]];
    data[k] = f(...args);
  }
  return cval(data, out, dtype ?? inputs[0].dtype);
}

/** Transpose of a constant. */
export function constTranspose(v: ConstVal, perm: number[]): ConstVal {
  const outDims = perm.map((p) => v.dims[p]);
  const inStr = strides(v.dims);
  const outStr = strides(outDims);
  const n = size(outDims);
  const data = new Array<number>(n);
  for (let k = 0; k < n; k++) {
    let rem = k;
    let j = 0;
    for (let d = 0; d < outDims.length; d++) {
      const c = Math.floor(rem / outStr[d]);
      rem -= c * outStr[d];
      j += c * inStr[perm[d]];
    }
    data[k] = v.data[j];
  }
  return cval(data, outDims, v.dtype);
}

/** Generic gather along `axis` for constants with already-normalised indices. */
export function constTake(v: ConstVal, axis: number, indices: number[], idxDims: number[]): ConstVal {
  const outer = size(v.dims.slice(0, axis));
  const inner = size(v.dims.slice(axis + 1));
  const n = v.dims[axis];
  const data: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const i of indices) {
      const base = (o * n + i) * inner;
      for (let k = 0; k < inner; k++) data.push(v.data[base + k]);
    }
  }
  return cval(data, [...v.dims.slice(0, axis), ...idxDims, ...v.dims.slice(axis + 1)], v.dtype);
}
