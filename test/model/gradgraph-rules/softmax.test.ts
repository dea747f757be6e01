/** Finite-difference checks of Softmax and LogSoftmax (rules/softmax.ts): last axis (default and explicit), inner axis (opset 13). */
import { opTest, checkGrad, node } from './helpers.ts';

for (const op of ['Softmax', 'LogSoftmax'] as const) {
  for (const [variant, attrs] of [
    ['default axis (-1)', {}],
    ['axis 2 (last, explicit)', { axis: { i: 2 } }],
    ['axis 1 (not last)', { axis: { i: 1 } }],
    ['axis -3 (first)', { axis: { i: -3 } }],
  ] as const) {
    opTest(op, `${variant}, opset 13`, async () => {
      await checkGrad({ nodes: [node(op, ['x'], ['y'], attrs)], xDims: [2, 3, 4], out: 'y', x: (rng, n) => rng.fillNormal(new Float32Array(n)).map((v) => 2 * v) });
    });
  }
}
