/**
 * 2-D convolution (NHWC, HWIO filter, explicit pads) with its own gradient, so that:
 *  - the filter gradient never needs tfjs' Conv2DBackpropFilter kernel (absent on wasm): it is a
 *    plain conv2d of the batch-transposed input with the output gradient as filter;
 *  - dilated convolution is differentiable (tfjs has no gradient for dilation > 1): the input
 *    gradient is a dilated conv2d of the zero-stuffed, padded output gradient with the flipped filter.
 * Every tensor op used here (conv2d with stride 1 or dilation 1, pad, reverse, transpose, reshape,
 * slice) has forward kernels on the cpu, wasm and node backends.
 */
import * as tf from '@tensorflow/tfjs';

export interface Conv2DOpts {
  strides: [number, number];
  dilations: [number, number];
  /** [top, left, bottom, right] */
  pads: [number, number, number, number];
}

/** Pad (positive) or crop (negative) the two spatial axes of an NHWC tensor. */
export function padOrCrop(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  let y = x;
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    y = tf.pad(y, [[0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0]]);
  }
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const [b, h, w, c] = y.shape;
    const t0 = Math.max(0, -top);
    const l0 = Math.max(0, -left);
    y = tf.slice(y, [0, t0, l0, 0], [b, h - t0 - Math.max(0, -bottom), w - l0 - Math.max(0, -right), c]);
  }
  return y;
}

/** Insert (f−1) zeros between elements along axes 1 and 2 (NHWC or HWxx filter layouts alike). */
export function zeroStuff(x: tf.Tensor4D, fh: number, fw: number): tf.Tensor4D {
  if (fh === 1 && fw === 1) return x;
  const [a, h, w, c] = x.shape;
  let y: tf.Tensor = tf.reshape(x, [a, h, 1, w, 1, c]);
  y = tf.pad(y, [[0, 0], [0, 0], [0, fh - 1], [0, 0], [0, fw - 1], [0, 0]]);
  y = tf.reshape(y, [a, h * fh, w * fw, c]);
  return tf.slice(y, [0, 0, 0, 0], [a, (h - 1) * fh + 1, (w - 1) * fw + 1, c]) as tf.Tensor4D;
}

/** Filter HWIO with dilation expressed as inserted zeros. */
function dilateFilter(w: tf.Tensor4D, dh: number, dw: number): tf.Tensor4D {
  const [KH, KW, I, O] = w.shape;
  const s = zeroStuff(tf.reshape(w, [1, KH, KW, I * O]), dh, dw);
  return tf.reshape(s, [s.shape[1], s.shape[2], I, O]);
}

function forward(x: tf.Tensor4D, w: tf.Tensor4D, o: Conv2DOpts): tf.Tensor4D {
  const [pt, pl, pb, pr] = o.pads;
  const xp = padOrCrop(x, pt, pb, pl, pr);
  return tf.conv2d(xp, w, o.strides, 'valid', 'NHWC', o.dilations);
}

function inputGrad(dy: tf.Tensor4D, w: tf.Tensor4D, xShape: number[], o: Conv2DOpts): tf.Tensor4D {
  const [, H, W] = xShape;
  const [KH, KW] = w.shape;
  const [sh, sw] = o.strides;
  const [dh, dw] = o.dilations;
  const [pt, pl] = o.pads;
  const kh = (KH - 1) * dh + 1;
  const kw = (KW - 1) * dw + 1;
  const stuffed = zeroStuff(dy, sh, sw);
  const Lh = stuffed.shape[1];
  const Lw = stuffed.shape[2];
  const padded = padOrCrop(stuffed, kh - 1 - pt, H - Lh + pt, kw - 1 - pl, W - Lw + pl);
  const wFlip = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
  return tf.conv2d(padded, wFlip, [1, 1], 'valid', 'NHWC', [dh, dw]);
}

function filterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, wShape: number[], o: Conv2DOpts): tf.Tensor4D {
  const [KH, KW, I, O] = wShape;
  const [pt, pl, pb, pr] = o.pads;
  const xp = padOrCrop(x, pt, pb, pl, pr);
  const xt = tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D; // [I, Hp, Wp, B]
  const f = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [OH, OW, B, O]
  const g = tf.conv2d(xt, f, o.dilations, 'valid', 'NHWC', o.strides); // [I, >=KH, >=KW, O]
  const gs = tf.slice(g, [0, 0, 0, 0], [I, KH, KW, O]);
  return tf.transpose(gs, [1, 2, 0, 3]) as tf.Tensor4D;
}

/**
 * conv2d(x, w) with the gradient above. `filterNeedsGrad` = false makes w a closed-over constant,
 * so input-gradient-only passes (SGLD) do not pay for the filter gradient.
 */
export function conv2dDiff(x: tf.Tensor4D, w: tf.Tensor4D, opts: Conv2DOpts, filterNeedsGrad = true): tf.Tensor4D {
  const [sh, sw] = opts.strides;
  let [dh, dw] = opts.dilations;
  let wEff = w;
  const both = (sh > 1 || sw > 1) && (dh > 1 || dw > 1);
  if (both) {
    // tfjs conv2d accepts stride > 1 or dilation > 1, not both: write the dilation into the filter.
    wEff = dilateFilter(w, dh, dw);
    dh = 1;
    dw = 1;
  }
  const o: Conv2DOpts = { strides: opts.strides, dilations: [dh, dw], pads: opts.pads };

  if (!filterNeedsGrad) {
    const fx = tf.customGrad(((xi: tf.Tensor, save: tf.GradSaveFunc) => {
      const xx = xi as tf.Tensor4D;
      // saved, not merely captured: tensors made in the forward scope are freed before the backward pass
      save([wEff]);
      return {
        value: forward(xx, wEff, o),
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => inputGrad(dy as tf.Tensor4D, saved[0] as tf.Tensor4D, xx.shape, o),
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return fx(x) as tf.Tensor4D;
  }
  // wEff (zero-stuffed when both stride and dilation > 1) is made outside the custom gradient, so
  // tfjs' own reshape/pad/slice gradients carry its gradient back to w.
  const fxw = tf.customGrad(((xi: tf.Tensor, wi: tf.Tensor, save: tf.GradSaveFunc) => {
    const xx = xi as tf.Tensor4D;
    const ww = wi as tf.Tensor4D;
    save([xx, ww]);
    return {
      value: forward(xx, ww, o),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, ws] = saved as tf.Tensor4D[];
        const d = dy as tf.Tensor4D;
        return [inputGrad(d, ws!, xs!.shape, o), filterGrad(xs!, d, ws!.shape, o)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return fxw(x, wEff) as tf.Tensor4D;
}
