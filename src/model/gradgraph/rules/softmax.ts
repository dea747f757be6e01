/** Gradient rules of Softmax and LogSoftmax. */
import { attrInt } from '../../onnx-io.ts';
import { rank, type Rule } from './common.ts';

function softmaxBackward(log: boolean): Rule {
  return {
    diff: [0],
    backward: (c) => {
      const y = c.node.output![0];
      const e = c.e;
      const r = rank(c, y);
      let axis = attrInt(c.node, 'axis', -1);
      if (axis < 0) axis += r;
      const g = c.gOut[0]!;
      if (axis !== r - 1 && c.e.opset < 13) c.fail('Softmax with axis != last before opset 13');
      if (log) {
        const s = e.reduceSum(g, [axis], true);
        return [e.op1('Sub', [g, e.op1('Mul', [e.op1('Exp', [y]), s])])];
      }
      const s = e.reduceSum(e.op1('Mul', [g, y]), [axis], true);
      return [e.op1('Mul', [y, e.op1('Sub', [g, s])])];
    },
  };
}

export const SOFTMAX_RULES: Record<string, Rule> = {
  Softmax: softmaxBackward(false),
  LogSoftmax: softmaxBackward(true),
};
