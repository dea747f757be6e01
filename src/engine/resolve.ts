/**
 * Which parameter-gradient engine runs `jemda train` and `jemda adapt`: onnxruntime ('ort', VJP
 * graphs, the fast CPU path) or the tfjs importer ('tfjs', the GPU path on tfjs-node-gpu).
 */
import { ConfigError } from '../util/errors.ts';

export type EngineName = 'ort' | 'tfjs';
export type EngineChoice = EngineName | 'auto';
export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', 'ort', 'tfjs'];

/**
 * What 'auto' means: tfjs when the tfjs backend is libtensorflow (tfjs-node or tfjs-node-gpu,
 * backend name 'tensorflow'), else onnxruntime. Returns the engine and why.
 */
export function resolveEngine(choice: EngineChoice | undefined, tfjsBackend: string): { engine: EngineName; reason: string } {
  const c = choice ?? 'auto';
  if (!ENGINE_CHOICES.includes(c)) throw new ConfigError(`unknown engine '${c}' (one of ${ENGINE_CHOICES.join(', ')})`);
  if (c !== 'auto') return { engine: c, reason: `--engine ${c}` };
  if (tfjsBackend === 'tensorflow' || tfjsBackend === 'tensorflow-gpu')
    return { engine: 'tfjs', reason: `auto: the tfjs backend is ${tfjsBackend} (libtensorflow)` };
  return { engine: 'ort', reason: `auto: the tfjs backend is ${tfjsBackend || 'none'}, onnxruntime is faster on CPU` };
}
