/**
 * Comparison, logical and selection ops (Equal, Greater, GreaterOrEqual, Less, LessOrEqual, Not, And,
 * Or, Xor, Where, IsNaN, IsInf), Sign, Round, Mod and the variadic Max, Min, Sum, Mean. All use
 * multidirectional (numpy) broadcasting. When every input is a constant the result is computed in plain
 * JS (integer and shape arithmetic stays on ConstVals); otherwise in tfjs, so that gradients flow
 * through the differentiable ones (Where, Max, Min, Sum, Mean, Mod).
 */
import * as tf from '@tensorflow/tfjs';
import { attr, attrInt } from '../onnx-io.ts';
import { fail, need, unsupported, type OpCtx, type OpImpl } from './op.ts';
import { constElementwise, isConst, toTensor, type ConstVal, type Value } from './value.ts';

type TfDType = 'float32' | 'int32' | 'bool';

const DTYPE_RANK: Record<TfDType, number> = { bool: 0, int32: 1, float32: 2 };

/** Values → tensors of one common dtype (bool < int32 < float32). */
function commonTensors(ctx: OpCtx, vals: Value[]): tf.Tensor[] {
  const ts = vals.map(toTensor);
  let dt: TfDType = 'bool';
  for (const t of ts) {
    const d = t.dtype as TfDType;
    if (!(d in DTYPE_RANK)) unsupported(ctx, `${ctx.node.opType ?? ''} of a ${t.dtype} tensor`);
    if (DTYPE_RANK[d] > DTYPE_RANK[dt]) dt = d;
  }
  return ts.map((t) => (t.dtype === dt ? t : tf.cast(t, dt)));
}

function allConst(vals: Value[]): vals is ConstVal[] {
  return vals.every((v) => isConst(v));
}

/** Opset < 7 binary ops had `broadcast`/`axis` attributes; `axis` selects a non-numpy alignment. */
function checkLegacyBroadcast(ctx: OpCtx): void {
  if (ctx.opset < 7 && attr(ctx.node, 'axis') !== undefined) {
    unsupported(ctx, `${ctx.node.opType ?? ''}: the legacy 'axis' broadcast attribute (opset < 7)`);
  }
}

/** Broadcast the constants' shapes, reporting a shape mismatch as an error of this node. */
function constMap(ctx: OpCtx, vals: ConstVal[], f: (...xs: number[]) => number, dtype?: ConstVal['dtype']): ConstVal {
  try {
    return constElementwise(vals, f, dtype);
  } catch (e) {
    return fail(ctx, (e as Error).message);
  }
}

function compare(jsf: (a: number, b: number) => boolean, tff: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): OpImpl {
  return (ctx) => {
    checkLegacyBroadcast(ctx);
    const ins = [need(ctx, 0), need(ctx, 1)];
    if (allConst(ins)) return [constMap(ctx, ins, (x, y) => (jsf(x, y) ? 1 : 0), 'bool')];
    const [a, b] = commonTensors(ctx, ins);
    return [tff(a, b)];
  };
}

function toBoolTensor(v: Value): tf.Tensor {
  const t = toTensor(v);
  return t.dtype === 'bool' ? t : tf.notEqual(t, tf.scalar(0, t.dtype));
}

function logical(jsf: (a: boolean, b: boolean) => boolean, tff: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): OpImpl {
  return (ctx) => {
    checkLegacyBroadcast(ctx);
    const ins = [need(ctx, 0), need(ctx, 1)];
    if (allConst(ins)) return [constMap(ctx, ins, (x, y) => (jsf(x !== 0, y !== 0) ? 1 : 0), 'bool')];
    return [tff(toBoolTensor(ins[0]), toBoolTensor(ins[1]))];
  };
}

function not(ctx: OpCtx): Value[] {
  const x = need(ctx, 0);
  if (isConst(x)) return [constMap(ctx, [x], (v) => (v === 0 ? 1 : 0), 'bool')];
  return [tf.logicalNot(toBoolTensor(x))];
}

function where(ctx: OpCtx): Value[] {
  const c = need(ctx, 0);
  const x = need(ctx, 1);
  const y = need(ctx, 2);
  if (isConst(c) && isConst(x) && isConst(y)) {
    const dt = x.dtype === 'float32' || y.dtype === 'float32' ? 'float32' : x.dtype;
    return [constMap(ctx, [c, x, y], (cv, xv, yv) => (cv !== 0 ? xv : yv), dt)];
  }
  const [xt, yt] = commonTensors(ctx, [x, y]);
  return [tf.where(toBoolTensor(c), xt, yt)];
}

function isNaNOp(ctx: OpCtx): Value[] {
  const x = need(ctx, 0);
  if (isConst(x)) return [constMap(ctx, [x], (v) => (Number.isNaN(v) ? 1 : 0), 'bool')];
  return [tf.isNaN(x)];
}

function isInfOp(ctx: OpCtx): Value[] {
  const x = need(ctx, 0);
  const neg = attrInt(ctx.node, 'detect_negative', 1) !== 0;
  const pos = attrInt(ctx.node, 'detect_positive', 1) !== 0;
  if (isConst(x)) {
    return [constMap(ctx, [x], (v) => ((pos && v === Infinity) || (neg && v === -Infinity) ? 1 : 0), 'bool')];
  }
  if (x.dtype !== 'float32') return [tf.zerosLike(x).cast('bool')];
  if (pos && neg) return [tf.isInf(x)];
  if (pos) return [tf.equal(x, tf.scalar(Infinity))];
  if (neg) return [tf.equal(x, tf.scalar(-Infinity))];
  return [tf.zerosLike(x).cast('bool')];
}

/** Round half to even (numpy / ONNX Round). */
function roundHalfEven(v: number): number {
  if (!Number.isFinite(v)) return v;
  const f = Math.floor(v);
  const d = v - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

function round(ctx: OpCtx): Value[] {
  const x = need(ctx, 0);
  if (isConst(x)) return [constMap(ctx, [x], roundHalfEven)];
  return [x.dtype === 'float32' ? tf.round(x) : tf.clone(x)]; // tf.round rounds half to even
}

function sign(ctx: OpCtx): Value[] {
  const x = need(ctx, 0);
  if (isConst(x)) return [constMap(ctx, [x], (v) => (Number.isNaN(v) ? v : Math.sign(v) + 0))];
  // tf.sign maps NaN to 0; ONNX (numpy) keeps NaN
  return [x.dtype === 'float32' ? tf.where(tf.isNaN(x), x, tf.sign(x)) : tf.sign(x)];
}

/** x mod y with the sign of the divisor (Python %), as ONNX Mod with fmod=0. */
function floorMod(x: number, y: number): number {
  const r = x % y;
  return r !== 0 && r < 0 !== y < 0 ? r + y : r;
}

function mod(ctx: OpCtx): Value[] {
  const fmod = attrInt(ctx.node, 'fmod', 0);
  if (fmod !== 0 && fmod !== 1) fail(ctx, `fmod must be 0 or 1, got ${fmod}`);
  const ins = [need(ctx, 0), need(ctx, 1)];
  if (allConst(ins)) {
    const dt = ins[0].dtype === 'float32' || ins[1].dtype === 'float32' ? 'float32' : ins[0].dtype;
    if (dt !== 'float32' && ins[1].data.some((v) => v === 0)) fail(ctx, 'integer Mod by zero');
    // JS % is C fmod (the sign of the dividend)
    return [constMap(ctx, ins, fmod === 1 ? (x, y) => x % y : floorMod, dt)];
  }
  const [a, b] = commonTensors(ctx, ins);
  if (a.dtype === 'bool') fail(ctx, 'Mod of bool tensors');
  // tf.mod is the floored modulo (the sign of the divisor)
  if (fmod === 0) return [tf.mod(a, b)];
  return [tf.mul(tf.sign(a), tf.mod(tf.abs(a), tf.abs(b)))];
}

function variadic(
  kind: 'Max' | 'Min' | 'Sum' | 'Mean',
  jsf: (acc: number, v: number) => number,
  tff: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor,
): OpImpl {
  return (ctx) => {
    const n = (ctx.node.input ?? []).length;
    if (n === 0) fail(ctx, `${kind} needs at least one input`);
    const ins: Value[] = [];
    for (let i = 0; i < n; i++) ins.push(need(ctx, i));
    if (allConst(ins)) {
      const dt = ins.some((v) => v.dtype === 'float32') ? 'float32' : ins[0].dtype;
      const out = constMap(
        ctx,
        ins,
        (...xs) => {
          let acc = xs[0];
          for (let i = 1; i < xs.length; i++) acc = jsf(acc, xs[i]);
          return kind === 'Mean' ? acc / xs.length : acc;
        },
        dt,
      );
      return [out];
    }
    const ts = commonTensors(ctx, ins);
    if (ts[0].dtype === 'bool') fail(ctx, `${kind} of bool tensors`);
    let acc = ts.length === 1 ? tf.clone(ts[0]) : ts[0];
    for (let i = 1; i < ts.length; i++) acc = tff(acc, ts[i]);
    if (kind === 'Mean' && ts.length > 1) acc = tf.div(acc, tf.scalar(ts.length, acc.dtype));
    return [acc];
  };
}

export const logicOps: Record<string, OpImpl> = {
  Equal: compare((a, b) => a === b, (a, b) => tf.equal(a, b)),
  Greater: compare((a, b) => a > b, (a, b) => tf.greater(a, b)),
  GreaterOrEqual: compare((a, b) => a >= b, (a, b) => tf.greaterEqual(a, b)),
  Less: compare((a, b) => a < b, (a, b) => tf.less(a, b)),
  LessOrEqual: compare((a, b) => a <= b, (a, b) => tf.lessEqual(a, b)),
  Not: not,
  And: logical((a, b) => a && b, (a, b) => tf.logicalAnd(a, b)),
  Or: logical((a, b) => a || b, (a, b) => tf.logicalOr(a, b)),
  Xor: logical((a, b) => a !== b, (a, b) => tf.logicalXor(a, b)),
  Where: where,
  IsNaN: isNaNOp,
  IsInf: isInfOp,
  Sign: sign,
  Round: round,
  Mod: mod,
  Max: variadic('Max', (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)), (a, b) => tf.maximum(a, b)),
  Min: variadic('Min', (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)), (a, b) => tf.minimum(a, b)),
  Sum: variadic('Sum', (a, b) => a + b, (a, b) => tf.add(a, b)),
  Mean: variadic('Mean', (a, b) => a + b, (a, b) => tf.add(a, b)),
};
