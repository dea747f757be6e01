/**
 * The gradient-rule table: one reverse-mode rule per ONNX op (see common.ts), assembled from the
 * op families of this folder. The key order is that of the former single-file table.
 */
import type { Rule } from './common.ts';
import { SHAPE_RULES } from './shape.ts';
import { NONDIFF_RULES } from './nondiff.ts';
import { ACTIVATION_RULES } from './activation.ts';
import { ELEMENTWISE_RULES } from './elementwise.ts';
import { LINALG_RULES } from './linalg.ts';
import { CONV_RULES } from './conv.ts';
import { POOL_RULES } from './pool.ts';
import { NORM_RULES } from './norm.ts';
import { REDUCE_RULES } from './reduce.ts';
import { SOFTMAX_RULES } from './softmax.ts';

export { unbroadcast, type TensorInfo, type BwdCtx, type Rule } from './common.ts';

export const RULES: Record<string, Rule> = {
  Identity: SHAPE_RULES.Identity,
  Dropout: SHAPE_RULES.Dropout,
  Cast: SHAPE_RULES.Cast,
  Flatten: SHAPE_RULES.Flatten,
  Reshape: SHAPE_RULES.Reshape,
  Squeeze: SHAPE_RULES.Squeeze,
  Unsqueeze: SHAPE_RULES.Unsqueeze,
  Shape: NONDIFF_RULES.Shape,
  Size: NONDIFF_RULES.Size,
  Constant: NONDIFF_RULES.Constant,
  ConstantOfShape: NONDIFF_RULES.ConstantOfShape,
  Range: NONDIFF_RULES.Range,
  Sign: NONDIFF_RULES.Sign,
  Floor: NONDIFF_RULES.Floor,
  Ceil: NONDIFF_RULES.Ceil,
  Round: NONDIFF_RULES.Round,
  Equal: NONDIFF_RULES.Equal,
  Greater: NONDIFF_RULES.Greater,
  Less: NONDIFF_RULES.Less,
  GreaterOrEqual: NONDIFF_RULES.GreaterOrEqual,
  LessOrEqual: NONDIFF_RULES.LessOrEqual,
  Not: NONDIFF_RULES.Not,
  ArgMax: NONDIFF_RULES.ArgMax,
  ArgMin: NONDIFF_RULES.ArgMin,
  Relu: ACTIVATION_RULES.Relu,
  LeakyRelu: ACTIVATION_RULES.LeakyRelu,
  Sigmoid: ACTIVATION_RULES.Sigmoid,
  Tanh: ACTIVATION_RULES.Tanh,
  Sqrt: ELEMENTWISE_RULES.Sqrt,
  Exp: ELEMENTWISE_RULES.Exp,
  Log: ELEMENTWISE_RULES.Log,
  Neg: ELEMENTWISE_RULES.Neg,
  Abs: ELEMENTWISE_RULES.Abs,
  Reciprocal: ELEMENTWISE_RULES.Reciprocal,
  Softplus: ACTIVATION_RULES.Softplus,
  Erf: ELEMENTWISE_RULES.Erf,
  Clip: ACTIVATION_RULES.Clip,
  Pow: ELEMENTWISE_RULES.Pow,
  Add: ELEMENTWISE_RULES.Add,
  Sum: ELEMENTWISE_RULES.Sum,
  Sub: ELEMENTWISE_RULES.Sub,
  Mul: ELEMENTWISE_RULES.Mul,
  Div: ELEMENTWISE_RULES.Div,
  Where: ELEMENTWISE_RULES.Where,
  Expand: SHAPE_RULES.Expand,
  MatMul: LINALG_RULES.MatMul,
  Gemm: LINALG_RULES.Gemm,
  Conv: CONV_RULES.Conv,
  BatchNormalization: NORM_RULES.BatchNormalization,
  MaxPool: POOL_RULES.MaxPool,
  AveragePool: POOL_RULES.AveragePool,
  GlobalAveragePool: POOL_RULES.GlobalAveragePool,
  ReduceMean: REDUCE_RULES.ReduceMean,
  ReduceSum: REDUCE_RULES.ReduceSum,
  Transpose: SHAPE_RULES.Transpose,
  Concat: SHAPE_RULES.Concat,
  Split: SHAPE_RULES.Split,
  Pad: SHAPE_RULES.Pad,
  Slice: SHAPE_RULES.Slice,
  Softmax: SOFTMAX_RULES.Softmax,
  LogSoftmax: SOFTMAX_RULES.LogSoftmax,
  Gather: SHAPE_RULES.Gather,
};

