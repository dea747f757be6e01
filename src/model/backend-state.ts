/**
 * What the rest of jemda may know about tfjs backends without loading tfjs: the backend names, the
 * one selectBackend (backend.ts) chose in this process, and whether libtensorflow's tfjs-node
 * packages are installed at all (the only backends that make --engine auto pick tfjs).
 */
import { createRequire } from 'node:module';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKENDS: BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

const require = createRequire(import.meta.url);
let selected = '';

/** The tfjs backend selectBackend set in this process; '' when tfjs has not been set up. */
export function currentTfjsBackend(): string {
  return selected;
}

/** Called by selectBackend (backend.ts) once a backend is set. */
export function setCurrentTfjsBackend(name: string): void {
  selected = name;
}

/** Whether @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu can be resolved (not loaded). */
export function tensorflowBackendInstalled(): boolean {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      require.resolve(pkg);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
    }
  }
  return false;
}
