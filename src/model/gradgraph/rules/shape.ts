/** Gradient rules of the shape and data-movement ops: identity-like, reshapes, Expand, Transpose, Concat, Split, Pad, Slice, Gather. */
import { attrInt, attrInts, attrString } from '../../onnx-io.ts';
import { unbroadcast, rank, staticDim, type Rule } from './common.ts';

const identity: Rule = { diff: [0], backward: (c) => [c.gOut[0]] };
const reshapeBack: Rule = { diff: [0], backward: (c) => [c.gOut[0] && c.e.reshapeLike(c.gOut[0], c.node.input![0])] };

export const SHAPE_RULES: Record<string, Rule> = {
  Identity: identity,
  Dropout: identity,
  Cast: identity,
  Flatten: reshapeBack,
  Reshape: reshapeBack,
  Squeeze: reshapeBack,
  Unsqueeze: reshapeBack,
  Expand: { diff: [0], backward: (c) => [unbroadcast(c, c.gOut[0]!, c.node.output![0], c.node.input![0])] },
  Transpose: {
    diff: [0],
    backward: (c) => {
      const r = rank(c, c.node.input![0]);
      const perm = attrInts(c.node, 'perm', undefined) ?? Array.from({ length: r }, (_, i) => r - 1 - i);
      const inv = new Array<number>(r);
      perm.forEach((p, i) => (inv[p] = i));
      return [c.e.op1('Transpose', [c.gOut[0]!], { perm: { ints: inv } })];
    },
  },
  Concat: {
    diff: 'all',
    backward: (c) => {
      const e = c.e;
      const ins = c.node.input!;
      const r = rank(c, ins[0]);
      let axis = attrInt(c.node, 'axis', 0);
      if (axis < 0) axis += r;
      const sizes = ins.map((a) => staticDim(c.info(a), axis));
      let split: string;
      if (sizes.every((s) => s !== null)) split = e.i64(sizes as number[]);
      else split = e.op1('Concat', ins.map((a) => e.op1('Gather', [e.shape(a), e.i64([axis])], { axis: { i: 0 } })), { axis: { i: 0 } });
      const parts = e.op('Split', [c.gOut[0]!, split], { axis: { i: axis } }, ins.length, 'split');
      return ins.map((a, i) => (c.isDiff(a) ? parts[i] : undefined));
    },
  },
  Split: {
    diff: [0],
    backward: (c) => {
      const e = c.e;
      const x = c.node.input![0];
      let axis = attrInt(c.node, 'axis', 0);
      if (axis < 0) axis += rank(c, x);
      const gs = c.node.output!.map((y, i) => c.gOut[i] ?? e.zerosLike(y));
      return [e.op1('Concat', gs, { axis: { i: axis } })];
    },
  },
  Pad: {
    diff: [0],
    backward: (c) => {
      const e = c.e;
      const [x, padsName, , axesName] = c.node.input!;
      if (attrString(c.node, 'mode', 'constant') !== 'constant') c.fail(`mode=${attrString(c.node, 'mode', 'constant')}`);
      if (axesName) c.fail('Pad with an axes input');
      const pads = c.constValue(padsName);
      if (!pads) return c.fail('pads must be a constant');
      if (pads.some((p) => p < 0)) c.fail('negative pads');
      const r = rank(c, x);
      const starts = pads.slice(0, r);
      const ends = pads.slice(r).map((p) => (p === 0 ? 2 ** 62 : -p));
      return [e.op1('Slice', [c.gOut[0]!, e.i64(starts), e.i64(ends), e.i64(Array.from({ length: r }, (_, i) => i))])];
    },
  },
  Slice: {
    diff: [0],
    backward: (c) => {
      const e = c.e;
      const [x, sN, eN, aN, stN] = c.node.input!;
      const xi = c.info(x);
      const r = xi.d1.length;
      const starts = c.constValue(sN);
      const ends = c.constValue(eN);
      const axes = aN ? c.constValue(aN) : starts?.map((_, i) => i);
      const steps = stN ? c.constValue(stN) : starts?.map(() => 1);
      if (!starts || !ends || !axes || !steps) return c.fail('starts/ends/axes/steps must be constants');
      if (steps.some((s) => s !== 1)) c.fail('steps other than 1');
      const pads = new Array(2 * r).fill(0);
      axes.forEach((a0, i) => {
        const a = a0 < 0 ? a0 + r : a0;
        const d = staticDim(xi, a);
        const clamp = (v: number, dim: number) => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
        if (d !== null) {
          const s = clamp(starts[i], d);
          const en = Math.max(clamp(ends[i], d), s);
          pads[a] = s;
          pads[a + r] = d - en;
        } else if (starts[i] >= 0 && ends[i] >= 2 ** 31 - 1) {
          pads[a] = starts[i];
        } else {
          c.fail('slice of a dynamic axis other than [start:] ');
        }
      });
      return [e.op1('Pad', [c.gOut[0]!, e.i64(pads)], { mode: { s: 'constant' } })];
    },
  },
  Gather: { diff: [] as number[], backward: undefined },
};
