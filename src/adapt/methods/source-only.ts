/** `source-only`: the source model unchanged (0 updates); the reference every method is compared with. */
import type { AdaptMethod } from './method.ts';

export function sourceOnly(): AdaptMethod {
  return {
    totalSteps: 0,
    trains: false,
    async step() {
      return { ok: true, metrics: {} };
    },
  };
}
