/**
 * Resize (opsets 10, 11, 13, 18, 19) and Upsample (opsets 7 and 9).
 *
 * The resize is separable: every resized axis gets, per output index, a short list of input
 * indices (taps) and weights computed here in plain JS from the attributes and the constant
 * roi/scales/sizes inputs. The tensor side is a gather of each tap along that axis times its weight
 * column, summed (nearest is a single gather), so it is exact for every mode and differentiable
 * through tfjs autodiff. tf_crop_and_resize positions outside the input take extrapolation_value
 * (a tf.where on the product of the per-axis validity masks).
 *
 * Coordinates follow onnxruntime: float32 arithmetic, align_corners / tf_crop_and_resize /
 * pytorch_half_pixel divide by the integer output length, opset < 11 (Resize-10, Upsample) is
 * 'asymmetric' with onnxruntime's "simple" nearest rounding (floor when upsampling, ceil when
 * downsampling). Weights: the ONNX reference (linear, cubic with cubic_coeff_a, exclude_outside,
 * antialias widening the kernel by 1/scale when downsampling, edge clamping of indices).
 */
import * as tf from '@tensorflow/tfjs';
import { attr, attrFloat, attrInt, attrInts, attrString } from '../onnx-io.ts';
import { fail, need, unsupported, type OpCtx, type OpImpl } from './op.ts';
import { dimsOf, normAxis, size, toConst, toTensor, type Value } from './value.ts';

type Mode = 'nearest' | 'linear' | 'cubic';
type NearestMode = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil' | 'simple';

interface ResizeOpts {
  mode: Mode;
  coord: string;
  nearest: NearestMode;
  cubicA: number;
  excludeOutside: boolean;
  antialias: boolean;
  extrapolation: number;
}

/** Per-axis plan: for output index i, taps idx[t][i] with weights w[t][i]; valid[i] false = extrapolate. */
interface AxisPlan {
  idx: number[][];
  w: number[][];
  valid: boolean[];
}

const f32 = Math.fround;

const COORD_MODES = new Set([
  'half_pixel',
  'half_pixel_symmetric',
  'pytorch_half_pixel',
  'align_corners',
  'asymmetric',
  'tf_half_pixel_for_nn',
  'tf_crop_and_resize',
]);

function cubicKernel(x: number, a: number): number {
  const t = Math.abs(x);
  if (t <= 1) return (a + 2) * t * t * t - (a + 3) * t * t + 1;
  if (t < 2) return a * t * t * t - 5 * a * t * t + 8 * a * t - 4 * a;
  return 0;
}

function linearKernel(x: number): number {
  return Math.max(0, 1 - Math.abs(x));
}

/** The original coordinate of output index x (float32 like onnxruntime); null = outside the crop. */
function originalCoord(
  o: ResizeOpts,
  x: number,
  inLen: number,
  outLen: number,
  scale: number,
  roiStart: number,
  roiEnd: number,
): number | null {
  switch (o.coord) {
    case 'half_pixel':
      return f32(f32(f32(x + 0.5) / scale) - 0.5);
    case 'half_pixel_symmetric': {
      const adjustment = f32(outLen / f32(scale * inLen));
      const offset = f32((inLen / 2) * f32(1 - adjustment));
      // onnxruntime sums this one in double
      return f32(offset + (x + 0.5) / scale - 0.5);
    }
    case 'pytorch_half_pixel':
      return outLen > 1 ? f32(f32(f32(x + 0.5) / scale) - 0.5) : 0;
    case 'align_corners':
      return outLen === 1 ? 0 : f32(f32(x * (inLen - 1)) / (outLen - 1));
    case 'asymmetric':
      return f32(x / scale);
    case 'tf_half_pixel_for_nn':
      return f32(f32(x + 0.5) / scale);
    case 'tf_crop_and_resize': {
      const c =
        outLen > 1
          ? f32(f32(roiStart * (inLen - 1)) + f32(f32(f32(x * f32(roiEnd - roiStart)) * (inLen - 1)) / (outLen - 1)))
          : f32(0.5 * f32(roiStart + roiEnd) * (inLen - 1));
      return c < 0 || c > inLen - 1 ? null : c;
    }
    default:
      throw new Error(`coordinate_transformation_mode '${o.coord}'`);
  }
}

function nearestIndex(c: number, mode: NearestMode, downsampling: boolean): number {
  if (Number.isInteger(c)) return c;
  const fl = Math.floor(c);
  switch (mode) {
    case 'round_prefer_floor':
      return c - fl <= 0.5 ? fl : fl + 1;
    case 'round_prefer_ceil':
      return c - fl < 0.5 ? fl : fl + 1;
    case 'floor':
      return fl;
    case 'ceil':
      return fl + 1;
    case 'simple':
      // onnxruntime's rounding for Upsample and Resize-10: ceil when downsampling, else truncation
      return downsampling ? Math.ceil(c) : Math.trunc(c);
  }
}

function planAxis(o: ResizeOpts, inLen: number, outLen: number, scale: number, roi: [number, number]): AxisPlan {
  const clamp = (i: number): number => Math.min(Math.max(i, 0), inLen - 1);
  const rows: { idx: number[]; w: number[] }[] = [];
  const valid: boolean[] = [];
  for (let x = 0; x < outLen; x++) {
    const c = originalCoord(o, x, inLen, outLen, scale, roi[0], roi[1]);
    if (c === null) {
      rows.push({ idx: [0], w: [0] });
      valid.push(false);
      continue;
    }
    valid.push(true);
    if (o.mode === 'nearest') {
      rows.push({ idx: [clamp(nearestIndex(c, o.nearest, scale < 1))], w: [1] });
      continue;
    }
    const radius = o.mode === 'linear' ? 1 : 2;
    const s = o.antialias && scale < 1 ? scale : 1;
    // the n nearest indices to c, the smaller preferred on ties: b-n/2+1 .. b+n/2 with b = ceil(c)-1
    const n = s < 1 ? 2 - 2 * (Math.floor(-radius / s) + 1) : 2 * radius;
    const b = Math.ceil(c) - 1;
    const idx: number[] = [];
    let w: number[] = [];
    for (let k = 0; k < n; k++) {
      const i = b - n / 2 + 1 + k;
      const arg = (i - c) * s;
      w.push(o.mode === 'linear' ? linearKernel(arg) : cubicKernel(arg, o.cubicA));
      idx.push(i);
    }
    if (o.antialias) {
      const sum = w.reduce((a, v) => a + v, 0);
      w = w.map((v) => v / sum);
    }
    if (o.excludeOutside) {
      w = w.map((v, k) => (idx[k] < 0 || idx[k] >= inLen ? 0 : v));
      const sum = w.reduce((a, v) => a + v, 0);
      w = w.map((v) => v / sum);
    }
    // merge the taps that clamp onto the same input index, drop zero weights
    const merged = new Map<number, number>();
    idx.forEach((i, k) => {
      if (w[k] !== 0) merged.set(clamp(i), (merged.get(clamp(i)) ?? 0) + w[k]);
    });
    if (merged.size === 0) merged.set(clamp(b), 0);
    rows.push({ idx: [...merged.keys()], w: [...merged.values()] });
  }
  const taps = Math.max(1, ...rows.map((r) => r.idx.length));
  const plan: AxisPlan = { idx: [], w: [], valid };
  for (let t = 0; t < taps; t++) {
    plan.idx.push(rows.map((r) => r.idx[t] ?? r.idx[0]));
    plan.w.push(rows.map((r) => r.w[t] ?? 0));
  }
  return plan;
}

function isIdentity(p: AxisPlan, inLen: number): boolean {
  if (p.valid.length !== inLen || p.valid.some((v) => !v)) return false;
  for (let i = 0; i < inLen; i++) {
    for (let t = 0; t < p.idx.length; t++) {
      const w = p.w[t][i];
      if (w !== 0 && !(w === 1 && p.idx[t][i] === i)) return false;
    }
    if (!p.idx.some((col, t) => col[i] === i && p.w[t][i] === 1)) return false;
  }
  return true;
}

/**
 * tf.gather along `axis` whose gradient is a scatterND (summing duplicates): tf.gather's own
 * gradient needs UnsortedSegmentSum, which the wasm backend lacks.
 */
function gatherAxis(x: tf.Tensor, idx: number[], axis: number): tf.Tensor {
  if (x.dtype !== 'float32') return tf.gather(x, tf.tensor1d(idx, 'int32'), axis);
  const n = x.shape[axis]!;
  const perm = [axis, ...x.shape.map((_, k) => k).filter((k) => k !== axis)];
  const inv = perm.map((_, k) => perm.indexOf(k));
  const f = tf.customGrad(((xi: tf.Tensor) => ({
    value: tf.gather(xi, tf.tensor1d(idx, 'int32'), axis),
    gradFunc: (dy: tf.Tensor) => {
      const dyT = axis === 0 ? dy : tf.transpose(dy, perm);
      const dx = tf.scatterND(tf.tensor2d(idx, [idx.length, 1], 'int32'), dyT, [n, ...dyT.shape.slice(1)]);
      return axis === 0 ? dx : tf.transpose(dx, inv);
    },
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x);
}

/** Resizes tensor x to `outDims` with per-axis scales (used by the coordinate transforms) and roi. */
function resizeTensor(
  ctx: OpCtx,
  xv: Value,
  outDims: number[],
  scales: number[],
  roi: [number, number][],
  o: ResizeOpts,
): tf.Tensor {
  const x0 = toTensor(xv);
  if (o.mode !== 'nearest' && x0.dtype !== 'float32') unsupported(ctx, `${o.mode} mode on ${x0.dtype} data`);
  const inDims = x0.shape.slice();
  const rank = inDims.length;
  if (outDims.some((d) => !Number.isInteger(d) || d < 0)) fail(ctx, `invalid output shape [${outDims}]`);
  if (size(outDims) === 0) return tf.zeros(outDims, x0.dtype);
  let y = x0;
  const masks: tf.Tensor[] = [];
  for (let ax = 0; ax < rank; ax++) {
    const plan = planAxis(o, inDims[ax], outDims[ax], scales[ax], roi[ax]);
    if (isIdentity(plan, inDims[ax])) continue;
    const bshape = outDims.map((_, k) => (k === ax ? outDims[ax] : 1));
    let acc: tf.Tensor | undefined;
    for (let t = 0; t < plan.idx.length; t++) {
      const g = gatherAxis(y, plan.idx[t], ax);
      const allOne = plan.w[t].every((v) => v === 1);
      const term = allOne ? g : tf.mul(g, tf.tensor(plan.w[t], bshape, 'float32'));
      acc = acc ? tf.add(acc, term) : term;
    }
    y = acc!;
    if (plan.valid.some((v) => !v)) masks.push(tf.tensor(plan.valid.map((v) => (v ? 1 : 0)), bshape, 'float32'));
  }
  if (masks.length > 0) {
    const m = masks.reduce((a, b) => tf.mul(a, b));
    const cond = tf.broadcastTo(tf.greater(m, 0.5), outDims);
    y = tf.where(cond, y, tf.fill(outDims, o.extrapolation, y.dtype));
  }
  return y;
}

function readFloats(v: Value | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  const c = toConst(v);
  return c.data.length === 0 ? undefined : c.data.map(Number);
}

const resize: OpImpl = (ctx) => {
  const op = ctx.opset;
  const x = need(ctx, 0);
  const inDims = dimsOf(x);
  const rank = inDims.length;
  const modeName = attrString(ctx.node, 'mode', 'nearest');
  if (modeName !== 'nearest' && modeName !== 'linear' && modeName !== 'cubic') unsupported(ctx, `mode '${modeName}'`);
  if (op < 11 && modeName === 'cubic') unsupported(ctx, `mode 'cubic' before opset 11`);
  const coord = op < 11 ? 'asymmetric' : attrString(ctx.node, 'coordinate_transformation_mode', 'half_pixel');
  if (!COORD_MODES.has(coord)) unsupported(ctx, `coordinate_transformation_mode '${coord}'`);
  const nearestName = op < 11 ? 'simple' : attrString(ctx.node, 'nearest_mode', 'round_prefer_floor');
  const nearestModes = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];
  if (op >= 11 && !nearestModes.includes(nearestName)) unsupported(ctx, `nearest_mode '${nearestName}'`);
  const o: ResizeOpts = {
    mode: modeName,
    coord,
    nearest: nearestName as NearestMode,
    cubicA: attrFloat(ctx.node, 'cubic_coeff_a', -0.75),
    excludeOutside: attrInt(ctx.node, 'exclude_outside', 0) === 1,
    antialias: attrInt(ctx.node, 'antialias', 0) === 1,
    extrapolation: attrFloat(ctx.node, 'extrapolation_value', 0),
  };
  const axesAttr = attrInts(ctx.node, 'axes', undefined);
  const axes = (axesAttr ?? inDims.map((_, i) => i)).map((a) => normAxis(a, rank));
  if (axes.some((a) => a < 0 || a >= rank) || new Set(axes).size !== axes.length) fail(ctx, `invalid axes [${axesAttr}]`);
  const policy = attrString(ctx.node, 'keep_aspect_ratio_policy', 'stretch');
  if (!['stretch', 'not_larger', 'not_smaller'].includes(policy)) unsupported(ctx, `keep_aspect_ratio_policy '${policy}'`);

  // inputs: opset 10 (X, scales); opset 11+ (X, roi, scales, sizes)
  const roiIn = op < 11 ? undefined : readFloats(ctx.inputs[1]);
  const scalesIn = readFloats(op < 11 ? need(ctx, 1) : ctx.inputs[2]);
  const sizesIn = op < 11 ? undefined : readFloats(ctx.inputs[3]);
  if (scalesIn && sizesIn) fail(ctx, 'only one of scales and sizes may be given');
  if (!scalesIn && !sizesIn) fail(ctx, 'one of scales and sizes is required');

  const scales = new Array<number>(rank).fill(1);
  const outDims = inDims.slice();
  const roi: [number, number][] = inDims.map(() => [0, 1]);
  if (roiIn && coord === 'tf_crop_and_resize') {
    if (roiIn.length !== 2 * axes.length) fail(ctx, `roi has ${roiIn.length} values, expected ${2 * axes.length}`);
    axes.forEach((a, k) => (roi[a] = [roiIn[k], roiIn[k + axes.length]]));
  } else if (coord === 'tf_crop_and_resize') {
    fail(ctx, "roi is required with coordinate_transformation_mode 'tf_crop_and_resize'");
  }
  if (scalesIn) {
    if (scalesIn.length !== axes.length) fail(ctx, `scales has ${scalesIn.length} values, expected ${axes.length}`);
    axes.forEach((a, k) => {
      const s = scalesIn[k];
      if (!(s > 0)) fail(ctx, `scale ${s} must be positive`);
      scales[a] = s;
      // like onnxruntime and the ONNX reference: the roi does not enter the output size
      outDims[a] = Math.floor(f32(inDims[a] * s));
    });
  } else {
    const sizes = sizesIn!;
    if (sizes.length !== axes.length) fail(ctx, `sizes has ${sizes.length} values, expected ${axes.length}`);
    if (policy === 'stretch') {
      axes.forEach((a, k) => {
        outDims[a] = sizes[k];
        scales[a] = f32(sizes[k] / inDims[a]);
      });
    } else {
      const ratios = axes.map((a, k) => f32(sizes[k] / inDims[a]));
      const s = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
      axes.forEach((a) => {
        scales[a] = s;
        outDims[a] = Math.floor(f32(s * inDims[a]) + 0.5);
      });
    }
  }
  return [resizeTensor(ctx, x, outDims, scales, roi, o)];
};

const upsample: OpImpl = (ctx) => {
  const x = need(ctx, 0);
  const inDims = dimsOf(x);
  const modeName = attrString(ctx.node, 'mode', 'nearest');
  if (modeName !== 'nearest' && modeName !== 'linear') unsupported(ctx, `mode '${modeName}'`);
  const scales = ctx.opset < 9 ? attrFloats(ctx, 'scales') : readFloats(need(ctx, 1));
  if (!scales || scales.length !== inDims.length) fail(ctx, `scales must have one value per input dimension (${inDims.length})`);
  if (scales.some((s) => !(s >= 1))) fail(ctx, `scales [${scales}] must all be >= 1`);
  const outDims = inDims.map((d, i) => Math.floor(f32(d * scales[i])));
  const o: ResizeOpts = {
    mode: modeName,
    coord: 'asymmetric',
    nearest: 'simple',
    cubicA: -0.75,
    excludeOutside: false,
    antialias: false,
    extrapolation: 0,
  };
  return [resizeTensor(ctx, x, outDims, scales, inDims.map(() => [0, 1]), o)];
};

/** A list-of-floats attribute (Upsample-7's `scales`). */
function attrFloats(ctx: OpCtx, name: string): number[] | undefined {
  const a = attr(ctx.node, name);
  return a ? (a.floats ?? []).map(Number) : undefined;
}

export const resizeOps: Record<string, OpImpl> = {
  Resize: resize,
  Upsample: upsample,
};
