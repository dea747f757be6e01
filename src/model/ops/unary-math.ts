/**
 * Elementwise math and activation ops (trigonometric / hyperbolic functions, ELU-family and
 * hard activations, Softplus, Softsign, Shrink, PRelu) and the small normalisations Hardmax, LRN,
 * MeanVarianceNormalization. Tensors go through tfjs ops (differentiable by tfjs autodiff wherever
 * the op is); constant float inputs of the elementwise ops are evaluated in plain JS.
 *
 * Activations are written so that no branch that a `where` discards can overflow (e.g. ELU uses
 * exp(min(x, 0))), because a discarded infinite branch still turns its zero gradient into NaN.
 */
import * as tf from '@tensorflow/tfjs';
import { attr, attrFloat, attrInt, attrInts } from '../onnx-io.ts';
import { fail, need, type OpCtx, type OpImpl } from './op.ts';
import { constElementwise, dimsOf, isConst, normAxis, size, toTensor, type Value } from './value.ts';

/** The float input of an elementwise float op (integer / bool inputs are not valid ONNX here). */
function floatTensor(ctx: OpCtx, v: Value): tf.Tensor {
  const t = toTensor(v);
  if (t.dtype !== 'float32') fail(ctx, `expects a float input, got ${isConst(v) ? v.dtype : t.dtype}`);
  return t;
}

/**
 * Elementwise float op: `jsf` evaluates float constants in plain JS (rounded to float32 like the
 * tensor path), `tff` runs on tensors.
 */
function unaryFloat(jsf: (x: number, ctx: OpCtx) => number, tff: (x: tf.Tensor, ctx: OpCtx) => tf.Tensor): OpImpl {
  return (ctx) => {
    const x = need(ctx, 0);
    if (isConst(x)) {
      if (x.dtype !== 'float32') fail(ctx, `expects a float input, got ${x.dtype}`);
      return [constElementwise([x], (a) => Math.fround(jsf(a, ctx)))];
    }
    return [tff(floatTensor(ctx, x), ctx)];
  };
}

const s = (v: number): tf.Scalar => tf.scalar(v, 'float32');

/** exp(min(x, 0)) − 1: the negative branch of ELU-like activations, finite for every x. */
function expm1Neg(x: tf.Tensor): tf.Tensor {
  return tf.sub(tf.exp(tf.minimum(x, s(0))), s(1));
}

const eluJs = (x: number, alpha: number): number => (x > 0 ? x : alpha * Math.expm1(x));

function elu(x: tf.Tensor, alpha: number): tf.Tensor {
  // relu(x) + alpha·(exp(min(x,0)) − 1): x for x > 0, alpha·(eᵡ − 1) otherwise
  return tf.add(tf.relu(x), tf.mul(s(alpha), expm1Neg(x)));
}

const SELU_ALPHA = 1.67326319217681884765625;
const SELU_GAMMA = 1.05070102214813232421875;

function celuAlpha(ctx: OpCtx): number {
  const alpha = attrFloat(ctx.node, 'alpha', 1);
  if (alpha === 0) fail(ctx, 'alpha must be non-zero');
  return alpha;
}

function hardSigmoidJs(x: number, alpha: number, beta: number): number {
  return Math.max(0, Math.min(1, alpha * x + beta));
}

function hardSigmoid(x: tf.Tensor, alpha: number, beta: number): tf.Tensor {
  return tf.maximum(tf.minimum(tf.add(tf.mul(x, s(alpha)), s(beta)), s(1)), s(0));
}

function shrink(ctx: OpCtx): Value[] {
  const x = need(ctx, 0);
  const bias = attrFloat(ctx.node, 'bias', 0);
  const lambd = attrFloat(ctx.node, 'lambd', 0.5);
  const js = (v: number): number => (v < -lambd ? v + bias : v > lambd ? v - bias : 0);
  if (isConst(x)) {
    if (x.dtype === 'bool') fail(ctx, 'expects a numeric input, got bool');
    const round = x.dtype === 'float32' ? Math.fround : Math.trunc;
    return [constElementwise([x], (v) => round(js(v)))];
  }
  if (x.dtype === 'int32') {
    const lo = tf.less(x, tf.scalar(-lambd, x.dtype));
    const hi = tf.greater(x, tf.scalar(lambd, x.dtype));
    const b = tf.scalar(bias, x.dtype);
    return [tf.where(lo, tf.add(x, b), tf.where(hi, tf.sub(x, b), tf.zerosLike(x)))];
  }
  if (x.dtype !== 'float32') fail(ctx, `expects a numeric input, got ${x.dtype}`);
  // masks through tf.step (which has a zero gradient; comparisons have none and would stop autodiff)
  const lo = tf.step(tf.sub(s(-lambd), x)); // x < −lambd
  const hi = tf.step(tf.sub(x, s(lambd))); // x > lambd
  return [tf.add(tf.mul(tf.add(x, s(bias)), lo), tf.mul(tf.sub(x, s(bias)), hi))];
}

function prelu(ctx: OpCtx): Value[] {
  const xv = need(ctx, 0);
  const sv = need(ctx, 1);
  // ONNX: slope broadcasts unidirectionally to X (opset >= 7; opset 6 limited it further)
  const xd = dimsOf(xv);
  const sd = dimsOf(sv);
  const off = xd.length - sd.length;
  if (off < 0 || sd.some((d, i) => d !== 1 && d !== xd[off + i])) {
    fail(ctx, `slope of shape [${sd}] does not broadcast to input shape [${xd}]`);
  }
  if (isConst(xv) && isConst(sv) && xv.dtype === 'float32' && sv.dtype === 'float32') {
    return [constElementwise([xv, sv], (x, a) => Math.fround(x < 0 ? a * x : x))];
  }
  const x = toTensor(xv);
  const slope = toTensor(sv);
  if (x.dtype !== 'float32' && x.dtype !== 'int32') fail(ctx, `expects a numeric input, got ${x.dtype}`);
  if (slope.dtype !== x.dtype) fail(ctx, `slope dtype ${slope.dtype} differs from input dtype ${x.dtype}`);
  // relu(x) − slope·relu(−x): x for x ≥ 0, slope·x for x < 0 (differentiable in x and slope)
  return [tf.sub(tf.relu(x), tf.mul(slope, tf.relu(tf.neg(x))))];
}

/** One-hot of the (first) maximum along the last axis of a tensor. */
function hardmaxLast(x: tf.Tensor): tf.Tensor {
  const n = x.shape[x.rank - 1]!;
  if (x.size === 0) return tf.zerosLike(x);
  return tf.cast(tf.oneHot(tf.argMax(x, x.rank - 1), n), x.dtype);
}

function hardmax(ctx: OpCtx): Value[] {
  const x = toTensor(need(ctx, 0));
  if (x.dtype !== 'float32') fail(ctx, `expects a float input, got ${x.dtype}`);
  if (x.rank === 0) fail(ctx, 'input must have rank >= 1');
  if (ctx.opset < 13) {
    // opset 1–11: the input is coerced to 2D [prod(dims[:axis]), prod(dims[axis:])]
    const axis = normAxis(attrInt(ctx.node, 'axis', 1), x.rank);
    if (axis < 0 || axis > x.rank) fail(ctx, `axis ${attrInt(ctx.node, 'axis', 1)} out of range for rank ${x.rank}`);
    const y = hardmaxLast(tf.reshape(x, [size(x.shape.slice(0, axis)), size(x.shape.slice(axis))]));
    return [tf.reshape(y, x.shape)];
  }
  const axis = normAxis(attrInt(ctx.node, 'axis', -1), x.rank);
  if (axis < 0 || axis >= x.rank) fail(ctx, `axis ${attrInt(ctx.node, 'axis', -1)} out of range for rank ${x.rank}`);
  if (axis === x.rank - 1) return [hardmaxLast(x)];
  const perm = x.shape.map((_, i) => i);
  perm[axis] = x.rank - 1;
  perm[x.rank - 1] = axis;
  return [tf.transpose(hardmaxLast(tf.transpose(x, perm)), perm)];
}

function lrn(ctx: OpCtx): Value[] {
  const x = floatTensor(ctx, need(ctx, 0));
  if (!attr(ctx.node, 'size')) fail(ctx, "attribute 'size' is required");
  const n = attrInt(ctx.node, 'size', 0);
  if (n < 1) fail(ctx, `size must be >= 1, got ${n}`);
  const alpha = attrFloat(ctx.node, 'alpha', 1e-4);
  const beta = attrFloat(ctx.node, 'beta', 0.75);
  const bias = attrFloat(ctx.node, 'bias', 1);
  if (x.rank < 2) fail(ctx, `input must have rank >= 2 (N, C, ...), got rank ${x.rank}`);
  const C = x.shape[1]!;
  // square_sum[c] = Σ x[c']² over c' ∈ [c − ⌊(size−1)/2⌋, c + ⌈(size−1)/2⌉] ∩ [0, C)
  const before = Math.floor((n - 1) / 2);
  const after = Math.ceil((n - 1) / 2);
  const pads: [number, number][] = x.shape.map(() => [0, 0]);
  pads[1] = [before, after];
  const sq = tf.pad(tf.square(x), pads);
  let sum: tf.Tensor | undefined;
  const begin = x.shape.map(() => 0);
  const len = x.shape.slice();
  for (let i = 0; i < n; i++) {
    begin[1] = i;
    len[1] = C;
    const part = tf.slice(sq, begin, len);
    sum = sum ? tf.add(sum, part) : part;
  }
  const denom = tf.pow(tf.add(tf.mul(sum!, s(alpha / n)), s(bias)), s(beta));
  return [tf.div(x, denom)];
}

function meanVarianceNormalization(ctx: OpCtx): Value[] {
  const x = floatTensor(ctx, need(ctx, 0));
  const axes = (attrInts(ctx.node, 'axes', [0, 2, 3]) ?? []).map((a) => normAxis(a, x.rank));
  for (const a of axes) if (a < 0 || a >= x.rank) fail(ctx, `axis out of range for rank ${x.rank}: ${JSON.stringify(attrInts(ctx.node, 'axes', [0, 2, 3]))}`);
  if (x.size === 0) return [tf.clone(x)];
  // the ONNX function body: (X − E[X]) / (sqrt(E[X²] − E[X]²) + 1e-9); the variance is computed
  // as E[(X − E[X])²] (equal, never negative through rounding)
  const mean = tf.mean(x, axes, true);
  const c = tf.sub(x, mean);
  const variance = tf.mean(tf.square(c), axes, true);
  return [tf.div(c, tf.add(tf.sqrt(variance), s(1e-9)))];
}

export const unaryMathOps: Record<string, OpImpl> = {
  Sin: unaryFloat(Math.sin, (x) => tf.sin(x)),
  Cos: unaryFloat(Math.cos, (x) => tf.cos(x)),
  Tan: unaryFloat(Math.tan, (x) => tf.tan(x)),
  Asin: unaryFloat(Math.asin, (x) => tf.asin(x)),
  Acos: unaryFloat(Math.acos, (x) => tf.acos(x)),
  Atan: unaryFloat(Math.atan, (x) => tf.atan(x)),
  Sinh: unaryFloat(Math.sinh, (x) => tf.sinh(x)),
  Cosh: unaryFloat(Math.cosh, (x) => tf.cosh(x)),
  Asinh: unaryFloat(Math.asinh, (x) => tf.asinh(x)),
  Acosh: unaryFloat(Math.acosh, (x) => tf.acosh(x)),
  Atanh: unaryFloat(Math.atanh, (x) => tf.atanh(x)),
  Elu: unaryFloat(
    (x, ctx) => eluJs(x, attrFloat(ctx.node, 'alpha', 1)),
    (x, ctx) => elu(x, attrFloat(ctx.node, 'alpha', 1)),
  ),
  Selu: unaryFloat(
    (x, ctx) => attrFloat(ctx.node, 'gamma', SELU_GAMMA) * eluJs(x, attrFloat(ctx.node, 'alpha', SELU_ALPHA)),
    (x, ctx) => tf.mul(s(attrFloat(ctx.node, 'gamma', SELU_GAMMA)), elu(x, attrFloat(ctx.node, 'alpha', SELU_ALPHA))),
  ),
  Celu: unaryFloat(
    (x, ctx) => {
      const alpha = celuAlpha(ctx);
      return Math.max(0, x) + Math.min(0, alpha * Math.expm1(x / alpha));
    },
    // relu(x) + alpha·(exp(min(x,0)/alpha) − 1)
    (x, ctx) => {
      const alpha = celuAlpha(ctx);
      return tf.add(tf.relu(x), tf.mul(s(alpha), tf.sub(tf.exp(tf.div(tf.minimum(x, s(0)), s(alpha))), s(1))));
    },
  ),
  HardSigmoid: unaryFloat(
    (x, ctx) => hardSigmoidJs(x, attrFloat(ctx.node, 'alpha', 0.2), attrFloat(ctx.node, 'beta', 0.5)),
    (x, ctx) => hardSigmoid(x, attrFloat(ctx.node, 'alpha', 0.2), attrFloat(ctx.node, 'beta', 0.5)),
  ),
  HardSwish: unaryFloat(
    (x) => x * hardSigmoidJs(x, 1 / 6, 0.5),
    (x) => tf.mul(x, hardSigmoid(x, 1 / 6, 0.5)),
  ),
  Softplus: unaryFloat(
    (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))),
    (x) => tf.softplus(x),
  ),
  Softsign: unaryFloat(
    (x) => x / (1 + Math.abs(x)),
    (x) => tf.div(x, tf.add(tf.abs(x), s(1))),
  ),
  ThresholdedRelu: unaryFloat(
    (x, ctx) => (x > attrFloat(ctx.node, 'alpha', 1) ? x : 0),
    (x, ctx) => tf.mul(x, tf.step(tf.sub(x, s(attrFloat(ctx.node, 'alpha', 1))))), // x·[x > alpha]
  ),
  Shrink: shrink,
  PRelu: prelu,
  Hardmax: hardmax,
  LRN: lrn,
  MeanVarianceNormalization: meanVarianceNormalization,
};
