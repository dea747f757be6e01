/**
 * 2-D matMul whose forward and gradients only use untransposed matMul operands: on the wasm
 * backend a transposed operand is several times slower than an explicit transpose followed by a
 * plain product (measured 126 vs 82 ms for a 512×64·64×256 weight gradient, 24 vs 10 ms for a
 * transB forward), and every dense backward pass uses one.
 */
import * as tf from '@tensorflow/tfjs';

const T = (x: tf.Tensor2D): tf.Tensor2D => tf.transpose(x);

export function matMulDiff(a: tf.Tensor2D, b: tf.Tensor2D, transA = false, transB = false): tf.Tensor2D {
  const f = tf.customGrad(((ai: tf.Tensor, bi: tf.Tensor, save: tf.GradSaveFunc) => {
    const A = transA ? T(ai as tf.Tensor2D) : (ai as tf.Tensor2D); // [m, k]
    const B = transB ? T(bi as tf.Tensor2D) : (bi as tf.Tensor2D); // [k, n]
    save([A, B]);
    return {
      value: tf.matMul(A, B),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [As, Bs] = saved as tf.Tensor2D[];
        const d = dy as tf.Tensor2D;
        const dA = tf.matMul(d, T(Bs!)) as tf.Tensor2D; // [m, k]
        const dB = tf.matMul(T(As!), d) as tf.Tensor2D; // [k, n]
        return [transA ? T(dA) : dA, transB ? T(dB) : dB];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(a, b) as tf.Tensor2D;
}
