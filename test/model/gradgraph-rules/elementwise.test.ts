/** Finite-difference checks of the elementwise rules (rules/elementwise.ts): unary math, Pow, broadcasting binary ops, Where. */
import { opTest, checkGrad, node, randTensor, Rng, spread, positive, f32, i64 } from './helpers.ts';

const X = [2, 3, 4];

function unary(op: string, x?: (rng: Rng, n: number) => Float32Array, eps?: number): Promise<Map<string, number>> {
  return checkGrad({ nodes: [node(op, ['x'], ['y'])], xDims: X, out: 'y', x, eps });
}

opTest('Sqrt', 'x in [0.5, 2]', () => unary('Sqrt', positive(0.5, 2)).then(() => undefined));
opTest('Exp', 'normal x', () => unary('Exp').then(() => undefined));
opTest('Log', 'x in [0.5, 2]', () => unary('Log', positive(0.5, 2)).then(() => undefined));
opTest('Neg', 'normal x', () => unary('Neg').then(() => undefined));
opTest('Abs', 'both signs, away from 0', () => unary('Abs', spread, 1e-3).then(() => undefined));
opTest('Reciprocal', 'both signs, |x| ≥ 0.5', () =>
  unary('Reciprocal', (rng, n) => spread(rng, n).map((v) => v + Math.sign(v) * 0.5)).then(() => undefined),
);
opTest('Erf', 'normal x', () => unary('Erf').then(() => undefined));

for (const [variant, p, x] of [
  ['constant exponent 2 (x·2 shortcut)', f32('p', [], [2]), undefined],
  ['constant exponent 3', f32('p', [], [3]), undefined],
  ['broadcast exponent [4] (non-integer), x > 0', f32('p', [4], [0.5, 1.5, 2.5, -1]), positive(0.5, 2)],
  ['int64 exponent (Cast to float)', i64('p', [], [3]), undefined],
] as const) {
  opTest('Pow', variant, async () => {
    await checkGrad({ nodes: [node('Pow', ['x', 'p'], ['y'])], inits: [p], xDims: X, out: 'y', x, trainable: [] });
  });
}

// Binary ops: x against a weight broadcast from the left ([4]) and from the middle ([3, 1]), x
// against itself through a Constant (non-differentiable second input), and weight ∘ x (x second).
for (const op of ['Add', 'Sub', 'Mul', 'Div'] as const) {
  const safe = op === 'Div' ? { x: (rng: Rng, n: number) => spread(rng, n).map((v) => v + Math.sign(v) * 0.5) } : {};
  opTest(op, 'x ∘ w[4] (w broadcast over leading axes), both differentiable', async () => {
    const rng = new Rng(1);
    const w = op === 'Div' ? randTensor(rng, 'w', [4], 0.2, 1.5) : randTensor(rng, 'w', [4]);
    await checkGrad({ nodes: [node(op, ['x', 'w'], ['y'])], inits: [w], xDims: X, out: 'y', expectGrads: ['w'], ...safe });
  });
  opTest(op, 'w[3, 1] ∘ x (x second, w broadcast over the last axis)', async () => {
    const rng = new Rng(2);
    const w = randTensor(rng, 'w', [3, 1]);
    await checkGrad({ nodes: [node(op, ['w', 'x'], ['y'])], inits: [w], xDims: X, out: 'y', expectGrads: ['w'], ...safe });
  });
  opTest(op, 'x ∘ Constant[1, 3, 1] (second input not differentiable), and x ∘ Exp(x)', async () => {
    const c = f32('cv', [1, 3, 1], [1.5, -0.7, 2]);
    const nodes = [node('Constant', [], ['c'], { value: { t: c } }), node('Exp', ['x'], ['ex']), node(op, ['x', 'c'], ['y1']), node(op, ['y1', 'ex'], ['y'])];
    await checkGrad({ nodes, xDims: X, out: 'y', ...safe });
  });
}

opTest('Sum', 'three inputs with broadcasting (x, w[3, 1], Tanh(x))', async () => {
  const rng = new Rng(3);
  const nodes = [node('Tanh', ['x'], ['t']), node('Sum', ['x', 'w', 't'], ['y'])];
  await checkGrad({ nodes, inits: [randTensor(rng, 'w', [3, 1])], xDims: X, out: 'y', expectGrads: ['w'] });
});
opTest('Sum', 'single input', async () => {
  await checkGrad({ nodes: [node('Sum', ['x'], ['y'])], xDims: X, out: 'y' });
});

opTest('Where', 'condition from x, both branches differentiable and broadcast (w[4], x)', async () => {
  const rng = new Rng(4);
  const nodes = [node('Greater', ['x', 'zero'], ['cond']), node('Where', ['cond', 'w', 'x'], ['y1']), node('Where', ['cond', 'x', 'v'], ['y2']), node('Mul', ['y1', 'y2'], ['y'])];
  await checkGrad({
    nodes,
    inits: [f32('zero', [], [0]), randTensor(rng, 'w', [4]), randTensor(rng, 'v', [3, 1])],
    xDims: X,
    out: 'y',
    x: spread,
    eps: 1e-3,
    trainable: ['w', 'v'],
    expectGrads: ['w', 'v'],
  });
});
