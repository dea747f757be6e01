/** Gradient rules of the activation functions: Relu, LeakyRelu, Sigmoid, Tanh, Softplus, Clip. */
import { attrFloat } from '../../onnx-io.ts';
import { elementwise, type Rule } from './common.ts';

export const ACTIVATION_RULES: Record<string, Rule> = {
  Relu: elementwise((c, g, _x, y) => c.e.op1('Where', [c.e.op1('Greater', [y, c.e.scalar(0)]), g, c.e.scalar(0)])),
  LeakyRelu: elementwise((c, g, x) => {
    const a = attrFloat(c.node, 'alpha', 0.01);
    return c.e.op1('Where', [c.e.op1('Greater', [x, c.e.scalar(0)]), g, c.e.op1('Mul', [g, c.e.scalar(a)])]);
  }),
  Sigmoid: elementwise((c, g, _x, y) => c.e.op1('Mul', [g, c.e.op1('Mul', [y, c.e.op1('Sub', [c.e.scalar(1), y])])])),
  Tanh: elementwise((c, g, _x, y) => c.e.op1('Mul', [g, c.e.op1('Sub', [c.e.scalar(1), c.e.op1('Mul', [y, y])])])),
  Softplus: elementwise((c, g, x) => c.e.op1('Mul', [g, c.e.op1('Sigmoid', [x])])),
  Clip: {
    diff: [0],
    backward: (c) => {
      const e = c.e;
      const [x, lo, hi] = c.node.input!;
      let mask: string | undefined;
      if (lo) mask = e.op1('GreaterOrEqual', [x, lo]);
      if (hi) {
        const m2 = e.op1('LessOrEqual', [x, hi]);
        mask = mask ? e.op1('And', [mask, m2]) : m2;
      }
      return [mask ? e.op1('Where', [mask, c.gOut[0]!, e.scalar(0)]) : c.gOut[0]];
    },
  },
};
