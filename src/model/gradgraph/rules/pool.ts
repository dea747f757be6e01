/** Gradient rules of the pooling ops: MaxPool (indices, mask and resize formulations), AveragePool, GlobalAveragePool. */
import { onnx, attrInt, attrInts, attrString, type NodeProto } from '../../onnx-io.ts';
import { FLOAT, staticDim, type BwdCtx, type Rule } from './common.ts';
import { convGeometry, outputPadding, convTransposeTo } from './conv.ts';

export const POOL_RULES: Record<string, Rule> = {
  MaxPool: {
    diff: [0],
    forward: (node, e) => {
      if (e.choices.maxPoolGrad !== 'indices' && simplePool(node)) return;
      if ((node.output ?? []).length < 2 || !node.output![1]) node.output = [node.output![0], e.fresh('maxpool_indices')];
    },
    backward: (c) => {
      if (!simplePool(c.node) || c.e.choices.maxPoolGrad === 'indices') return maxPoolIndexBackward(c);
      return c.e.choices.maxPoolGrad === 'mask' ? maxPoolMaskBackward(c) : maxPoolResizeBackward(c);
    },
  },
  AveragePool: {
    diff: [0],
    backward: (c) => {
      const x = c.node.input![0];
      const e = c.e;
      const kernel = attrInts(c.node, 'kernel_shape', [])!;
      const n = kernel.length;
      const strides = attrInts(c.node, 'strides', undefined) ?? kernel.map(() => 1);
      const dil = attrInts(c.node, 'dilations', undefined) ?? kernel.map(() => 1);
      if (dil.some((d) => d !== 1)) c.fail('dilated AveragePool');
      if (attrInt(c.node, 'ceil_mode', 0) !== 0) c.fail('ceil_mode=1');
      const pads = convGeometry(c, x, kernel, strides, dil);
      if (pads.some((p) => p !== 0) && attrInt(c.node, 'count_include_pad', 0) === 0) c.fail('padding with count_include_pad=0');
      const C = staticDim(c.info(x), 1);
      if (C === null) return c.fail('dynamic channel count');
      const kn = kernel.reduce((a, b) => a * b, 1);
      const w = e.f32(new Float32Array(C * kn).fill(1 / kn), [C, 1, ...kernel]);
      const geo = outputPadding(c, x, kernel, strides, dil, pads);
      void n;
      return [convTransposeTo(c, x, c.gOut[0]!, w, { group: { i: C }, kernel_shape: { ints: kernel }, pads: { ints: pads }, strides: { ints: strides } }, geo)];
    },
  },
  GlobalAveragePool: {
    diff: [0],
    backward: (c) => {
      const [x] = c.node.input!;
      const e = c.e;
      return [e.op1('Mul', [e.op1('Expand', [c.gOut[0]!, e.shape(x)]), e.sizeRatio(c.node.output![0], x)])];
    },
  },
};


/** Square 2-D, non-overlapping, unpadded, undilated pooling (kernel == stride): windows tile the input. */
function simplePool(node: NodeProto): boolean {
  const kernel = attrInts(node, 'kernel_shape', [])!;
  const strides = attrInts(node, 'strides', undefined) ?? kernel.map(() => 1);
  const dil = attrInts(node, 'dilations', undefined) ?? kernel.map(() => 1);
  const pads = attrInts(node, 'pads', undefined) ?? [];
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  return (
    kernel.length === 2 &&
    kernel[0] === kernel[1] &&
    kernel.every((k, i) => strides[i] === k) &&
    dil.every((d) => d === 1) &&
    pads.every((p) => p === 0) &&
    (autoPad === 'NOTSET' || autoPad === 'VALID') &&
    attrInt(node, 'ceil_mode', 0) === 0 &&
    (node.output ?? []).filter((o) => o).length === 1
  );
}

/**
 * MaxPool gradient for square 2-D tiling windows without the Indices output (which forces
 * onnxruntime's slow generic pooling kernel): SpaceToDepth views x as [N, k·k, C, Ho, Wo], so the
 * comparison with the pooled max broadcasts over an outer axis (fast); mask = (x == max), each
 * window's gradient is split equally among tied maxima (a valid subgradient that keeps the sum),
 * and DepthToSpace puts it back.
 */
function maxPoolMaskBackward(c: BwdCtx): string[] {
  const e = c.e;
  const x = c.node.input![0];
  const y = c.node.output![0];
  const k = attrInts(c.node, 'kernel_shape', [])![0];
  const xi = c.info(x);
  const ys = e.shape(y);
  const ydim = (i: number) => e.op1('Gather', [ys, e.i64([i])], { axis: { i: 0 } });
  const divisible = [2, 3].every((a) => xi.d1[a] === xi.d2[a] && xi.d1[a] % k === 0);
  const xc = divisible
    ? x
    : e.op1('Slice', [x, e.i64([0, 0]), e.op1('Concat', [2, 3].map((a) => e.op1('Mul', [ydim(a), e.i64([k])])), { axis: { i: 0 } }), e.i64([2, 3])]);
  const s2d = e.op1('SpaceToDepth', [xc], { blocksize: { i: k } });
  const shape5 = e.op1('Concat', [ydim(0), e.i64([k * k]), ydim(1), ydim(2), ydim(3)], { axis: { i: 0 } });
  const x5 = e.op1('Reshape', [s2d, shape5]);
  const y5 = e.unsqueeze(y, [1]);
  const mask = e.op1('Cast', [e.op1('Equal', [x5, y5])], { to: { i: FLOAT } });
  const cnt = e.reduceSum(mask, [1], true);
  const gr = e.op1('Div', [e.unsqueeze(c.gOut[0]!, [1]), cnt]);
  const d4 = e.op1('Reshape', [e.op1('Mul', [mask, gr]), e.shape(s2d)]);
  const dc = e.op1('DepthToSpace', [d4], { blocksize: { i: k }, mode: { s: 'DCR' } });
  if (divisible) return [dc];
  const padEnd = e.op1('Sub', [e.shape(x), e.shape(xc)]);
  const pads = e.op1('Concat', [e.i64([0, 0, 0, 0]), padEnd], { axis: { i: 0 } });
  return [e.op1('Pad', [dc, pads], { mode: { s: 'constant' } })];
}

/**
 * MaxPool gradient for square 2-D tiling windows from the pooled values alone: nearest-neighbour
 * Resize brings the max back to x's grid, mask = (x == max), an AveragePool of the mask counts the
 * tied maxima of each window, and the window gradient is split equally among them.
 */
function maxPoolResizeBackward(c: BwdCtx): string[] {
  const e = c.e;
  const x = c.node.input![0];
  const y = c.node.output![0];
  const k = attrInts(c.node, 'kernel_shape', [])![0];
  const xi = c.info(x);
  const divisible = [2, 3].every((a) => xi.d1[a] === xi.d2[a] && xi.d1[a] % k === 0);
  const ys = e.shape(y);
  const ydim = (i: number) => e.op1('Gather', [ys, e.i64([i])], { axis: { i: 0 } });
  const xc = divisible
    ? x
    : e.op1('Slice', [x, e.i64([0, 0]), e.op1('Concat', [2, 3].map((a) => e.op1('Mul', [ydim(a), e.i64([k])])), { axis: { i: 0 } }), e.i64([2, 3])]);
  const scales = e.f32([1, 1, k, k]);
  const up = (t: string) =>
    e.op1('Resize', [t, '', scales], {
      mode: { s: 'nearest' },
      coordinate_transformation_mode: { s: 'asymmetric' },
      nearest_mode: { s: 'floor' },
    });
  const mask = e.op1('Cast', [e.op1('Equal', [xc, up(y)])], { to: { i: FLOAT } });
  const frac = e.op1('AveragePool', [mask], { kernel_shape: { ints: [k, k] }, strides: { ints: [k, k] } });
  const gq = e.op1('Div', [c.gOut[0]!, e.op1('Mul', [frac, e.scalar(k * k)])]);
  const dc = e.op1('Mul', [mask, up(gq)]);
  if (divisible) return [dc];
  const padEnd = e.op1('Sub', [e.shape(x), e.shape(xc)]);
  const pads = e.op1('Concat', [e.i64([0, 0, 0, 0]), padEnd], { axis: { i: 0 } });
  return [e.op1('Pad', [dc, pads], { mode: { s: 'constant' } })];
}

/** General MaxPool gradient: scatter the output gradient to the Indices output (first maximum on ties). */
function maxPoolIndexBackward(c: BwdCtx): string[] {
  const x = c.node.input![0];
  const idx = c.node.output![1];
  const e = c.e;
  if (attrInt(c.node, 'storage_order', 0) !== 0) c.fail('storage_order=1');
  const kernel = attrInts(c.node, 'kernel_shape', [])!;
  const strides = attrInts(c.node, 'strides', undefined) ?? kernel.map(() => 1);
  const dil = attrInts(c.node, 'dilations', undefined) ?? kernel.map(() => 1);
  const overlap = kernel.some((k, i) => dil[i] * (k - 1) + 1 > strides[i]);
  const flatN = e.op1('Reshape', [e.op1('Size', [x]), e.i64([1])]);
  const zeros = e.op1('ConstantOfShape', [flatN], { value: { t: floatTensorZero() } });
  const upd = e.op1('Reshape', [c.gOut[0]!, e.i64([-1])]);
  const ind = e.op1('Reshape', [idx, e.i64([-1])]);
  const sc = e.op1('ScatterElements', [zeros, ind, upd], { axis: { i: 0 }, ...(overlap ? { reduction: { s: 'add' } } : {}) });
  return [e.reshapeLike(sc, x)];
}

function floatTensorZero() {
  return onnx.TensorProto.create({ dims: [1], dataType: FLOAT, floatData: [0] });
}
