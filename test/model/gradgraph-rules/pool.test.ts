/**
 * Finite-difference checks of the pooling rules (rules/pool.ts): MaxPool by indices (scatter; add
 * on overlapping windows), mask and resize (tiling 2-D windows, divisible or cropped sizes, dynamic
 * axes), AveragePool (ConvTranspose of a uniform kernel, pads with count_include_pad, auto_pad,
 * stride remainders, dynamic crop), GlobalAveragePool.
 */
import { test } from 'node:test';
import { opTest, checkGrad, node, spread } from './helpers.ts';
import type { AttrValue, MaxPoolGrad } from '../../../src/model/gradgraph/builder.ts';

interface PoolCase {
  op: string;
  x: (number | string)[];
  shape?: number[];
  attrs?: Record<string, AttrValue>;
  maxPoolGrad?: MaxPoolGrad;
  sumAxis?: number;
  opset?: number;
}

async function pool(c: PoolCase): Promise<void> {
  const nodes = [node(c.op, ['x'], ['o'], c.attrs ?? {}), node('Tanh', ['o'], ['y'])];
  await checkGrad({
    nodes,
    xDims: c.x,
    shape: c.shape,
    out: 'y',
    sumAxis: c.sumAxis,
    opset: c.opset,
    x: (rng, n) => spread(rng, n, 2),
    eps: 1e-3,
    opts: c.maxPoolGrad ? { maxPoolGrad: c.maxPoolGrad } : {},
  });
}

// Overlapping MaxPool windows scatter with ScatterElements(reduction='add') (opset 16): the VJP graph
// declares opset max(source, 16); the last test checks it on an opset-13 model.
const K2 = { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } };
for (const g of ['indices', 'mask', 'resize'] as const) {
  opTest('MaxPool', `tiling 2×2 / stride 2, divisible sizes, maxPoolGrad '${g}'`, () => pool({ op: 'MaxPool', x: [2, 2, 4, 6], attrs: K2, maxPoolGrad: g }));
  opTest('MaxPool', `tiling 3×3 / stride 3, sizes 7×5 (windows cropped), maxPoolGrad '${g}'`, () =>
    pool({ op: 'MaxPool', x: [2, 2, 7, 5], attrs: { kernel_shape: { ints: [3, 3] }, strides: { ints: [3, 3] } }, maxPoolGrad: g }),
  );
  opTest('MaxPool', `tiling 2×2 on a dynamic axis (odd length), maxPoolGrad '${g}'`, () =>
    pool({ op: 'MaxPool', x: [2, 2, 'H', 4], shape: [2, 2, 5, 4], attrs: K2, maxPoolGrad: g, sumAxis: 2 }),
  );
}
opTest('MaxPool', 'overlapping 3×3 / stride 1, pads 1 (not tiling: indices with scatter-add even when mask is asked)', () =>
  pool({ op: 'MaxPool', x: [2, 2, 4, 5], attrs: { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } }, maxPoolGrad: 'mask', opset: 16 }),
);
opTest('MaxPool', 'dilations 2, strides 2, 2×2 kernel', () =>
  pool({ op: 'MaxPool', x: [2, 2, 6, 6], attrs: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] }, dilations: { ints: [2, 2] } }, maxPoolGrad: 'resize', opset: 16 }),
);
opTest('MaxPool', 'ceil_mode 1, 2×2 / stride 2 on 5×5', () => pool({ op: 'MaxPool', x: [2, 2, 5, 5], attrs: { ...K2, ceil_mode: { i: 1 } }, maxPoolGrad: 'mask' }));
opTest('MaxPool', 'non-square 2×3 kernel, strides [2, 3]', () =>
  pool({ op: 'MaxPool', x: [2, 2, 4, 6], attrs: { kernel_shape: { ints: [2, 3] }, strides: { ints: [2, 3] } }, maxPoolGrad: 'mask' }),
);
opTest('MaxPool', '1-D, kernel 3 / stride 2, dynamic axis', () => pool({ op: 'MaxPool', x: [2, 2, 'T'], shape: [2, 2, 9], attrs: { kernel_shape: { ints: [3] }, strides: { ints: [2] } }, sumAxis: 2, opset: 16 }));

opTest('AveragePool', '2×2 / stride 2', () => pool({ op: 'AveragePool', x: [2, 2, 4, 6], attrs: K2 }));
opTest('AveragePool', '3×3 / stride 1, pads 1, count_include_pad 1', () =>
  pool({ op: 'AveragePool', x: [2, 2, 4, 5], attrs: { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] }, count_include_pad: { i: 1 } } }),
);
opTest('AveragePool', '3×2 / strides [2, 3] with remainders (7×8)', () =>
  pool({ op: 'AveragePool', x: [2, 2, 7, 8], attrs: { kernel_shape: { ints: [3, 2] }, strides: { ints: [2, 3] } } }),
);
opTest('AveragePool', 'auto_pad SAME_UPPER, stride 2, count_include_pad 1', () =>
  pool({ op: 'AveragePool', x: [2, 2, 5, 6], attrs: { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, auto_pad: { s: 'SAME_UPPER' }, count_include_pad: { i: 1 } } }),
);
for (const T of [9, 10]) {
  opTest('AveragePool', `1-D kernel 3 / stride 2 on a dynamic axis, T = ${T} (cropped)`, () =>
    pool({ op: 'AveragePool', x: [2, 3, 'T'], shape: [2, 3, T], attrs: { kernel_shape: { ints: [3] }, strides: { ints: [2] } }, sumAxis: 2 }),
  );
}

opTest('GlobalAveragePool', '2-D [2, 3, 4, 5]', () => pool({ op: 'GlobalAveragePool', x: [2, 3, 4, 5] }));
opTest('GlobalAveragePool', '1-D on a dynamic axis', () => pool({ op: 'GlobalAveragePool', x: [2, 3, 'T'], shape: [2, 3, 7] }));

opTest('MaxPool', 'overlapping windows in an opset-13 model (the VJP graph declares the opset it emits)', () =>
  pool({ op: 'MaxPool', x: [2, 2, 4, 5], attrs: { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } }, opset: 13 }),
);
