/** Reductions and (log-)softmax. */
import * as tf from '@tensorflow/tfjs';
import { attrInt, attrInts } from '../onnx-io.ts';
import { need, type OpCtx, type OpImpl } from './op.ts';
import { normAxis, size, toConst, toTensor, type Value } from './value.ts';

/** Opset from which `axes` is an input rather than an attribute. */
const AXES_INPUT_FROM: Record<string, number> = { ReduceSum: 13, ReduceMean: 18, ReduceMax: 18, ReduceMin: 18, ReduceProd: 18, ReduceSumSquare: 18, ReduceL1: 18, ReduceL2: 18, ReduceLogSum: 18, ReduceLogSumExp: 18 };

/** Value of a reduction over an empty set (numpy/ONNX identities); NaN (mean) where none exists. */
const EMPTY_IDENTITY: Record<string, number> = {
  ReduceSum: 0,
  ReduceSumSquare: 0,
  ReduceL1: 0,
  ReduceL2: 0,
  ReduceMax: -Infinity,
  ReduceMin: Infinity,
  ReduceProd: 1,
  ReduceLogSum: -Infinity,
  ReduceLogSumExp: -Infinity,
};

function reduce(kind: string, f: (x: tf.Tensor, axes: number[], keep: boolean) => tf.Tensor): OpImpl {
  return (ctx) => {
    const x = toTensor(need(ctx, 0));
    const keep = attrInt(ctx.node, 'keepdims', 1) === 1;
    const fromInput = ctx.opset >= (AXES_INPUT_FROM[kind] ?? 99);
    let axes = fromInput ? (ctx.inputs[1] ? toConst(ctx.inputs[1]).data : undefined) : attrInts(ctx.node, 'axes', undefined);
    if (!axes || axes.length === 0) {
      if (fromInput && attrInt(ctx.node, 'noop_with_empty_axes', 0) === 1) return [tf.clone(x)];
      axes = x.shape.map((_, i) => i);
    }
    const ax = axes.map((a) => normAxis(a, x.rank));
    // a scalar reduces over its single element (ReduceL1 of a scalar is its absolute value, ...)
    if (x.rank === 0) return [f(tf.reshape(x, [1]), [0], false)];
    if (size(x.shape) === 0) {
      // reductions over empty tensors: tfjs cannot; follow numpy/ONNX identities
      const out = x.shape.map((n, i) => (ax.includes(i) ? (keep ? 1 : -1) : n)).filter((n) => n >= 0);
      const ident = EMPTY_IDENTITY[kind] ?? NaN;
      return [tf.fill(out, ident, x.dtype)];
    }
    return [f(x, ax, keep)];
  };
}

/** Softmax-like op over `axis` (opset >= 13) or over the flattened trailing block (opset < 13). */
function softmaxLike(f: (x: tf.Tensor) => tf.Tensor): OpImpl {
  return (ctx: OpCtx): Value[] => {
    const x = toTensor(need(ctx, 0));
    if (ctx.opset < 13) {
      const axis = normAxis(attrInt(ctx.node, 'axis', 1), x.rank);
      const outer = size(x.shape.slice(0, axis));
      const y = f(tf.reshape(x, [outer, size(x.shape.slice(axis))]));
      return [tf.reshape(y, x.shape)];
    }
    const axis = normAxis(attrInt(ctx.node, 'axis', -1), x.rank);
    if (axis === x.rank - 1) return [f(x)];
    const perm = x.shape.map((_, i) => i);
    perm[axis] = x.rank - 1;
    perm[x.rank - 1] = axis;
    return [tf.transpose(f(tf.transpose(x, perm)), perm)];
  };
}

export const reduceOps: Record<string, OpImpl> = {
  ReduceMean: reduce('ReduceMean', (x, a, k) => tf.mean(x, a, k)),
  ReduceSum: reduce('ReduceSum', (x, a, k) => tf.sum(x, a, k)),
  ReduceMax: reduce('ReduceMax', (x, a, k) => tf.max(x, a, k)),
  ReduceMin: reduce('ReduceMin', (x, a, k) => tf.min(x, a, k)),
  ReduceSumSquare: reduce('ReduceSumSquare', (x, a, k) => tf.sum(tf.square(x), a, k)),
  ReduceLogSumExp: reduce('ReduceLogSumExp', (x, a, k) => tf.logSumExp(x, a, k)),
  ReduceProd: reduce('ReduceProd', (x, a, k) => tf.prod(x, a, k)),
  ReduceL1: reduce('ReduceL1', (x, a, k) => tf.sum(tf.abs(x), a, k)),
  ReduceL2: reduce('ReduceL2', (x, a, k) => tf.sqrt(tf.sum(tf.square(x), a, k))),
  ReduceLogSum: reduce('ReduceLogSum', (x, a, k) => tf.log(tf.sum(x, a, k))),
  Softmax: softmaxLike((x) => tf.softmax(x)),
  LogSoftmax: softmaxLike((x) => tf.logSoftmax(x)),
};
