/**
 * Finite-difference checks of the non-differentiable ops (rules/nondiff.ts): each feeds a
 * differentiable expression in x, whose gradient must come from the other path only (their own
 * outputs are constant almost everywhere, or integer/boolean).
 */
import { test } from 'node:test';
import { opTest, checkGrad, node, spread, Rng, f32, i64 } from './helpers.ts';
import type { NodeProto } from '../../../src/model/onnx-io.ts';

const X = [2, 3, 4];
/** Away from integers and half-integers (Floor, Ceil, Round, Sign kinks). */
const offKinks = (rng: Rng, n: number) => spread(rng, n, 2.5).map((v) => v + 0.0137);

function viaMul(op: string, attrs = {}): Promise<unknown> {
  // y = x ⊙ op(x): ∂y/∂x = op(x) when op's gradient is zero.
  const nodes = [node(op, ['x'], ['f'], attrs), node('Mul', ['x', 'f'], ['y'])];
  return checkGrad({ nodes, xDims: X, out: 'y', x: offKinks, eps: 1e-3 });
}
opTest('Sign', 'x ⊙ Sign(x) = |x|', () => viaMul('Sign').then(() => undefined));
opTest('Floor', 'x ⊙ Floor(x)', () => viaMul('Floor').then(() => undefined));
opTest('Ceil', 'x ⊙ Ceil(x)', () => viaMul('Ceil').then(() => undefined));
opTest('Round', 'x ⊙ Round(x)', () => viaMul('Round').then(() => undefined));

/** y = Where(cond, Tanh(x), 2x) with cond built by `condNodes` (output 'cond'). */
function viaWhere(condNodes: NodeProto[]): Promise<unknown> {
  const nodes = [...condNodes, node('Tanh', ['x'], ['t']), node('Mul', ['x', 'two'], ['x2']), node('Where', ['cond', 't', 'x2'], ['y'])];
  return checkGrad({ nodes, inits: [f32('two', [], [2]), f32('c', [], [0.1]), f32('zero', [], [0])], xDims: X, out: 'y', x: offKinks, eps: 1e-3, trainable: [] });
}
for (const op of ['Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual'] as const) {
  opTest(op, `Where(${op}(x, 0.1), Tanh(x), 2x)`, () => viaWhere([node(op, ['x', 'c'], ['cond'])]).then(() => undefined));
}
opTest('Equal', 'Where(Equal(Floor(x), 0), Tanh(x), 2x)', () => viaWhere([node('Floor', ['x'], ['fl']), node('Equal', ['fl', 'zero'], ['cond'])]).then(() => undefined));
opTest('Not', 'Where(Not(Greater(x, 0.1)), Tanh(x), 2x)', () => viaWhere([node('Greater', ['x', 'c'], ['gt']), node('Not', ['gt'], ['cond'])]).then(() => undefined));

for (const op of ['ArgMax', 'ArgMin'] as const) {
  opTest(op, `x ⊙ (1 + Cast(${op}(x, axis 2, keepdims 1)))`, async () => {
    const nodes = [node(op, ['x'], ['am'], { axis: { i: 2 }, keepdims: { i: 1 } }), node('Cast', ['am'], ['af'], { to: { i: 1 } }), node('Add', ['af', 'one'], ['a1']), node('Mul', ['x', 'a1'], ['y'])];
    await checkGrad({ nodes, inits: [f32('one', [], [1])], xDims: X, out: 'y', x: spread, eps: 1e-3 });
  });
}

opTest('Shape', 'Tanh(x) ⊙ Cast(Shape(x)[1:2]) on a dynamic axis', async () => {
  const nodes = [
    node('Shape', ['x'], ['sh']),
    node('Slice', ['sh', 's', 'e'], ['d']),
    node('Cast', ['d'], ['df'], { to: { i: 1 } }),
    node('Tanh', ['x'], ['t']),
    node('Mul', ['t', 'df'], ['y']),
  ];
  await checkGrad({ nodes, inits: [i64('s', [1], [2]), i64('e', [1], [3])], xDims: [2, 3, 'T'], shape: [2, 3, 5], sumAxis: 2, out: 'y' });
});
opTest('Size', 'Tanh(x) / Cast(Size(x))', async () => {
  const nodes = [node('Size', ['x'], ['n']), node('Cast', ['n'], ['nf'], { to: { i: 1 } }), node('Tanh', ['x'], ['t']), node('Div', ['t', 'nf'], ['y'])];
  await checkGrad({ nodes, xDims: X, out: 'y' });
});
opTest('Constant', 'Tanh(x) ⊙ Constant', async () => {
  const nodes = [node('Constant', [], ['k'], { value: { t: f32('kv', [4], [1, -2, 3, 0.5]) } }), node('Tanh', ['x'], ['t']), node('Mul', ['t', 'k'], ['y'])];
  await checkGrad({ nodes, xDims: X, out: 'y' });
});
opTest('ConstantOfShape', 'Tanh(x) ⊙ (x + ConstantOfShape(Shape(x), 0.5))', async () => {
  const nodes = [
    node('Shape', ['x'], ['sh']),
    node('ConstantOfShape', ['sh'], ['k'], { value: { t: f32('kv', [1], [0.5]) } }),
    node('Add', ['x', 'k'], ['a']),
    node('Tanh', ['x'], ['t']),
    node('Mul', ['t', 'a'], ['y']),
  ];
  await checkGrad({ nodes, xDims: X, out: 'y' });
});
opTest('Range', 'x ⊙ Range(0.5, 4.5, 1) (constant inputs)', async () => {
  const nodes = [node('Range', ['r0', 'r1', 'r2'], ['r']), node('Mul', ['x', 'r'], ['o']), node('Tanh', ['o'], ['y'])];
  await checkGrad({ nodes, inits: [f32('r0', [], [0.5]), f32('r1', [], [4.5]), f32('r2', [], [1])], xDims: X, out: 'y', trainable: [] });
});
// Range(start, ...) is start + k·delta: its gradient in a float start is 1 per element, not the
// zero the rule gives (it is listed as non-differentiable). Documented, not fixed here.
test('Range: start computed from x (known gap: the rule gives no gradient through start)', { todo: 'Range is non-differentiable in the rule table' }, async () => {
  const nodes = [
    node('ReduceMean', ['x'], ['m'], { keepdims: { i: 0 } }),
    node('Add', ['m', 'r1'], ['lim']),
    node('Range', ['m', 'lim', 'r2'], ['r']),
    node('Mul', ['x', 'r'], ['y']),
  ];
  await checkGrad({ nodes, inits: [f32('r1', [], [3.5]), f32('r2', [], [1])], xDims: X, out: 'y', trainable: [] });
});
