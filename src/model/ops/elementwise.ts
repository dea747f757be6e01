/** Elementwise ops. Constant inputs are evaluated in plain JS (shape arithmetic); tensors in tfjs. */
import * as tf from '@tensorflow/tfjs';
import { attrFloat, attrInt, DataType } from '../onnx-io.ts';
import { fail, need, unsupported, type OpCtx, type OpImpl } from './op.ts';
import { constElementwise, isConst, ONNX_TO_CONST_DTYPE, toTensor, type ConstDType, type Value } from './value.ts';

function isIntType(d: ConstDType): boolean {
  return d === 'int64' || d === 'int32';
}

function binary(jsf: (a: number, b: number, int: boolean) => number, tff: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): OpImpl {
  return (ctx) => {
    const a = need(ctx, 0);
    const b = need(ctx, 1);
    if (isConst(a) && isConst(b)) {
      const int = isIntType(a.dtype);
      return [constElementwise([a, b], (x, y) => jsf(x, y, int))];
    }
    return [tff(toTensor(a), toTensor(b))];
  };
}

function unary(jsf: ((a: number) => number) | null, tff: (a: tf.Tensor, ctx: OpCtx) => tf.Tensor): OpImpl {
  return (ctx) => {
    const a = need(ctx, 0);
    if (isConst(a) && jsf) return [constElementwise([a], jsf)];
    return [tff(toTensor(a), ctx)];
  };
}

const truncDiv = (x: number, y: number, int: boolean) => (int ? Math.trunc(x / y) : x / y);

function powT(a: tf.Tensor, b: Value): tf.Tensor {
  if (isConst(b) && b.data.length === 1) {
    const e = b.data[0];
    if (e === 2) return tf.square(a);
    if (e === 1) return tf.clone(a);
    if (e === 0.5) return tf.sqrt(a);
  }
  const bt = toTensor(b);
  return tf.pow(a, bt.dtype === a.dtype ? bt : tf.cast(bt, a.dtype));
}

function clip(ctx: OpCtx): Value[] {
  const x = toTensor(need(ctx, 0));
  let lo = -Infinity;
  let hi = Infinity;
  if (ctx.opset < 11) {
    lo = attrFloat(ctx.node, 'min', -3.4028234663852886e38);
    hi = attrFloat(ctx.node, 'max', 3.4028234663852886e38);
  } else {
    const mn = ctx.inputs[1];
    const mx = ctx.inputs[2];
    if (mn) lo = isConst(mn) ? mn.data[0] : toTensor(mn).dataSync()[0];
    if (mx) hi = isConst(mx) ? mx.data[0] : toTensor(mx).dataSync()[0];
  }
  // tf.clipByValue's gradient passes through at the bounds; ONNX leaves that undefined.
  let y = x;
  if (lo > -Infinity) y = tf.maximum(y, tf.scalar(lo, x.dtype));
  if (hi < Infinity) y = tf.minimum(y, tf.scalar(hi, x.dtype));
  return [y === x ? tf.clone(x) : y];
}

function cast(ctx: OpCtx): Value[] {
  const x = need(ctx, 0);
  const to = attrInt(ctx.node, 'to', 1);
  const dt = ONNX_TO_CONST_DTYPE[to];
  if (!dt) unsupported(ctx, `Cast to ONNX data type ${to} is not supported`);
  if (isConst(x)) {
    const f = dt === 'bool' ? (v: number) => (v !== 0 ? 1 : 0) : isIntType(dt) ? Math.trunc : Math.fround;
    return [{ kind: 'const', dims: x.dims, data: x.data.map(f), dtype: dt }];
  }
  const tdt = dt === 'float32' ? 'float32' : dt === 'bool' ? 'bool' : 'int32';
  if (tdt === 'int32' && x.dtype === 'float32') return [tf.cast(tf.sign(x).mul(tf.floor(tf.abs(x))), 'int32')];
  return [x.dtype === tdt ? tf.clone(x) : tf.cast(x, tdt)];
}

function dropout(ctx: OpCtx): (Value | undefined)[] {
  const x = need(ctx, 0);
  const ratioV = ctx.inputs[1];
  const trainV = ctx.inputs[2];
  let ratio = ctx.opset < 12 ? attrFloat(ctx.node, 'ratio', 0.5) : 0.5;
  if (ratioV) ratio = isConst(ratioV) ? ratioV.data[0] : toTensor(ratioV).dataSync()[0];
  let training = ctx.training;
  if (trainV) training = (isConst(trainV) ? trainV.data[0] : toTensor(trainV).dataSync()[0]) !== 0;
  const xt = toTensor(x);
  const wantMask = (ctx.node.output ?? []).length > 1 && !!ctx.node.output![1];
  if (!training || ratio === 0) {
    return [tf.clone(xt), wantMask ? tf.onesLike(xt).cast('bool') : undefined];
  }
  if (ratio >= 1) fail(ctx, `dropout ratio ${ratio} must be < 1`);
  const keep = tf.greaterEqual(tf.randomUniform(xt.shape, 0, 1), tf.scalar(ratio));
  const y = tf.div(tf.mul(xt, tf.cast(keep, 'float32')), tf.scalar(1 - ratio));
  return [y, wantMask ? keep : undefined];
}

const erfJs = (x: number): number => {
  // Abramowitz–Stegun 7.1.26 is too coarse; use the series/continued fraction via Math for constants.
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const y =
    1 -
    t *
      Math.exp(
        -x * x -
          1.26551223 +
          t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
      );
  return x >= 0 ? y : -y;
};

export const elementwiseOps: Record<string, OpImpl> = {
  Add: binary((a, b) => a + b, (a, b) => tf.add(a, b)),
  Sub: binary((a, b) => a - b, (a, b) => tf.sub(a, b)),
  Mul: binary((a, b) => a * b, (a, b) => tf.mul(a, b)),
  Div: binary(truncDiv, (a, b) => (a.dtype === 'int32' ? tf.floorDiv(a, b) : tf.div(a, b))),
  Pow: (ctx) => {
    const a = need(ctx, 0);
    const b = need(ctx, 1);
    if (isConst(a) && isConst(b)) return [constElementwise([a, b], (x, y) => Math.pow(x, y))];
    return [powT(toTensor(a), b)];
  },
  Relu: unary((a) => Math.max(0, a), (a) => tf.relu(a)),
  LeakyRelu: unary(null, (a, ctx) => tf.leakyRelu(a, attrFloat(ctx.node, 'alpha', 0.01))),
  Sigmoid: unary(null, (a) => tf.sigmoid(a)),
  Tanh: unary(null, (a) => tf.tanh(a)),
  Erf: unary(erfJs, (a) => tf.erf(a)),
  Sqrt: unary(Math.sqrt, (a) => tf.sqrt(a)),
  Exp: unary(null, (a) => tf.exp(a)),
  Log: unary(null, (a) => tf.log(a)),
  Neg: unary((a) => -a, (a) => tf.neg(a)),
  Abs: unary(Math.abs, (a) => tf.abs(a)),
  Reciprocal: unary(null, (a) => tf.reciprocal(a)),
  Floor: unary(Math.floor, (a) => tf.floor(a)),
  Ceil: unary(Math.ceil, (a) => tf.ceil(a)),
  Clip: clip,
  Cast: cast,
  Identity: (ctx) => {
    const x = need(ctx, 0);
    return [isConst(x) ? x : tf.clone(x)];
  },
  Dropout: dropout,
};
