/** Gradient rule of BatchNormalization in eval mode (running statistics: an affine map of x). */
import { attrInt, attrFloat } from '../../onnx-io.ts';
import { rank, type Rule } from './common.ts';

export const NORM_RULES: Record<string, Rule> = {
  BatchNormalization: {
    diff: [0],
    backward: (c) => {
      if (attrInt(c.node, 'training_mode', 0) === 1) c.fail('training_mode=1 (the gradient graph is eval mode)');
      const [x, scale, , , variance] = c.node.input!;
      const e = c.e;
      const eps = attrFloat(c.node, 'epsilon', 1e-5);
      const s = e.op1('Div', [scale, e.op1('Sqrt', [e.op1('Add', [variance, e.scalar(eps)])])]);
      const r = rank(c, x);
      const C = c.info(scale).d1[0];
      const sr = r > 2 ? e.op1('Reshape', [s, e.i64([C, ...new Array(r - 2).fill(1)])]) : s;
      return [e.op1('Mul', [c.gOut[0]!, sr])];
    },
  },
};
