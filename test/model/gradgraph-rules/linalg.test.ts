/** Finite-difference checks of the matrix-product rules (rules/linalg.ts): MatMul (broadcast batch axes), Gemm (transA/transB, alpha, beta, C broadcast). */
import { opTest, checkGrad, node, randTensor, Rng } from './helpers.ts';

opTest('MatMul', 'x[2, 3, 4] · w[4, 5] (w broadcast over the batch axis)', async () => {
  const rng = new Rng(1);
  await checkGrad({ nodes: [node('MatMul', ['x', 'w'], ['y'])], inits: [randTensor(rng, 'w', [4, 5])], xDims: [2, 3, 4], out: 'y', expectGrads: ['w'] });
});
opTest('MatMul', 'w[1, 5, 3] · x[2, 3, 4] (x second, w broadcast from [1, ...])', async () => {
  const rng = new Rng(2);
  await checkGrad({ nodes: [node('MatMul', ['w', 'x'], ['y'])], inits: [randTensor(rng, 'w', [1, 5, 3])], xDims: [2, 3, 4], out: 'y', expectGrads: ['w'] });
});
opTest('MatMul', 'two activations: x · Transpose(Tanh(x))', async () => {
  const nodes = [node('Tanh', ['x'], ['t']), node('Transpose', ['t'], ['tt'], { perm: { ints: [0, 2, 1] } }), node('MatMul', ['x', 'tt'], ['y'])];
  await checkGrad({ nodes, xDims: [2, 3, 4], out: 'y' });
});

// A = x (stored transposed for transA = 1) and B = weight; then B = x and A = weight (output transposed back to [batch, ·]).
for (const tA of [0, 1]) {
  for (const tB of [0, 1]) {
    opTest('Gemm', `A = x, B = w, transA=${tA} transB=${tB}, alpha 0.7, beta 1.3, C[5]`, async () => {
      const rng = new Rng(10 + 2 * tA + tB);
      const nodes = [
        node('Transpose', ['x'], ['xt'], { perm: { ints: [1, 0] } }),
        node('Gemm', [tA ? 'xt' : 'x', 'w', 'c'], ['y'], { transA: { i: tA }, transB: { i: tB }, alpha: { f: 0.7 }, beta: { f: 1.3 } }),
      ];
      const inits = [randTensor(rng, 'w', tB ? [5, 3] : [3, 5]), randTensor(rng, 'c', [5])];
      await checkGrad({ nodes, inits, xDims: [2, 3], out: 'y', expectGrads: ['w', 'c'] });
    });
    opTest('Gemm', `A = w, B = x, transA=${tA} transB=${tB}, alpha 1.6, C[4, 1]`, async () => {
      const rng = new Rng(20 + 2 * tA + tB);
      const nodes = [
        node('Transpose', ['x'], ['xt'], { perm: { ints: [1, 0] } }),
        node('Gemm', ['w', tB ? 'x' : 'xt', 'c'], ['y'], { transA: { i: tA }, transB: { i: tB }, alpha: { f: 1.6 } }),
        node('Transpose', ['y'], ['yt'], { perm: { ints: [1, 0] } }),
      ];
      const inits = [randTensor(rng, 'w', tA ? [3, 4] : [4, 3]), randTensor(rng, 'c', [4, 1])];
      await checkGrad({ nodes, inits, xDims: [2, 3], out: 'yt', expectGrads: ['w', 'c'] });
    });
  }
}
opTest('Gemm', 'no C, default alpha/beta, two activations (x · Tanh(x)ᵀ)', async () => {
  const nodes = [node('Tanh', ['x'], ['t']), node('Gemm', ['x', 't'], ['y'], { transB: { i: 1 } })];
  await checkGrad({ nodes, xDims: [2, 3], out: 'y' });
});
opTest('Gemm', 'C[2, 5] full-size bias', async () => {
  const rng = new Rng(30);
  await checkGrad({ nodes: [node('Gemm', ['x', 'w', 'c'], ['y'])], inits: [randTensor(rng, 'w', [3, 5]), randTensor(rng, 'c', [2, 5])], xDims: [2, 3], out: 'y', expectGrads: ['w', 'c'] });
});
