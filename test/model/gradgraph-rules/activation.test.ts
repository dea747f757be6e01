/** Finite-difference checks of the activation rules (rules/activation.ts): Relu, LeakyRelu, Sigmoid, Tanh, Softplus, Clip. */
import { opTest, checkGrad, node, spread, f32 } from './helpers.ts';
import type { AttrValue } from '../../../src/model/gradgraph/builder.ts';

const X = [2, 3, 4];

function act(op: string, attrs: Record<string, AttrValue> = {}, kink = false): Promise<unknown> {
  return checkGrad({ nodes: [node(op, ['x'], ['y'], attrs)], xDims: X, out: 'y', ...(kink ? { x: (rng, n) => spread(rng, n, 2), eps: 1e-3 } : {}) });
}

opTest('Relu', 'both signs, away from 0', () => act('Relu', {}, true).then(() => undefined));
opTest('LeakyRelu', 'default alpha (0.01)', () => act('LeakyRelu', {}, true).then(() => undefined));
opTest('LeakyRelu', 'alpha 0.3', () => act('LeakyRelu', { alpha: { f: 0.3 } }, true).then(() => undefined));
opTest('Sigmoid', 'normal x', () => act('Sigmoid').then(() => undefined));
opTest('Tanh', 'normal x', () => act('Tanh').then(() => undefined));
opTest('Softplus', 'normal x', () => act('Softplus').then(() => undefined));

for (const [variant, ins] of [
  ['min and max', ['x', 'lo', 'hi']],
  ['min only', ['x', 'lo']],
  ['max only (empty min)', ['x', '', 'hi']],
  ['no bounds', ['x']],
] as const) {
  opTest('Clip', `${variant}, x on both sides of the bounds`, async () => {
    await checkGrad({
      nodes: [node('Clip', [...ins], ['y'])],
      inits: [f32('lo', [], [-0.53]), f32('hi', [], [0.47])],
      xDims: X,
      out: 'y',
      x: (rng, n) => spread(rng, n, 1.2),
      eps: 1e-3,
    });
  });
}
