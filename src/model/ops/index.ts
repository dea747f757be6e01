/** The op registry: ONNX op type (default domain) → implementation. */
import { controlFlowOps } from './control-flow.ts';
import { convOps } from './conv.ts';
import { elementwiseOps } from './elementwise.ts';
import { indexingOps } from './indexing.ts';
import { linearOps } from './linear.ts';
import { logicOps } from './logic.ts';
import { lossesReduceOps } from './losses-reduce.ts';
import { normOps } from './norm.ts';
import type { OpImpl } from './op.ts';
import { poolOps } from './pool.ts';
import { reduceOps } from './reduce.ts';
import { rnnOps } from './rnn.ts';
import { shapeOps } from './shape.ts';
import { unaryMathOps } from './unary-math.ts';

export const OPS: Record<string, OpImpl> = {
  ...elementwiseOps,
  ...shapeOps,
  ...reduceOps,
  ...linearOps,
  ...convOps,
  ...poolOps,
  ...normOps,
  ...rnnOps,
  ...logicOps,
  ...unaryMathOps,
  ...indexingOps,
  ...lossesReduceOps,
  ...controlFlowOps,
};

export function supportedOps(): string[] {
  return Object.keys(OPS).sort();
}
