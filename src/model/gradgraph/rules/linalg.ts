/** Gradient rules of the matrix products: MatMul, Gemm (alpha, beta, transA, transB). */
import { attrInt, attrFloat } from '../../onnx-io.ts';
import { unbroadcast, rank, type Rule } from './common.ts';

export const LINALG_RULES: Record<string, Rule> = {
  MatMul: {
    diff: 'all',
    backward: (c) => {
      const [a, b] = c.node.input!;
      const y = c.node.output![0];
      const g = c.gOut[0]!;
      const e = c.e;
      const ra = rank(c, a);
      const rb = rank(c, b);
      if (ra < 2 || rb < 2) c.fail('MatMul gradient with a 1-D operand');
      const swap = (r: number) => ({ perm: { ints: [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2] } });
      return [
        c.isDiff(a) ? unbroadcast(c, e.op1('MatMul', [g, e.op1('Transpose', [b], swap(rb))]), y, a) : undefined,
        c.isDiff(b) ? unbroadcast(c, e.op1('MatMul', [e.op1('Transpose', [a], swap(ra)), g]), y, b) : undefined,
      ];
    },
  },
  Gemm: {
    diff: 'all',
    backward: (c) => {
      const [a, b, cc] = c.node.input!;
      const y = c.node.output![0];
      const g = c.gOut[0]!;
      const e = c.e;
      const alpha = attrFloat(c.node, 'alpha', 1);
      const beta = attrFloat(c.node, 'beta', 1);
      const tA = attrInt(c.node, 'transA', 0);
      const tB = attrInt(c.node, 'transB', 0);
      const al = { alpha: { f: alpha } };
      let da: string | undefined;
      let db: string | undefined;
      let dc: string | undefined;
      if (c.isDiff(a)) {
        da = tA === 0 ? e.op1('Gemm', [g, b], { ...al, transB: { i: 1 - tB } }) : e.op1('Gemm', [b, g], { ...al, transA: { i: tB }, transB: { i: 1 } });
      }
      if (c.isDiff(b)) {
        db = tB === 0 ? e.op1('Gemm', [a, g], { ...al, transA: { i: 1 - tA } }) : e.op1('Gemm', [g, a], { ...al, transA: { i: 1 }, transB: { i: tA } });
      }
      if (cc && c.isDiff(cc)) dc = unbroadcast(c, beta === 1 ? g : e.op1('Mul', [g, e.scalar(beta)]), y, cc);
      return [da, db, dc];
    },
  },
};
