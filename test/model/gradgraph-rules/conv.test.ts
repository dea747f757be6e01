/**
 * Finite-difference checks of the Conv rule (rules/conv.ts): input gradient as a Conv of flipped
 * weights or a ConvTranspose (output_padding, crop on dynamic axes), weight gradient by im2col
 * (batched MatMul and Gemm branches), im2col-gemm and conv formulations, groups, strides,
 * dilations, asymmetric pads, auto_pad, 1-D and 2-D, bias.
 */
import { opTest, checkGrad, node, randTensor, Rng } from './helpers.ts';
import type { AttrValue } from '../../../src/model/gradgraph/builder.ts';
import type { VjpOrtOptions } from '../../../src/model/vjp-ort.ts';

interface ConvCase {
  x: (number | string)[];
  shape?: number[];
  w: number[];
  bias?: boolean;
  attrs?: Record<string, AttrValue>;
  opts?: Partial<VjpOrtOptions>;
  sumAxis?: number;
}

async function conv(c: ConvCase): Promise<void> {
  const rng = new Rng(c.w.reduce((a, b) => a * 7 + b, 1) % 1000);
  const inits = [randTensor(rng, 'w', c.w, 0.5)];
  if (c.bias !== false) inits.push(randTensor(rng, 'b', [c.w[0]], 0.5));
  const nodes = [node('Conv', c.bias !== false ? ['x', 'w', 'b'] : ['x', 'w'], ['o'], c.attrs ?? {}), node('Tanh', ['o'], ['y'])];
  await checkGrad({ nodes, inits, xDims: c.x, shape: c.shape, out: 'y', sumAxis: c.sumAxis, expectGrads: c.bias !== false ? ['w', 'b'] : ['w'], opts: c.opts, maxElems: 40 });
}

const P1 = { pads: { ints: [1, 1, 1, 1] } };
opTest('Conv', '2-D 3×3, pads 1, stride 1, few channels: dX by ConvTranspose; dW im2col (batched MatMul branch)', () => conv({ x: [2, 2, 5, 6], w: [3, 2, 3, 3], attrs: P1 }));
opTest('Conv', '2-D 3×3, pads 1, stride 1: dX by Conv of flipped weights (convGradMinChannels 1)', () => conv({ x: [2, 2, 5, 6], w: [3, 2, 3, 3], attrs: P1, opts: { convGradMinChannels: 1 } }));
opTest('Conv', 'group 2, stride 1: dX by grouped flipped-weight Conv; dW by per-group Conv', () =>
  conv({ x: [2, 4, 4, 5], w: [6, 2, 3, 2], attrs: { group: { i: 2 }, pads: { ints: [1, 0, 1, 1] } }, opts: { convGradMinChannels: 1 } }),
);
opTest('Conv', 'group 2, strides [2, 1], dilations [1, 2], asymmetric pads: ConvTranspose with output_padding', () =>
  conv({ x: [2, 4, 7, 6], w: [6, 2, 3, 2], attrs: { group: { i: 2 }, strides: { ints: [2, 1] }, dilations: { ints: [1, 2] }, pads: { ints: [1, 0, 0, 1] } } }),
);
opTest('Conv', 'depthwise (group = C), stride 2', () => conv({ x: [2, 3, 6, 5], w: [3, 1, 3, 3], attrs: { group: { i: 3 }, strides: { ints: [2, 2] }, pads: P1.pads } }));
for (const autoPad of ['SAME_UPPER', 'SAME_LOWER', 'VALID'] as const) {
  opTest('Conv', `auto_pad ${autoPad}, strides 2, even kernel`, () => conv({ x: [2, 2, 6, 7], w: [3, 2, 2, 3], attrs: { auto_pad: { s: autoPad }, strides: { ints: [2, 2] } } }));
}
for (const wg of ['conv', 'im2col-gemm'] as const) {
  opTest('Conv', `weight gradient '${wg}', stride 2, dilation 2, pads`, () =>
    conv({ x: [2, 2, 7, 7], w: [3, 2, 2, 2], attrs: { strides: { ints: [2, 2] }, dilations: { ints: [2, 2] }, pads: { ints: [1, 1, 0, 0] } }, opts: { convWeightGrad: wg } }),
  );
}
opTest('Conv', "im2col Gemm branch (output grid smaller than kernel volume × channels), no bias, kernel_shape attribute", () =>
  conv({ x: [2, 4, 4, 4], w: [2, 4, 3, 3], bias: false, attrs: { kernel_shape: { ints: [3, 3] } } }),
);
opTest('Conv', '1×1 kernel, stride 1 (im2col without slices)', () => conv({ x: [2, 3, 3, 4], w: [4, 3, 1, 1] }));
opTest('Conv', 'pads larger than the kernel reach, stride 1: ConvTranspose even with many channels allowed', () =>
  conv({ x: [2, 2, 4, 4], w: [2, 2, 2, 2], attrs: { pads: { ints: [2, 1, 2, 2] } }, opts: { convGradMinChannels: 1 } }),
);
for (const T of [9, 10]) {
  opTest('Conv', `1-D on a dynamic axis, stride 2, dilation 2, pads [2, 1], T = ${T} (output_padding guessed, result cropped)`, () =>
    conv({ x: [2, 3, 'T'], shape: [2, 3, T], w: [4, 3, 3], attrs: { strides: { ints: [2] }, dilations: { ints: [2] }, pads: { ints: [2, 1] } }, sumAxis: 2 }),
  );
}
opTest('Conv', "1-D on a dynamic axis, weight gradient 'im2col-gemm' (dynamic slice ends)", () =>
  conv({ x: [2, 3, 'T'], shape: [2, 3, 8], w: [2, 3, 2], attrs: { strides: { ints: [3] } }, sumAxis: 2, opts: { convWeightGrad: 'im2col-gemm' } }),
);
