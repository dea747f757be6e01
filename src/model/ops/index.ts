/** The op registry: ONNX op type (default domain) → implementation. */
import { controlFlowOps } from './control-flow.ts';
import { convOps } from './conv.ts';
import { convTransposeOps } from './convtranspose.ts';
import { elementwiseOps } from './elementwise.ts';
import { indexingOps } from './indexing.ts';
import { linearOps } from './linear.ts';
import { logicOps } from './logic.ts';
import { lossesReduceOps } from './losses-reduce.ts';
import { normOps } from './norm.ts';
import type { OpImpl } from './op.ts';
import { poolOps } from './pool.ts';
import { reduceOps } from './reduce.ts';
import { resizeOps } from './resize.ts';
import { rnnOps } from './rnn.ts';
import { shapeOps } from './shape.ts';
import { signalMiscOps } from './signal-misc.ts';
import { unaryMathOps } from './unary-math.ts';

/** The op families, one file each (the family name is the file's name). */
const FAMILIES: Record<string, Record<string, OpImpl>> = {
  elementwise: elementwiseOps,
  shape: shapeOps,
  reduce: reduceOps,
  linear: linearOps,
  conv: convOps,
  convtranspose: convTransposeOps,
  pool: poolOps,
  norm: normOps,
  rnn: rnnOps,
  logic: logicOps,
  'unary-math': unaryMathOps,
  indexing: indexingOps,
  'losses-reduce': lossesReduceOps,
  'control-flow': controlFlowOps,
  resize: resizeOps,
  'signal-misc': signalMiscOps,
};

export const OPS: Record<string, OpImpl> = Object.assign({}, ...Object.values(FAMILIES)) as Record<string, OpImpl>;

/** Op type → the family (ops/ file) that implements it; undefined for ops the importer does not run. */
export function opFamily(opType: string): string | undefined {
  for (const [name, ops] of Object.entries(FAMILIES)) if (Object.hasOwn(ops, opType)) return name;
  return undefined;
}

export function supportedOps(): string[] {
  return Object.keys(OPS).sort();
}
