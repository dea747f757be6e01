/** Finite-difference checks of the reduction rules (rules/reduce.ts): ReduceSum and ReduceMean, axes as attribute or input, keepdims 0/1, all axes, noop_with_empty_axes. */
import { opTest, checkGrad, node, i64 } from './helpers.ts';

const X = [2, 3, 4];

for (const op of ['ReduceSum', 'ReduceMean'] as const) {
  for (const keepdims of [0, 1]) {
    opTest(op, `axes input [-1], keepdims ${keepdims} (opset 18)`, async () => {
      const nodes = [node('Tanh', ['x'], ['t']), node(op, ['t', 'a'], ['y'], { keepdims: { i: keepdims } })];
      await checkGrad({ nodes, inits: [i64('a', [1], [-1])], xDims: X, out: 'y', opset: 18 });
    });
    opTest(op, `axes [1, 2], keepdims ${keepdims}, dynamic axis 2`, async () => {
      const nodes = [node('Tanh', ['x'], ['t']), node(op, ['t', 'a'], ['y'], { keepdims: { i: keepdims } })];
      await checkGrad({ nodes, inits: [i64('a', [2], [2, 1])], xDims: [2, 3, 'T'], shape: [2, 3, 5], out: 'y', opset: 18 });
    });
    opTest(op, `no axes (all), keepdims ${keepdims}`, async () => {
      const nodes = [node('Tanh', ['x'], ['t']), node(op, ['t'], ['y'], { keepdims: { i: keepdims } })];
      await checkGrad({ nodes, xDims: [1, 3, 4], out: 'y', logitsShape: [1, 1], opset: 18 });
    });
  }
  opTest(op, 'noop_with_empty_axes=1 without axes: identity', async () => {
    const nodes = [node('Tanh', ['x'], ['t']), node(op, ['t'], ['o'], { noop_with_empty_axes: { i: 1 } }), node('Mul', ['o', 'x'], ['y'])];
    await checkGrad({ nodes, xDims: X, out: 'y', opset: 18 });
  });
}
opTest('ReduceMean', 'axes attribute [0, 2] (opset 13), keepdims 1', async () => {
  const nodes = [node('Tanh', ['x'], ['t']), node('ReduceMean', ['t'], ['o'], { axes: { ints: [0, 2] } }), node('Mul', ['o', 'x'], ['y'])];
  await checkGrad({ nodes, xDims: X, out: 'y' });
});
opTest('ReduceSum', 'axes input [0] (opset 13), keepdims 0', async () => {
  const nodes = [node('Tanh', ['x'], ['t']), node('ReduceSum', ['t', 'a'], ['o'], { keepdims: { i: 0 } }), node('Mul', ['o', 'x'], ['y'])];
  await checkGrad({ nodes, inits: [i64('a', [1], [0])], xDims: X, out: 'y' });
});
