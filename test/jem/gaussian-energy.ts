/** Analytic EnergyGrad for tests: E(x) = ½ (x − μ)ᵀ P (x − μ) with precision P = Σ⁻¹ (dense). */
import type { EnergyGrad } from '../../src/model/types.ts';

export function gaussianEnergyGrad(mu: number[], precision: number[][]): EnergyGrad & { calls: number } {
  const d = mu.length;
  const eg = {
    calls: 0,
    exampleShape: [d],
    async energyAndGrad(x: Float32Array, batch: number) {
      eg.calls++;
      const energy = new Float32Array(batch);
      const grad = new Float32Array(x.length);
      for (let b = 0; b < batch; b++) {
        let e = 0;
        for (let i = 0; i < d; i++) {
          let g = 0;
          for (let j = 0; j < d; j++) g += precision[i][j] * (x[b * d + j] - mu[j]);
          grad[b * d + i] = g;
          e += 0.5 * g * (x[b * d + i] - mu[i]);
        }
        energy[b] = e;
      }
      return { energy, grad };
    },
    setWeights() {},
    dispose() {},
  };
  return eg;
}
