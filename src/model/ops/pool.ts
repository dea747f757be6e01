/** MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool (1-D and 2-D, NCHW). */
import * as tf from '@tensorflow/tfjs';
import { attrInt } from '../onnx-io.ts';
import { avgPoolDiff, maxPoolDiff, poolGeometry, type PoolOpts } from '../kernels/pool.ts';
import { need, unsupported, type OpCtx, type OpImpl } from './op.ts';
import { spatialAttrs } from './spatial.ts';
import { toTensor } from './value.ts';

function poolOpts(ctx: OpCtx, x: tf.Tensor): PoolOpts {
  const sp = spatialAttrs(ctx, x.shape.slice(2));
  return { ...sp, ceilMode: attrInt(ctx.node, 'ceil_mode', 0) === 1 };
}

function pool(ctx: OpCtx, f: (x: tf.Tensor4D, o: PoolOpts) => tf.Tensor4D): tf.Tensor {
  const x = toTensor(need(ctx, 0));
  const nsp = x.rank - 2;
  const o = poolOpts(ctx, x);
  const B = x.shape[0]!;
  const C = x.shape[1]!;
  const x4 = (nsp === 1 ? tf.reshape(x, [B, C, 1, x.shape[2]!]) : x) as tf.Tensor4D;
  const y = f(tf.transpose(x4, [0, 2, 3, 1]) as tf.Tensor4D, o);
  let out: tf.Tensor = tf.transpose(y, [0, 3, 1, 2]);
  if (nsp === 1) out = tf.reshape(out, [B, C, out.shape[3]!]);
  return out;
}

/**
 * The Indices output of MaxPool (int32 tensor, not differentiable): for every window the flat index
 * into X of its FIRST maximal element (row-major window order, padding never chosen), over
 * ((n·C + c)·H + h)·W + w, or with storage_order 1 over (n·C + c)·H·W + w·H + h.
 */
function maxPoolIndices(ctx: OpCtx, x: tf.Tensor, o: PoolOpts): tf.Tensor {
  const storage = attrInt(ctx.node, 'storage_order', 0);
  if (storage !== 0 && storage !== 1) unsupported(ctx, `storage_order ${storage}`);
  const nsp = x.rank - 2;
  const B = x.shape[0]!;
  const C = x.shape[1]!;
  const H = nsp === 1 ? 1 : x.shape[2]!;
  const W = x.shape[nsp + 1]!;
  const { OH, OW } = poolGeometry(H, W, o);
  const [KH, KW] = o.kernel;
  const [sh, sw] = o.strides;
  const [dh, dw] = o.dilations;
  const [pt, pl] = o.pads;
  const data = x.dataSync();
  const out = new Int32Array(B * C * OH * OW);
  let k = 0;
  for (let nc = 0; nc < B * C; nc++) {
    const base = nc * H * W;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        let best = -Infinity;
        let bh = -1;
        let bw = -1;
        for (let kh = 0; kh < KH; kh++) {
          const h = oh * sh - pt + kh * dh;
          if (h < 0 || h >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const w = ow * sw - pl + kw * dw;
            if (w < 0 || w >= W) continue;
            const v = data[base + h * W + w];
            if (bh < 0 || v > best) {
              best = v;
              bh = h;
              bw = w;
            }
          }
        }
        if (bh < 0) unsupported(ctx, 'a MaxPool window that lies entirely in the padding');
        out[k++] = base + (storage === 0 ? bh * W + bw : bw * H + bh);
      }
    }
  }
  return tf.tensor(out, nsp === 1 ? [B, C, OW] : [B, C, OH, OW], 'int32');
}

export const poolOps: Record<string, OpImpl> = {
  MaxPool: (ctx) => {
    const y = pool(ctx, maxPoolDiff);
    if ((ctx.node.output ?? []).length < 2 || !ctx.node.output![1]) return [y];
    const x = toTensor(need(ctx, 0));
    return [y, maxPoolIndices(ctx, x, poolOpts(ctx, x))];
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
