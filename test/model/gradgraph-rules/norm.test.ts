/** Finite-difference checks of BatchNormalization in eval mode (rules/norm.ts): rank 4, rank 3, rank 2, epsilon; gradient in x only (running statistics). */
import { opTest, checkGrad, node, randTensor, Rng, f32 } from './helpers.ts';

function bn(C: number, seed: number) {
  const rng = new Rng(seed);
  return [randTensor(rng, 's', [C], 0.5, 1), randTensor(rng, 'b', [C], 0.5), randTensor(rng, 'mu', [C], 0.5), f32('var', [C], Float32Array.from({ length: C }, (_, i) => 0.3 + 0.4 * i))];
}

for (const [variant, xDims, eps] of [
  ['rank 4 [2, 3, 2, 3]', [2, 3, 2, 3], undefined],
  ['rank 3 [2, 3, 4], epsilon 0.1', [2, 3, 4], 0.1],
  ['rank 2 [2, 3] (no reshape of the scale)', [2, 3], undefined],
] as const) {
  opTest('BatchNormalization', `eval mode, ${variant}`, async () => {
    const nodes = [node('BatchNormalization', ['x', 's', 'b', 'mu', 'var'], ['o'], eps ? { epsilon: { f: eps } } : {}), node('Tanh', ['o'], ['y'])];
    // Trainable scale/bias would make the VJP graph rewrite BN as elementary ops: keep them fixed so the rule itself runs.
    await checkGrad({ nodes, inits: bn(3, xDims.length), xDims: [...xDims], out: 'y', trainable: 'none' });
  });
}
