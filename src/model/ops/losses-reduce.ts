/**
 * Loss ops: NegativeLogLikelihoodLoss (opset 12/13) and SoftmaxCrossEntropyLoss (opset 12/13), with
 * class weights, ignore_index, reduction none/sum/mean, N-D inputs ([N, C, d1, ..., dk]) and
 * SoftmaxCrossEntropyLoss's optional log_prob output. Computed with tfjs ops (class selection by a
 * one-hot mask) so that gradients flow to the scores / log-probabilities through tfjs autodiff.
 * The reductions (ReduceProd, ReduceL1, ReduceL2, ReduceLogSum, ...) live in reduce.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { attr, attrInt, attrString } from '../onnx-io.ts';
import { fail, need, unsupported, type OpCtx, type OpImpl } from './op.ts';
import { dimsOf, isConst, size, toTensor, type Value } from './value.ts';

type Reduction = 'none' | 'sum' | 'mean';

function reductionOf(ctx: OpCtx): Reduction {
  const r = attrString(ctx.node, 'reduction', 'mean');
  if (r !== 'none' && r !== 'sum' && r !== 'mean') unsupported(ctx, `reduction '${r}' is not supported (none, sum, mean)`);
  return r;
}

/**
 * Moves the class axis (1) last and flattens: [N, C, d1..dk] → [N*d1*..*dk, C]. Goes through rank 3
 * ([N, C, D]) so that the transpose stays within the wasm backend's rank limit (XNNPACK: 6).
 */
function classLast(x: tf.Tensor): tf.Tensor2D {
  const [n, c] = x.shape;
  if (x.rank === 2) return x as tf.Tensor2D;
  const d = size(x.shape.slice(2));
  return tf.reshape(tf.transpose(tf.reshape(x, [n, c, d]), [0, 2, 1]), [n * d, c]);
}

/** Log-softmax over the class axis (1) of [N, C, d1..dk] (through rank 3, see classLast). */
function logSoftmaxClasses(x: tf.Tensor): tf.Tensor {
  if (x.rank === 2) return tf.logSoftmax(x);
  const [n, c] = x.shape;
  const d = size(x.shape.slice(2));
  const y = tf.logSoftmax(tf.transpose(tf.reshape(x, [n, c, d]), [0, 2, 1]));
  return tf.reshape(tf.transpose(y, [0, 2, 1]), x.shape);
}

/**
 * The NLL loss of log-probabilities `logp` ([N, C, d1..dk]) against integer targets ([N, d1..dk]),
 * following the ONNX definition: loss[i] = -logp[i, t[i]] * w[t[i]], 0 where t[i] == ignore_index;
 * 'mean' divides the sum by the total weight of the targets not ignored.
 */
function nll(ctx: OpCtx, logp: tf.Tensor, targetV: Value, weightV: Value | undefined, reduction: Reduction): tf.Tensor {
  if (logp.rank < 2) fail(ctx, `input must have rank >= 2 ([N, C, ...]), got shape [${logp.shape}]`);
  const c = logp.shape[1] ?? 0;
  const tDims = dimsOf(targetV);
  const expect = [logp.shape[0], ...logp.shape.slice(2)];
  if (tDims.length !== expect.length || tDims.some((d, i) => d !== expect[i])) {
    fail(ctx, `target shape [${tDims}] does not match input shape [${logp.shape}] (expected [${expect}])`);
  }
  if (isConst(targetV) && targetV.dtype === 'float32') fail(ctx, 'target must be an integer tensor');
  let t = toTensor(targetV);
  if (t.dtype !== 'int32') fail(ctx, `target must be an integer tensor, got ${t.dtype}`);
  t = tf.reshape(t, [size(tDims)]);

  const iiAttr = attr(ctx.node, 'ignore_index');
  const ii = iiAttr ? attrInt(ctx.node, 'ignore_index', 0) : undefined;
  // targets out of [0, C) are only allowed where they equal ignore_index (ONNX leaves others undefined)
  const inRange = tf.logicalAnd(tf.greaterEqual(t, tf.scalar(0, 'int32')), tf.less(t, tf.scalar(c, 'int32')));
  const valid = ii === undefined ? inRange : tf.logicalAnd(inRange, tf.notEqual(t, tf.scalar(ii, 'int32')));
  const bad = tf.logicalAnd(tf.logicalNot(inRange), ii === undefined ? tf.onesLike(inRange) : tf.notEqual(t, tf.scalar(ii, 'int32')));
  if (tf.any(bad).dataSync()[0]) fail(ctx, `target has class indices outside [0, ${c}) that are not ignore_index`);
  const safe = tf.where(valid, t, tf.zerosLike(t));
  const validF = tf.cast(valid, 'float32');

  let w: tf.Tensor = validF;
  if (weightV) {
    const wt = toTensor(weightV);
    if (wt.rank !== 1 || wt.shape[0] !== c) fail(ctx, `weight must have shape [${c}], got [${wt.shape}]`);
    w = tf.mul(tf.gather(wt.dtype === 'float32' ? wt : tf.cast(wt, 'float32'), safe), validF);
  }
  const lp = classLast(logp.dtype === 'float32' ? logp : tf.cast(logp, 'float32'));
  const picked = tf.sum(tf.mul(lp, tf.oneHot(safe, c)), 1);
  const loss = tf.neg(tf.mul(picked, w));
  if (reduction === 'none') return tf.reshape(loss, tDims.slice());
  if (reduction === 'sum') return tf.sum(loss);
  return tf.div(tf.sum(loss), tf.sum(w));
}

function negativeLogLikelihoodLoss(ctx: OpCtx): Value[] {
  const x = toTensor(need(ctx, 0));
  return [nll(ctx, x, need(ctx, 1), ctx.inputs[2], reductionOf(ctx))];
}

function softmaxCrossEntropyLoss(ctx: OpCtx): (Value | undefined)[] {
  const x = toTensor(need(ctx, 0));
  if (x.rank < 2) fail(ctx, `scores must have rank >= 2 ([N, C, ...]), got shape [${x.shape}]`);
  const xf = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
  const logp = logSoftmaxClasses(xf);
  const loss = nll(ctx, logp, need(ctx, 1), ctx.inputs[2], reductionOf(ctx));
  const outs = ctx.node.output ?? [];
  const wantLogProb = outs.length > 1 && !!outs[1];
  return [loss, wantLogProb ? logp : undefined];
}

export const lossesReduceOps: Record<string, OpImpl> = {
  NegativeLogLikelihoodLoss: negativeLogLikelihoodLoss,
  SoftmaxCrossEntropyLoss: softmaxCrossEntropyLoss,
};
