/** MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool (1-D and 2-D, NCHW). */
import * as tf from '@tensorflow/tfjs';
import { attrInt } from '../onnx-io.ts';
import { avgPoolDiff, maxPoolDiff, type PoolOpts } from '../kernels/pool.ts';
import { need, unsupported, type OpCtx, type OpImpl } from './op.ts';
import { spatialAttrs } from './spatial.ts';
import { toTensor } from './value.ts';

function pool(ctx: OpCtx, f: (x: tf.Tensor4D, o: PoolOpts) => tf.Tensor4D): tf.Tensor {
  const x = toTensor(need(ctx, 0));
  const nsp = x.rank - 2;
  const sp = spatialAttrs(ctx, x.shape.slice(2));
  const o: PoolOpts = { ...sp, ceilMode: attrInt(ctx.node, 'ceil_mode', 0) === 1 };
  const B = x.shape[0]!;
  const C = x.shape[1]!;
  const x4 = (nsp === 1 ? tf.reshape(x, [B, C, 1, x.shape[2]!]) : x) as tf.Tensor4D;
  const y = f(tf.transpose(x4, [0, 2, 3, 1]) as tf.Tensor4D, o);
  let out: tf.Tensor = tf.transpose(y, [0, 3, 1, 2]);
  if (nsp === 1) out = tf.reshape(out, [B, C, out.shape[3]!]);
  return out;
}

export const poolOps: Record<string, OpImpl> = {
  MaxPool: (ctx) => {
    if ((ctx.node.output ?? []).length > 1 && ctx.node.output![1]) unsupported(ctx, 'the Indices output of MaxPool');
    return [pool(ctx, maxPoolDiff)];
  },
  AveragePool: (ctx) => [pool(ctx, (x, o) => avgPoolDiff(x, o, attrInt(ctx.node, 'count_include_pad', 0) === 1))],
  GlobalAveragePool: (ctx) => {
    const x = toTensor(need(ctx, 0));
    return [tf.mean(x, x.shape.map((_, i) => i).slice(2), true)];
  },
  GlobalMaxPool: (ctx) => {
    const x = toTensor(need(ctx, 0));
    return [tf.max(x, x.shape.map((_, i) => i).slice(2), true)];
  },
};
