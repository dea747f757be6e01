/** Spatial attributes shared by Conv and the pooling ops (1-D and 2-D, NCHW). */
import { attrInts, attrString } from '../onnx-io.ts';
import { unsupported, type OpCtx } from './op.ts';

export interface Spatial2D {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** [top, left, bottom, right] */
  pads: [number, number, number, number];
}

/**
 * Reads kernel_shape/strides/dilations/pads/auto_pad for `nsp` spatial dims (1 or 2) and returns
 * them as 2-D (a 1-D op becomes H = 1).
 */
export function spatialAttrs(ctx: OpCtx, inSpatial: number[], kernelFallback?: number[]): Spatial2D {
  const nsp = inSpatial.length;
  if (nsp < 1 || nsp > 2) unsupported(ctx, `${nsp}-D spatial input (only 1-D and 2-D are supported)`);
  const k = attrInts(ctx.node, 'kernel_shape', undefined) ?? kernelFallback;
  if (!k || k.length !== nsp) unsupported(ctx, 'kernel_shape missing or of the wrong rank');
  const s = attrInts(ctx.node, 'strides', undefined) ?? new Array(nsp).fill(1);
  const d = attrInts(ctx.node, 'dilations', undefined) ?? new Array(nsp).fill(1);
  let p = attrInts(ctx.node, 'pads', undefined) ?? new Array(2 * nsp).fill(0);
  const auto = attrString(ctx.node, 'auto_pad', 'NOTSET');
  if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    p = new Array(2 * nsp).fill(0);
    for (let i = 0; i < nsp; i++) {
      const out = Math.ceil(inSpatial[i] / s[i]);
      const total = Math.max(0, (out - 1) * s[i] + (k[i] - 1) * d[i] + 1 - inSpatial[i]);
      const small = Math.floor(total / 2);
      p[i] = auto === 'SAME_UPPER' ? small : total - small;
      p[i + nsp] = total - p[i];
    }
  } else if (auto === 'VALID') {
    p = new Array(2 * nsp).fill(0);
  } else if (auto !== 'NOTSET') {
    unsupported(ctx, `auto_pad '${auto}'`);
  }
  if (nsp === 1) return { kernel: [1, k[0]], strides: [1, s[0]], dilations: [1, d[0]], pads: [0, p[0], 0, p[1]] };
  return { kernel: [k[0], k[1]], strides: [s[0], s[1]], dilations: [d[0], d[1]], pads: [p[0], p[1], p[2], p[3]] };
}
