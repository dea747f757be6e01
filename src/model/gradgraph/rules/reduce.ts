/** Gradient rules of the reductions: ReduceMean, ReduceSum (axes as attribute or input, keepdims, noop_with_empty_axes). */
import { attrInt, attrInts } from '../../onnx-io.ts';
import { rank, type Rule } from './common.ts';

function reduceBackward(mean: boolean): Rule {
  return {
    diff: [0],
    backward: (c) => {
      const x = c.node.input![0];
      const y = c.node.output![0];
      const e = c.e;
      const r = rank(c, x);
      let axes: number[] | undefined = attrInts(c.node, 'axes', undefined);
      if (!axes && c.node.input!.length > 1 && c.node.input![1]) {
        axes = c.constValue(c.node.input![1]);
        if (!axes) c.fail('axes must be a constant');
      }
      if (!axes || axes.length === 0) {
        if (attrInt(c.node, 'noop_with_empty_axes', 0) === 1) return [c.gOut[0]];
        axes = Array.from({ length: r }, (_, i) => i);
      }
      axes = axes.map((a) => (a < 0 ? a + r : a)).sort((a, b) => a - b);
      let g = c.gOut[0]!;
      if (attrInt(c.node, 'keepdims', 1) === 0) g = e.unsqueeze(g, axes);
      g = e.op1('Expand', [g, e.shape(x)]);
      if (mean) g = e.op1('Mul', [g, e.sizeRatio(y, x)]);
      return [g];
    },
  };
}

export const REDUCE_RULES: Record<string, Rule> = {
  ReduceMean: reduceBackward(true),
  ReduceSum: reduceBackward(false),
};
