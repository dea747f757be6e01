/** Gradient rule of Conv (input, weight and bias gradients), and the Conv geometry helpers shared with the pooling rules. */
import { attrInt, attrInts, attrString } from '../../onnx-io.ts';
import type { AttrValue } from '../builder.ts';
import { staticDim, type BwdCtx, type Rule } from './common.ts';

/** Conv pads after auto_pad resolution (static spatial dims needed for SAME_*). */
export function convGeometry(c: BwdCtx, x: string, kernel: number[], strides: number[], dil: number[]): number[] {
  const n = kernel.length;
  const autoPad = attrString(c.node, 'auto_pad', 'NOTSET');
  const pads = attrInts(c.node, 'pads', undefined) ?? new Array(2 * n).fill(0);
  if (autoPad === 'NOTSET' || autoPad === 'VALID') return autoPad === 'VALID' ? new Array(2 * n).fill(0) : pads;
  const xi = c.info(x);
  const out: number[] = new Array(2 * n).fill(0);
  for (let k = 0; k < n; k++) {
    const d = staticDim(xi, 2 + k);
    if (d === null) c.fail(`auto_pad=${autoPad} on a dynamic spatial axis`);
    const o = Math.ceil(d / strides[k]);
    const total = Math.max(0, (o - 1) * strides[k] + dil[k] * (kernel[k] - 1) + 1 - d);
    const small = Math.floor(total / 2);
    out[k] = autoPad === 'SAME_UPPER' ? small : total - small;
    out[k + n] = total - out[k];
  }
  return out;
}

/**
 * output_padding so that a ConvTranspose of the strided output returns x's spatial size. On a
 * dynamic axis with stride > 1 the remainder depends on the length: use stride−1 (the largest) and
 * report that the result must be cut back to x's shape (the extra positions lie past x's end).
 */
export function outputPadding(c: BwdCtx, x: string, kernel: number[], strides: number[], dil: number[], pads: number[]): { op: number[]; crop: boolean } {
  const n = kernel.length;
  const xi = c.info(x);
  const op: number[] = [];
  let crop = false;
  for (let k = 0; k < n; k++) {
    const r = (d: number) => (((d + pads[k] + pads[k + n] - dil[k] * (kernel[k] - 1) - 1) % strides[k]) + strides[k]) % strides[k];
    const r1 = r(xi.d1[2 + k]);
    if (xi.d1[2 + k] === xi.d2[2 + k] || strides[k] === 1) op.push(r1);
    else {
      op.push(strides[k] - 1);
      crop = true;
    }
  }
  return { op, crop };
}

/** ConvTranspose back to x's grid, cropped to x's shape when output_padding could not be exact. */
export function convTransposeTo(c: BwdCtx, x: string, g: string, w: string, attrs: Record<string, AttrValue>, geo: { op: number[]; crop: boolean }): string {
  const e = c.e;
  const y = e.op1('ConvTranspose', [g, w], { ...attrs, output_padding: { ints: geo.op } });
  if (!geo.crop) return y;
  const r = c.info(x).d1.length;
  const axes = Array.from({ length: r - 2 }, (_, i) => i + 2);
  const ends = e.op1('Slice', [e.shape(x), e.i64([2]), e.i64([r])]);
  return e.op1('Slice', [y, e.i64(axes.map(() => 0)), ends, e.i64(axes)]);
}

function convBackward(c: BwdCtx): (string | undefined)[] {
  const [x, w] = c.node.input!;
  const g = c.gOut[0]!;
  const wd = c.info(w).d1;
  const n = wd.length - 2;
  const kernel = attrInts(c.node, 'kernel_shape', undefined) ?? wd.slice(2);
  const strides = attrInts(c.node, 'strides', undefined) ?? new Array(n).fill(1);
  const dil = attrInts(c.node, 'dilations', undefined) ?? new Array(n).fill(1);
  const group = attrInt(c.node, 'group', 1);
  const pads = convGeometry(c, x, kernel, strides, dil);
  const e = c.e;
  const M = wd[0];
  const Cg = wd[1];
  const stride1 = strides.every((s) => s === 1);
  const fullPads = kernel.map((k, i) => dil[i] * (k - 1));
  const convOk = stride1 && pads.every((p, i) => p <= fullPads[i % n]) && Cg * group >= e.choices.convGradMinChannels;
  const b = c.node.input![2];
  const dw = c.isDiff(w) ? convWeightGrad(c, x, g, { kernel, strides, dil, pads, group, C: Cg * group, M }) : undefined;
  const db = b && c.isDiff(b) ? e.reduceSum(g, [0, ...kernel.map((_, i) => i + 2)], false) : undefined;
  if (!c.isDiff(x)) return [undefined, dw, db];
  if (convOk) {
    // dX = Conv(g, flip(W^T)) with the complementary padding (fast NCHWc path in onnxruntime).
    const sp = wd.slice(2);
    let wt: string;
    if (group === 1) {
      wt = e.op1('Transpose', [w], { perm: { ints: [1, 0, ...sp.map((_, i) => i + 2)] } });
    } else {
      const r = e.op1('Reshape', [w, e.i64([group, M / group, Cg, ...sp])]);
      const t = e.op1('Transpose', [r], { perm: { ints: [0, 2, 1, ...sp.map((_, i) => i + 3)] } });
      wt = e.op1('Reshape', [t, e.i64([group * Cg, M / group, ...sp])]);
    }
    const axes = sp.map((_, i) => i + 2);
    const flipped = e.op1('Slice', [
      wt,
      e.i64(axes.map(() => -1)),
      e.i64(axes.map(() => -(2 ** 62))),
      e.i64(axes),
      e.i64(axes.map(() => -1)),
    ]);
    const p2 = [...kernel.map((_, i) => fullPads[i] - pads[i]), ...kernel.map((_, i) => fullPads[i] - pads[i + n])];
    return [
      e.op1('Conv', [g, flipped], {
        dilations: { ints: dil },
        group: { i: group },
        kernel_shape: { ints: kernel },
        pads: { ints: p2 },
        strides: { ints: strides },
      }),
      dw,
      db,
    ];
  }
  const geo = outputPadding(c, x, kernel, strides, dil, pads);
  return [
    convTransposeTo(c, x, g, w, { dilations: { ints: dil }, group: { i: group }, kernel_shape: { ints: kernel }, pads: { ints: pads }, strides: { ints: strides } }, geo),
    dw,
    db,
  ];
}

/**
 * Weight gradient of a Conv as another Conv: with the batch and channel axes of x and of the output
 * gradient g swapped, dW^T[c, m] = Σ_n x^T[c, n] ⋆ g^T[m, n], i.e. a Conv whose "image" is x^T
 * ([C, N, ...]) and whose kernel is g^T ([M, N, ...]), with the original strides as dilations and
 * the original dilations as strides (same pads); the result [C, M, k'...] is cropped to the kernel
 * size (k' > k when the stride leaves a remainder) and transposed back. Groups: one such Conv per
 * group (Split/Concat).
 */
function convWeightGrad(
  c: BwdCtx,
  x: string,
  g: string,
  p: { kernel: number[]; strides: number[]; dil: number[]; pads: number[]; group: number; C: number; M: number },
): string {
  const e = c.e;
  const n = p.kernel.length;
  if (p.group === 1 && (e.choices.convWeightGrad ?? 'im2col') !== 'conv') return convWeightGradIm2col(c, x, g, p);
  const perm = { perm: { ints: [1, 0, ...p.kernel.map((_, i) => i + 2)] } };
  const sp = p.kernel.map((_, i) => i + 2);
  const one = (xg: string, gg: string): string => {
    const y = e.op1('Conv', [e.op1('Transpose', [xg], perm), e.op1('Transpose', [gg], perm)], {
      strides: { ints: p.dil },
      dilations: { ints: p.strides },
      pads: { ints: p.pads },
    });
    const crop = e.op1('Slice', [y, e.i64(sp.map(() => 0)), e.i64(p.kernel), e.i64(sp)]);
    return e.op1('Transpose', [crop], perm);
  };
  void n;
  if (p.group === 1) return one(x, g);
  const G = p.group;
  const { C, M } = p;
  const xs = e.op('Split', [x, e.i64(new Array(G).fill(C / G))], { axis: { i: 1 } }, G, 'split');
  const gs = e.op('Split', [g, e.i64(new Array(G).fill(M / G))], { axis: { i: 1 } }, G, 'split');
  return e.op1('Concat', xs.map((xg, i) => one(xg, gs[i])), { axis: { i: 0 } });
}

/**
 * Weight gradient of an ungrouped Conv as one Gemm: x in channels-last layout, padded; for each
 * kernel offset a strided Slice gives [N, O..., C]; concatenated on the channel axis they are the
 * im2col columns [N·O, K·C] (offset-major), and dW = g^T · cols with g as [N·O, M] (or, for
 * large output grids, Σ_n g[n] · cols[n] with g as [N, M, O]), reordered to [M, C, k...]. Output spatial sizes are taken from g at run time when they are dynamic.
 */
function convWeightGradIm2col(
  c: BwdCtx,
  x: string,
  g: string,
  p: { kernel: number[]; strides: number[]; dil: number[]; pads: number[]; C: number; M: number },
): string {
  const e = c.e;
  const n = p.kernel.length;
  const sp = p.kernel.map((_, i) => i + 1);
  const toLast = { perm: { ints: [0, ...p.kernel.map((_, i) => i + 2), 1] } };
  let xt = e.op1('Transpose', [x], toLast);
  if (p.pads.some((v) => v !== 0)) {
    xt = e.op1('Pad', [xt, e.i64([0, ...p.pads.slice(0, n), 0, 0, ...p.pads.slice(n), 0])], { mode: { s: 'constant' } });
  }
  const gi = c.info(c.node.output![0]);
  const outLen = (k: number): number | string => {
    const d = staticDim(gi, 2 + k);
    return d ?? e.op1('Gather', [e.shape(g), e.i64([2 + k])], { axis: { i: 0 } });
  };
  const O = p.kernel.map((_, k) => outLen(k));
  const offsets: number[][] = [[]];
  for (let k = 0; k < n; k++) {
    const next: number[][] = [];
    for (const o of offsets) for (let t = 0; t < p.kernel[k]; t++) next.push([...o, t]);
    offsets.splice(0, offsets.length, ...next);
  }
  const K = offsets.length;
  const allOne = p.kernel.every((k) => k === 1) && p.strides.every((s) => s === 1);
  let cols: string;
  if (allOne) {
    cols = xt;
  } else {
    const slices = offsets.map((off) => {
      const starts = off.map((t, k) => t * p.dil[k]);
      let ends: string;
      if (O.every((o) => typeof o === 'number')) {
        ends = e.i64(starts.map((s0, k) => s0 + p.strides[k] * ((O[k] as number) - 1) + 1));
      } else {
        ends = e.op1(
          'Concat',
          starts.map((s0, k) => {
            const o = O[k];
            if (typeof o === 'number') return e.i64([s0 + p.strides[k] * (o - 1) + 1]);
            return e.op1('Add', [e.op1('Mul', [o, e.i64([p.strides[k]])]), e.i64([s0 + 1 - p.strides[k]])]);
          }),
          { axis: { i: 0 } },
        );
      }
      return e.op1('Slice', [xt, e.i64(starts), ends, e.i64(sp), e.i64(p.strides)]);
    });
    cols = K === 1 ? slices[0] : e.op1('Concat', slices, { axis: { i: n + 1 } });
  }
  // Large output grids (O > K·C): a batched MatMul of g as [N, M, O] (no transpose of g) with the
  // columns as [N, O, K·C], summed over N; else one Gemm over N·O with g transposed to channels-last.
  const Oprod = gi.d1.slice(2).reduce((a, b) => a * b, 1);
  let dw: string;
  if (Oprod > K * p.C && e.choices.convWeightGrad !== 'im2col-gemm') {
    const mm = e.op1('MatMul', [e.op1('Reshape', [g, e.i64([0, p.M, -1])]), e.op1('Reshape', [cols, e.i64([0, -1, K * p.C])])]);
    dw = e.reduceSum(mm, [0], false);
  } else {
    const cols2 = e.op1('Reshape', [cols, e.i64([-1, K * p.C])]);
    const g2 = e.op1('Reshape', [e.op1('Transpose', [g], toLast), e.i64([-1, p.M])]);
    dw = e.op1('Gemm', [g2, cols2], { transA: { i: 1 } });
  }
  // [M, K·C] (offset-major) → [M, k..., C] → [M, C, k...]
  const r = e.op1('Reshape', [dw, e.i64([p.M, ...p.kernel, p.C])]);
  return e.op1('Transpose', [r], { perm: { ints: [0, n + 1, ...p.kernel.map((_, i) => i + 1)] } });
}

export const CONV_RULES: Record<string, Rule> = {
  Conv: { diff: [0, 1, 2], backward: convBackward },
};
