/** Gemm and MatMul. */
import * as tf from '@tensorflow/tfjs';
import { attrFloat, attrInt } from '../onnx-io.ts';
import { need, type OpImpl } from './op.ts';
import { toTensor } from './value.ts';
import { matMulDiff } from '../kernels/matmul.ts';

export const linearOps: Record<string, OpImpl> = {
  Gemm: (ctx) => {
    const a = toTensor(need(ctx, 0)) as tf.Tensor2D;
    const b = toTensor(need(ctx, 1)) as tf.Tensor2D;
    const alpha = attrFloat(ctx.node, 'alpha', 1);
    const beta = attrFloat(ctx.node, 'beta', 1);
    let y: tf.Tensor = matMulDiff(a, b, attrInt(ctx.node, 'transA', 0) === 1, attrInt(ctx.node, 'transB', 0) === 1);
    if (alpha !== 1) y = tf.mul(y, tf.scalar(alpha));
    const cv = ctx.inputs[2];
    if (cv !== undefined && beta !== 0) {
      const c = toTensor(cv);
      y = tf.add(y, beta === 1 ? c : tf.mul(c, tf.scalar(beta)));
    }
    return [y];
  },
  MatMul: (ctx) => {
    let a = toTensor(need(ctx, 0));
    let b = toTensor(need(ctx, 1));
    const aVec = a.rank === 1;
    const bVec = b.rank === 1;
    if (aVec) a = tf.expandDims(a, 0);
    if (bVec) b = tf.expandDims(b, 1);
    let y: tf.Tensor = a.rank === 2 && b.rank === 2 ? matMulDiff(a as tf.Tensor2D, b as tf.Tensor2D) : tf.matMul(a, b);
    if (aVec) y = tf.squeeze(y, [y.rank - 2]);
    if (bVec) y = tf.squeeze(y, [y.rank - 1]);
    return [y];
  },
};
