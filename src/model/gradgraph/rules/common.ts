/**
 * Reverse-mode rules, one per ONNX op, written as ONNX ops (eval mode). Each rule says which
 * inputs may carry a gradient and, given the output gradients, emits the input gradients.
 * Shapes come from two probe runs of the model (static dims agree in both; dynamic ones differ),
 * so broadcasting and stride remainders are resolved at build time where they are static and with
 * Shape/Size ops where they are not.
 *
 * This file: the rule interfaces and the helpers shared by the op families (rules/*.ts).
 */
import { onnx, type NodeProto } from '../../onnx-io.ts';
import type { GraphEmitter } from '../builder.ts';

export interface TensorInfo {
  /** Dims in the two probe runs. */
  d1: number[];
  d2: number[];
  /** ONNX elem type. */
  elemType: number;
}

export interface BwdCtx {
  node: NodeProto;
  e: GraphEmitter;
  /** Gradient of each output (undefined: no gradient flows into it). */
  gOut: (string | undefined)[];
  isDiff(name: string): boolean;
  info(name: string): TensorInfo;
  /** Value of a constant int/float tensor (initializer or Constant node), or undefined. */
  constValue(name: string): number[] | undefined;
  /** Throw UnsupportedOpError for this node. */
  fail(detail: string): never;
}

export interface Rule {
  /** Input indices through which a gradient may flow ('all': every input). */
  diff: number[] | 'all';
  /** The outputs are constant almost everywhere (integer/boolean results, Floor, Sign...): no gradient. */
  zeroGrad?: boolean;
  /** Returns the gradient of each input (undefined where none is needed). */
  backward?(c: BwdCtx): (string | undefined)[];
  /** Forward-node rewrite (e.g. MaxPool also outputs Indices); returns extra outputs. */
  forward?(node: NodeProto, e: GraphEmitter): void;
}

export const FLOAT = onnx.TensorProto.DataType.FLOAT;

/** Sum g (shaped like `out`) over broadcast axes so it has the shape of `target`. */
export function unbroadcast(c: BwdCtx, g: string, out: string, target: string): string {
  const o = c.info(out);
  const t = c.info(target);
  const ro = o.d1.length;
  const rt = t.d1.length;
  const axes: number[] = [];
  for (let i = 0; i < ro; i++) {
    const j = i - (ro - rt);
    if (j < 0) {
      axes.push(i);
      continue;
    }
    const tOne = t.d1[j] === 1 && t.d2[j] === 1;
    const oBig = o.d1[i] !== 1 || o.d2[i] !== 1;
    if (tOne && oBig) axes.push(i);
  }
  if (axes.length === 0 && ro === rt) return g;
  const r = axes.length ? c.e.reduceSum(g, axes, true) : g;
  return c.e.reshapeLike(r, target);
}

export function rank(c: BwdCtx, name: string): number {
  return c.info(name).d1.length;
}

/** Static dim (same in both probes) or null. */
export function staticDim(i: TensorInfo, k: number): number | null {
  return i.d1[k] === i.d2[k] ? i.d1[k] : null;
}

export function elementwise(f: (c: BwdCtx, g: string, x: string, y: string) => string): Rule {
  return { diff: [0], backward: (c) => [f(c, c.gOut[0]!, c.node.input![0], c.node.output![0])] };
}
