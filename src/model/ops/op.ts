/** The contract every op implementation follows. */
import type * as tf from '@tensorflow/tfjs';
import type { GraphProto, NodeProto } from '../onnx-io.ts';
import { OnnxError, UnsupportedOpError } from '../../util/errors.ts';
import type { Value } from './value.ts';
import type { BnBatchStats } from '../types.ts';

export interface OpCtx {
  node: NodeProto;
  /** Position of the node in graph.node. */
  index: number;
  /** Inputs in order; undefined for omitted optional inputs (empty names). */
  inputs: (Value | undefined)[];
  opset: number;
  training: boolean;
  updateStats: boolean;
  /** Training mode: BatchNormalization reports its batch statistics here (by node name). */
  bnStatsSink?: Map<string, BnBatchStats>;
  /** Variables by initializer name (BatchNormalization updates running statistics through this). */
  variables: Map<string, tf.Variable>;
  /**
   * Runs a subgraph of this node (an If branch) in the scope the node sees (outer names visible)
   * and returns the subgraph's outputs in order.
   */
  runSubgraph: (graph: GraphProto) => Value[];
}

export type OpImpl = (ctx: OpCtx) => (Value | undefined)[];

export function nodeRef(ctx: OpCtx): { name: string; opType: string; index: number } {
  return { name: ctx.node.name || `#${ctx.index}`, opType: ctx.node.opType ?? '', index: ctx.index };
}

export function fail(ctx: OpCtx, msg: string): never {
  throw new OnnxError(msg, nodeRef(ctx));
}

export function unsupported(ctx: OpCtx, detail: string): never {
  throw new UnsupportedOpError(nodeRef(ctx), detail);
}

export function need(ctx: OpCtx, i: number): Value {
  const v = ctx.inputs[i];
  if (v === undefined) fail(ctx, `input ${i} is required`);
  return v;
}
