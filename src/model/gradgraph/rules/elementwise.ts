/** Gradient rules of the elementwise math ops (unary and broadcasting binary): Sqrt, Exp, Log, Neg, Abs, Reciprocal, Erf, Pow, Add, Sum, Sub, Mul, Div, Where. */
import { FLOAT, elementwise, unbroadcast, type Rule } from './common.ts';

export const ELEMENTWISE_RULES: Record<string, Rule> = {
  Sqrt: elementwise((c, g, _x, y) => c.e.op1('Div', [c.e.op1('Mul', [g, c.e.scalar(0.5)]), y])),
  Exp: elementwise((c, g, _x, y) => c.e.op1('Mul', [g, y])),
  Log: elementwise((c, g, x) => c.e.op1('Div', [g, x])),
  Neg: elementwise((c, g) => c.e.op1('Neg', [g])),
  Abs: elementwise((c, g, x) => c.e.op1('Mul', [g, c.e.op1('Sign', [x])])),
  Reciprocal: elementwise((c, g, _x, y) => c.e.op1('Neg', [c.e.op1('Mul', [g, c.e.op1('Mul', [y, y])])])),
  Erf: elementwise((c, g, x) => {
    const e = c.e;
    const ex = e.op1('Exp', [e.op1('Neg', [e.op1('Mul', [x, x])])]);
    return e.op1('Mul', [g, e.op1('Mul', [ex, e.scalar(2 / Math.sqrt(Math.PI))])]);
  }),
  Pow: {
    diff: [0],
    backward: (c) => {
      const e = c.e;
      const [x, p0] = c.node.input!;
      const p = c.info(p0).elemType === FLOAT ? p0 : e.op1('Cast', [p0], { to: { i: FLOAT } });
      const pv = c.constValue(p0);
      let d: string;
      if (pv && pv.length === 1 && pv[0] === 2) d = e.op1('Mul', [x, e.scalar(2)]);
      else d = e.op1('Mul', [p, e.op1('Pow', [x, e.op1('Sub', [p, e.scalar(1)])])]);
      return [unbroadcast(c, e.op1('Mul', [c.gOut[0]!, d]), c.node.output![0], x)];
    },
  },

  Add: { diff: 'all', backward: (c) => c.node.input!.map((a) => (c.isDiff(a) ? unbroadcast(c, c.gOut[0]!, c.node.output![0], a) : undefined)) },
  Sum: { diff: 'all', backward: (c) => c.node.input!.map((a) => (c.isDiff(a) ? unbroadcast(c, c.gOut[0]!, c.node.output![0], a) : undefined)) },
  Sub: {
    diff: 'all',
    backward: (c) => {
      const [a, b] = c.node.input!;
      const y = c.node.output![0];
      const g = c.gOut[0]!;
      return [c.isDiff(a) ? unbroadcast(c, g, y, a) : undefined, c.isDiff(b) ? unbroadcast(c, c.e.op1('Neg', [g]), y, b) : undefined];
    },
  },
  Mul: {
    diff: 'all',
    backward: (c) => {
      const [a, b] = c.node.input!;
      const y = c.node.output![0];
      const g = c.gOut[0]!;
      return [
        c.isDiff(a) ? unbroadcast(c, c.e.op1('Mul', [g, b]), y, a) : undefined,
        c.isDiff(b) ? unbroadcast(c, c.e.op1('Mul', [g, a]), y, b) : undefined,
      ];
    },
  },
  Div: {
    diff: 'all',
    backward: (c) => {
      const [a, b] = c.node.input!;
      const y = c.node.output![0];
      const g = c.gOut[0]!;
      const e = c.e;
      return [
        c.isDiff(a) ? unbroadcast(c, e.op1('Div', [g, b]), y, a) : undefined,
        c.isDiff(b) ? unbroadcast(c, e.op1('Neg', [e.op1('Div', [e.op1('Mul', [g, y]), b])]), y, b) : undefined,
      ];
    },
  },
  Where: {
    diff: [1, 2],
    backward: (c) => {
      const [cond, a, b] = c.node.input!;
      const y = c.node.output![0];
      const g = c.gOut[0]!;
      const e = c.e;
      const z = e.scalar(0);
      return [
        undefined,
        c.isDiff(a) ? unbroadcast(c, e.op1('Where', [cond, g, z]), y, a) : undefined,
        c.isDiff(b) ? unbroadcast(c, e.op1('Where', [cond, z, g]), y, b) : undefined,
      ];
    },
  },
};
