/** Ops whose outputs are integer/boolean or constant almost everywhere: no gradient flows through them. */
import type { Rule } from './common.ts';

const nonDiff: Rule = { diff: [], zeroGrad: true };

export const NONDIFF_RULES: Record<string, Rule> = {
  Shape: nonDiff,
  Size: nonDiff,
  Constant: nonDiff,
  ConstantOfShape: nonDiff,
  Range: nonDiff,
  Sign: nonDiff,
  Floor: nonDiff,
  Ceil: nonDiff,
  Round: nonDiff,
  Equal: nonDiff,
  Greater: nonDiff,
  Less: nonDiff,
  GreaterOrEqual: nonDiff,
  LessOrEqual: nonDiff,
  Not: nonDiff,
  ArgMax: nonDiff,
  ArgMin: nonDiff,
};
