/**
 * BatchNormalization (eval: running statistics; train: batch statistics, running statistics
 * updated as running = running·momentum + batch·(1 − momentum), with the UNBIASED batch variance
 * for the running variance as PyTorch does), InstanceNormalization, LayerNormalization.
 */
import * as tf from '@tensorflow/tfjs';
import { attrFloat, attrInt } from '../onnx-io.ts';
import { need, type OpCtx, type OpImpl } from './op.ts';
import { toTensor, type Value } from './value.ts';

/** [C] → [1, C, 1, ...] for an input of rank r. */
function perChannel(t: tf.Tensor, r: number): tf.Tensor {
  return tf.reshape(t, [1, t.size, ...new Array(Math.max(0, r - 2)).fill(1)]);
}

function batchNorm(ctx: OpCtx): (Value | undefined)[] {
  const x = toTensor(need(ctx, 0));
  const scale = toTensor(need(ctx, 1));
  const bias = toTensor(need(ctx, 2));
  const meanV = need(ctx, 3);
  const varV = need(ctx, 4);
  const eps = attrFloat(ctx.node, 'epsilon', 1e-5);
  const momentum = attrFloat(ctx.node, 'momentum', 0.9);
  const r = x.rank;
  const trainingAttr = ctx.opset >= 14 && attrInt(ctx.node, 'training_mode', 0) === 1;
  const training = ctx.training || trainingAttr;
  const outs = ctx.node.output ?? [];
  if (!training) {
    const k = tf.div(scale, tf.sqrt(tf.add(toTensor(varV), tf.scalar(eps))));
    const b = tf.sub(bias, tf.mul(toTensor(meanV), k));
    return [tf.add(tf.mul(x, perChannel(k, r)), perChannel(b, r))];
  }
  const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const C = x.shape[1]!;
  const n = x.size / C;
  const mean = tf.mean(x, axes, true);
  const centered = tf.sub(x, mean);
  const varB = tf.mean(tf.square(centered), axes, true);
  const y = tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(varB, tf.scalar(eps)))), perChannel(scale, r)), perChannel(bias, r));
  // running statistics (no gradient flows into them)
  const bm = tf.reshape(mean, [C]);
  const bvUnbiased = tf.mul(tf.reshape(varB, [C]), tf.scalar(n > 1 ? n / (n - 1) : 1));
  const m = tf.scalar(momentum);
  const m1 = tf.scalar(1 - momentum);
  const newMean = tf.add(tf.mul(toTensor(meanV), m), tf.mul(bm, m1));
  const newVar = tf.add(tf.mul(toTensor(varV), m), tf.mul(bvUnbiased, m1));
  if (ctx.bnStatsSink) {
    const node = ctx.node;
    ctx.bnStatsSink.set(node.name || `bn${ctx.index}`, {
      mean: Float32Array.from(bm.dataSync() as Float32Array),
      varUnbiased: Float32Array.from(bvUnbiased.dataSync() as Float32Array),
      momentum,
      meanName: node.input?.[3] ?? '',
      varName: node.input?.[4] ?? '',
    });
  }
  if (ctx.training && ctx.updateStats) {
    for (const [v, nv] of [
      [meanV, newMean],
      [varV, newVar],
    ] as [Value, tf.Tensor][]) {
      if (v instanceof tf.Variable) v.assign(nv);
    }
  }
  return [y, outs[1] ? newMean : undefined, outs[2] ? newVar : undefined];
}

function instanceNorm(ctx: OpCtx): Value[] {
  const x = toTensor(need(ctx, 0));
  const scale = toTensor(need(ctx, 1));
  const bias = toTensor(need(ctx, 2));
  const eps = attrFloat(ctx.node, 'epsilon', 1e-5);
  const axes = x.shape.map((_, i) => i).slice(2);
  const mean = tf.mean(x, axes, true);
  const c = tf.sub(x, mean);
  const v = tf.mean(tf.square(c), axes, true);
  return [tf.add(tf.mul(tf.mul(c, tf.rsqrt(tf.add(v, tf.scalar(eps)))), perChannel(scale, x.rank)), perChannel(bias, x.rank))];
}

function layerNorm(ctx: OpCtx): (Value | undefined)[] {
  const x = toTensor(need(ctx, 0));
  const scale = toTensor(need(ctx, 1));
  const bv = ctx.inputs[2];
  const eps = attrFloat(ctx.node, 'epsilon', 1e-5);
  let axis = attrInt(ctx.node, 'axis', -1);
  if (axis < 0) axis += x.rank;
  const axes = x.shape.map((_, i) => i).slice(axis);
  const mean = tf.mean(x, axes, true);
  const c = tf.sub(x, mean);
  const inv = tf.rsqrt(tf.add(tf.mean(tf.square(c), axes, true), tf.scalar(eps)));
  let y = tf.mul(tf.mul(c, inv), scale);
  if (bv !== undefined) y = tf.add(y, toTensor(bv));
  const outs = ctx.node.output ?? [];
  return [y, outs[1] ? mean : undefined, outs[2] ? inv : undefined];
}

export const normOps: Record<string, OpImpl> = {
  BatchNormalization: batchNorm,
  InstanceNormalization: instanceNorm,
  LayerNormalization: layerNorm,
};
