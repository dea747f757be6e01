/** Conv (1-D and 2-D, groups, dilations, pads/auto_pad) on NCHW through kernels/conv.ts. */
import * as tf from '@tensorflow/tfjs';
import { attrInt } from '../onnx-io.ts';
import { conv2dDiff } from '../kernels/conv.ts';
import { fail, need, type OpImpl } from './op.ts';
import { spatialAttrs } from './spatial.ts';
import { isConst, toTensor } from './value.ts';

export const convOps: Record<string, OpImpl> = {
  Conv: (ctx) => {
    const xv = need(ctx, 0);
    const wv = need(ctx, 1);
    const x = toTensor(xv);
    const w = toTensor(wv);
    const nsp = x.rank - 2;
    const sp = spatialAttrs(ctx, x.shape.slice(2), w.shape.slice(2));
    const group = attrInt(ctx.node, 'group', 1);
    const B = x.shape[0]!;
    const C = x.shape[1]!;
    const O = w.shape[0]!;
    if (C % group !== 0 || O % group !== 0 || w.shape[1]! * group !== C) {
      fail(ctx, `channels ${C}, filters [${w.shape.join(', ')}] and group ${group} do not fit`);
    }
    // NC[H]W → NHWC, O I [KH] KW → KH KW I O
    const x4 = (nsp === 1 ? tf.reshape(x, [B, C, 1, x.shape[2]!]) : x) as tf.Tensor4D;
    const w4 = (nsp === 1 ? tf.reshape(w, [O, w.shape[1]!, 1, w.shape[2]!]) : w) as tf.Tensor4D;
    const xh = tf.transpose(x4, [0, 2, 3, 1]) as tf.Tensor4D;
    const wh = tf.transpose(w4, [2, 3, 1, 0]) as tf.Tensor4D;
    const filterNeedsGrad = !isConst(wv) && !(wv instanceof tf.Variable && !wv.trainable);
    const opts = { strides: sp.strides, dilations: sp.dilations, pads: sp.pads };
    let y: tf.Tensor4D;
    if (group === 1) {
      y = conv2dDiff(xh, wh, opts, filterNeedsGrad);
    } else {
      const xs = tf.split(xh, group, 3) as tf.Tensor4D[];
      const ws = tf.split(wh, group, 3) as tf.Tensor4D[];
      y = tf.concat(xs.map((xi, g) => conv2dDiff(xi, ws[g], opts, filterNeedsGrad)), 3);
    }
    const bv = ctx.inputs[2];
    if (bv !== undefined) y = tf.add(y, toTensor(bv));
    let out: tf.Tensor = tf.transpose(y, [0, 3, 1, 2]);
    if (nsp === 1) out = tf.reshape(out, [B, O, out.shape[3]!]);
    return [out];
  },
};
