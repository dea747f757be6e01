/**
 * ConvTranspose (1-D, 2-D and 3-D; groups, dilations, strides, pads/auto_pad, output_padding,
 * output_shape, bias) and MaxUnpool on NC… tensors.
 *
 * ConvTranspose is written as the equivalent stride-1 convolution: the input is zero-stuffed by the
 * strides, padded by (k_eff − 1 − pad_begin, k_eff − 1 − pad_end + output_padding) (negative = crop),
 * and convolved with the spatially flipped filter whose in/out channel axes are swapped per group.
 * 1-D and 2-D go through kernels/conv.ts (its own gradients, every backend); 3-D through tf.conv3d
 * with the dilation written into the filter and its own gradients (conv3dValid).
 */
import * as tf from '@tensorflow/tfjs';
import { attrInt, attrInts, attrString } from '../onnx-io.ts';
import { conv2dDiff } from '../kernels/conv.ts';
import { gatherFlat } from './indexing.ts';
import { fail, need, unsupported, type OpCtx, type OpImpl } from './op.ts';
import { dimsOf, isConst, size, toConst, toTensor } from './value.ts';

/** Insert (f−1) zeros between elements along each axis in `axes` (factor f per axis). */
function zeroStuffAxes(x: tf.Tensor, axes: number[], factors: number[]): tf.Tensor {
  let y = x;
  axes.forEach((a, i) => {
    const f = factors[i];
    if (f === 1) return;
    const shp = y.shape.slice();
    const L = shp[a];
    let t: tf.Tensor = tf.reshape(y, [...shp.slice(0, a + 1), 1, ...shp.slice(a + 1)]);
    const pads = t.shape.map((): [number, number] => [0, 0]);
    pads[a + 1] = [0, f - 1];
    t = tf.pad(t, pads);
    t = tf.reshape(t, [...shp.slice(0, a), L * f, ...shp.slice(a + 1)]);
    const begin = shp.map(() => 0);
    const sz = shp.slice();
    sz[a] = (L - 1) * f + 1;
    y = tf.slice(t, begin, sz);
  });
  return y;
}

/** Pad (positive) or crop (negative) along `axes`. */
function padOrCropAxes(x: tf.Tensor, axes: number[], before: number[], after: number[]): tf.Tensor {
  let y = x;
  if (before.some((p) => p > 0) || after.some((p) => p > 0)) {
    const pads = y.shape.map((): [number, number] => [0, 0]);
    axes.forEach((a, i) => (pads[a] = [Math.max(0, before[i]), Math.max(0, after[i])]));
    y = tf.pad(y, pads);
  }
  if (before.some((p) => p < 0) || after.some((p) => p < 0)) {
    const begin = y.shape.map(() => 0);
    const sz = y.shape.slice();
    axes.forEach((a, i) => {
      begin[a] = Math.max(0, -before[i]);
      sz[a] = y.shape[a] - begin[a] - Math.max(0, -after[i]);
    });
    y = tf.slice(y, begin, sz);
  }
  return y;
}

/**
 * Stride-1, dilation-1, 'valid' conv3d (NDHWC, DHWIO) with its gradients written as forward conv3d
 * calls: tfjs' wasm Conv3D backprop kernels give wrong gradients.
 */
function conv3dValid(x: tf.Tensor5D, w: tf.Tensor5D): tf.Tensor5D {
  const f = tf.customGrad(((xi: tf.Tensor, wi: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xi, wi]);
    return {
      value: tf.conv3d(xi as tf.Tensor5D, wi as tf.Tensor5D, [1, 1, 1], 'valid'),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, ws] = saved as tf.Tensor5D[];
        const d = dy as tf.Tensor5D;
        const [kd, kh, kw] = ws.shape;
        const dp = tf.pad(d, [[0, 0], [kd - 1, kd - 1], [kh - 1, kh - 1], [kw - 1, kw - 1], [0, 0]]);
        const wFlip = tf.transpose(tf.reverse(ws, [0, 1, 2]), [0, 1, 2, 4, 3]) as tf.Tensor5D;
        const dx = tf.conv3d(dp, wFlip, [1, 1, 1], 'valid');
        const xt = tf.transpose(xs, [4, 1, 2, 3, 0]) as tf.Tensor5D; // [I, D, H, W, B]
        const ft = tf.transpose(d, [1, 2, 3, 0, 4]) as tf.Tensor5D; // [OD, OH, OW, B, O]
        const dw = tf.transpose(tf.conv3d(xt, ft, [1, 1, 1], 'valid'), [1, 2, 3, 0, 4]); // [kd, kh, kw, I, O]
        return [dx, dw];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x, w) as tf.Tensor5D;
}

interface TransposeGeom {
  strides: number[];
  dilations: number[];
  padBegin: number[];
  padEnd: number[];
  outputPadding: number[];
  kernel: number[];
}

function transposeGeometry(ctx: OpCtx, inSp: number[], wSp: number[]): TransposeGeom {
  const nsp = inSp.length;
  const ones = new Array<number>(nsp).fill(1);
  const zeros = new Array<number>(nsp).fill(0);
  const kernel = attrInts(ctx.node, 'kernel_shape', undefined) ?? wSp;
  if (kernel.length !== nsp) fail(ctx, `kernel_shape [${kernel.join(', ')}] does not have ${nsp} spatial dims`);
  if (kernel.some((k, i) => k !== wSp[i])) fail(ctx, `kernel_shape [${kernel.join(', ')}] differs from the filter's [${wSp.join(', ')}]`);
  const strides = attrInts(ctx.node, 'strides', undefined) ?? ones;
  const dilations = attrInts(ctx.node, 'dilations', undefined) ?? ones;
  const outputPadding = attrInts(ctx.node, 'output_padding', undefined) ?? zeros;
  for (const [name, v] of [['strides', strides], ['dilations', dilations], ['output_padding', outputPadding]] as const) {
    if (v.length !== nsp) fail(ctx, `${name} [${v.join(', ')}] does not have ${nsp} entries`);
  }
  const auto = attrString(ctx.node, 'auto_pad', 'NOTSET');
  if (!['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'].includes(auto)) unsupported(ctx, `auto_pad '${auto}'`);
  const full = (i: number): number => strides[i] * (inSp[i] - 1) + outputPadding[i] + (kernel[i] - 1) * dilations[i] + 1;
  let outShape = attrInts(ctx.node, 'output_shape', undefined);
  if (outShape && outShape.length === nsp + 2) outShape = outShape.slice(2);
  if (outShape && outShape.length !== nsp) fail(ctx, `output_shape [${outShape.join(', ')}] does not have ${nsp} spatial dims`);
  if (!outShape && (auto === 'SAME_UPPER' || auto === 'SAME_LOWER')) outShape = inSp.map((n, i) => n * strides[i]);
  const padBegin: number[] = [];
  const padEnd: number[] = [];
  if (outShape) {
    for (let i = 0; i < nsp; i++) {
      const total = full(i) - outShape[i];
      const half = Math.floor(total / 2);
      padBegin.push(auto === 'SAME_UPPER' ? half : total - half);
      padEnd.push(auto === 'SAME_UPPER' ? total - half : half);
    }
  } else if (auto === 'VALID') {
    padBegin.push(...zeros);
    padEnd.push(...zeros);
  } else {
    const p = attrInts(ctx.node, 'pads', undefined) ?? new Array<number>(2 * nsp).fill(0);
    if (p.length !== 2 * nsp) fail(ctx, `pads [${p.join(', ')}] does not have ${2 * nsp} entries`);
    padBegin.push(...p.slice(0, nsp));
    padEnd.push(...p.slice(nsp));
  }
  for (let i = 0; i < nsp; i++) {
    if (full(i) - padBegin[i] - padEnd[i] <= 0) fail(ctx, `output size along spatial axis ${i} is not positive`);
  }
  return { strides, dilations, padBegin, padEnd, outputPadding, kernel };
}

function convTranspose(ctx: OpCtx): tf.Tensor[] {
  const xv = need(ctx, 0);
  const wv = need(ctx, 1);
  const x = toTensor(xv);
  const w = toTensor(wv);
  const nsp = x.rank - 2;
  if (nsp < 1 || nsp > 3) unsupported(ctx, `${nsp}-D spatial input (only 1-D, 2-D and 3-D are supported)`);
  if (w.rank !== x.rank) fail(ctx, `filter rank ${w.rank} does not match input rank ${x.rank}`);
  const group = attrInt(ctx.node, 'group', 1);
  const B = x.shape[0]!;
  const C = x.shape[1]!;
  const Mg = w.shape[1]!;
  const M = Mg * group;
  if (group < 1 || C % group !== 0 || w.shape[0] !== C) {
    fail(ctx, `channels ${C}, filters [${w.shape.join(', ')}] and group ${group} do not fit`);
  }
  const inSp = x.shape.slice(2);
  const g = transposeGeometry(ctx, inSp, w.shape.slice(2));
  const keff = g.kernel.map((k, i) => (k - 1) * g.dilations[i] + 1);
  const before = keff.map((k, i) => k - 1 - g.padBegin[i]);
  const after = keff.map((k, i) => k - 1 - g.padEnd[i] + g.outputPadding[i]);
  const spAxes = inSp.map((_, i) => i + 2);

  // NC… → N…C, zero-stuffed by the strides
  const toLast = [0, ...spAxes, 1];
  const xs = zeroStuffAxes(tf.transpose(x, toLast), spAxes.map((a) => a - 1), g.strides);
  // W [C, M/g, k…] → per group [k…, C/g, M/g], spatially flipped
  const wl = tf.transpose(w, [...spAxes, 0, 1]);
  const wf = tf.reverse(wl, spAxes.map((a) => a - 2));
  const xGroups = group === 1 ? [xs] : tf.split(xs, group, nsp + 1);
  const wGroups = group === 1 ? [wf] : tf.split(wf, group, nsp);
  let y: tf.Tensor;
  if (nsp <= 2) {
    const filterNeedsGrad = !isConst(wv) && !(wv instanceof tf.Variable && !wv.trainable);
    const as4 = (t: tf.Tensor, lead: number): tf.Tensor4D =>
      (nsp === 1 ? tf.reshape<tf.Rank>(t, [lead, 1, ...t.shape.slice(1)]) : t) as tf.Tensor4D;
    const pad2 = (a: number[]): [number, number] => (nsp === 1 ? [0, a[0]] : [a[0], a[1]]);
    const [pt, pl] = pad2(before);
    const [pb, pr] = pad2(after);
    const dilations: [number, number] = nsp === 1 ? [1, g.dilations[0]] : [g.dilations[0], g.dilations[1]];
    const opts = { strides: [1, 1] as [number, number], dilations, pads: [pt, pl, pb, pr] as [number, number, number, number] };
    const parts = xGroups.map((xi, k) => {
      const wi = wGroups[k];
      const w4 = (nsp === 1 ? tf.reshape<tf.Rank>(wi, [1, ...wi.shape]) : wi) as tf.Tensor4D;
      return conv2dDiff(as4(xi, B), w4, opts, filterNeedsGrad);
    });
    y = parts.length === 1 ? parts[0] : tf.concat(parts, 3);
    if (nsp === 1) y = tf.reshape(y, [B, y.shape[2]!, M]);
  } else {
    // stride 1 and dilation 1 (written into the filter as zeros) keep conv3dValid's gradient simple
    const parts = xGroups.map((xi, k) => {
      const wi = zeroStuffAxes(wGroups[k], [0, 1, 2], g.dilations) as tf.Tensor5D;
      const xp = padOrCropAxes(xi, [1, 2, 3], before, after) as tf.Tensor5D;
      return conv3dValid(xp, wi);
    });
    y = parts.length === 1 ? parts[0] : tf.concat(parts, 4);
  }
  const bv = ctx.inputs[2];
  if (bv !== undefined) {
    const b = toTensor(bv);
    if (b.size !== M) fail(ctx, `bias of size ${b.size} for ${M} output channels`);
    y = tf.add(y, tf.reshape(b, [M]));
  }
  return [tf.transpose(y, [0, x.rank - 1, ...spAxes.map((a) => a - 1)])];
}

function maxUnpool(ctx: OpCtx): tf.Tensor[] {
  const x = toTensor(need(ctx, 0));
  const idx = toConst(need(ctx, 1));
  const nsp = x.rank - 2;
  if (nsp < 1) fail(ctx, `input of rank ${x.rank} has no spatial dims`);
  const inSp = x.shape.slice(2);
  const kernel = attrInts(ctx.node, 'kernel_shape', undefined);
  if (!kernel || kernel.length !== nsp) fail(ctx, 'kernel_shape missing or of the wrong rank');
  const s = attrInts(ctx.node, 'strides', undefined) ?? new Array<number>(nsp).fill(1);
  const p = attrInts(ctx.node, 'pads', undefined) ?? new Array<number>(2 * nsp).fill(0);
  if (s.length !== nsp || p.length !== 2 * nsp) fail(ctx, 'strides or pads of the wrong length');
  let outDims = [x.shape[0]!, x.shape[1]!, ...inSp.map((n, i) => (n - 1) * s[i] + kernel[i] - p[i] - p[i + nsp])];
  const osv = ctx.inputs[2];
  if (osv !== undefined) {
    const os = toConst(osv).data;
    if (os.length !== x.rank) fail(ctx, `output_shape [${os.join(', ')}] is not of rank ${x.rank}`);
    if (os[0] !== outDims[0] || os[1] !== outDims[1]) fail(ctx, `output_shape [${os.join(', ')}] changes batch or channels`);
    outDims = os.slice();
  }
  const xd = dimsOf(x);
  if (idx.dims.length !== xd.length || idx.dims.some((d, i) => d !== xd[i])) {
    fail(ctx, `indices of shape [${idx.dims.join(', ')}] do not match X [${xd.join(', ')}]`);
  }
  const n = size(xd);
  const total = size(outDims);
  // every output element reads X (last write wins on duplicates) or the appended zero
  const map = new Int32Array(total).fill(n);
  idx.data.forEach((t, k) => {
    if (t < 0 || t >= total || !Number.isInteger(t)) fail(ctx, `index ${t} is outside the output of ${total} elements`);
    map[t] = k;
  });
  const src = tf.concat([tf.reshape(x, [-1]), tf.zeros([1], x.dtype)]);
  return [gatherFlat(src, map, outDims) as tf.Tensor];
}

export const convTransposeOps: Record<string, OpImpl> = {
  ConvTranspose: convTranspose,
  MaxUnpool: maxUnpool,
};
