/**
 * tfjs backend selection: tensorflow-gpu (@tensorflow/tfjs-node-gpu) → tensorflow
 * (@tensorflow/tfjs-node) → wasm (@tensorflow/tfjs-backend-wasm, single-threaded SIMD in Node) → cpu.
 * Each failed candidate is logged at debug level (JEMDA_DEBUG=1) with the reason; one line says
 * which backend was chosen. Select once per process: switching backends inside one process has
 * given wrong results (see shared/design/tfjs-wasm-notes.md).
 */
import * as path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import { registerWasmConv2DBackpropFilter } from './kernels/wasm-conv2d-backprop-filter.ts';
import { setWasmBackendThreaded } from './wasm-threads.ts';

import { BACKENDS, setCurrentTfjsBackend, type BackendName } from './backend-state.ts';

export { BACKENDS, type BackendName };

const require = createRequire(import.meta.url);

function debug(msg: string): void {
  if (process.env.JEMDA_DEBUG) process.stderr.write(`jemda: debug: ${msg}\n`);
}

/** Reasons why candidates were skipped during the last selectBackend call. */
export const skipped: { backend: BackendName; reason: string }[] = [];

export interface BackendOptions {
  /** wasm only, EXPERIMENTAL (see wasm-threads.ts): threads for the threaded SIMD build; default JEMDA_WASM_THREADS or 1. */
  wasmThreads?: number;
}

let wasmThreadsUsed = 1;

async function tryBackend(name: BackendName, bo: BackendOptions): Promise<boolean> {
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      const pkg = name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
      await import(pkg); // registers the 'tensorflow' backend
      return tf.setBackend('tensorflow');
    }
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
      wasm.setWasmPaths(dist + path.sep);
      const threads = bo.wasmThreads ?? Number(process.env.JEMDA_WASM_THREADS ?? 1);
      let ok: boolean;
      if (threads > 1) {
        wasmThreadsUsed = await setWasmBackendThreaded(threads, dist);
        ok = true;
      } else {
        ok = await tf.setBackend('wasm');
      }
      if (ok) registerWasmConv2DBackpropFilter();
      return ok;
    }
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      // PROD only silences tfjs warnings, here the "install tfjs-node" banner the cpu backend
      // prints on first use (the choice and why is already logged)
      tf.env().set('PROD', true);
      return tf.setBackend('cpu');
  }
}

/**
 * Sets the tfjs backend and returns its name. With `prefer`, only that backend is tried (and its
 * failure is an error); without, the first that works in the order above.
 */
export async function selectBackend(prefer?: BackendName, bo: BackendOptions = {}): Promise<BackendName> {
  if (prefer && !BACKENDS.includes(prefer)) throw new ConfigError(`unknown backend '${prefer}' (one of ${BACKENDS.join(', ')})`);
  skipped.length = 0;
  const order = prefer ? [prefer] : BACKENDS;
  for (const name of order) {
    let ok = false;
    try {
      ok = await tryBackend(name, bo);
      if (!ok) skipped.push({ backend: name, reason: 'tf.setBackend returned false' });
    } catch (e) {
      skipped.push({ backend: name, reason: (e as Error).message.split('\n')[0] ?? String(e) });
    }
    if (ok) {
      await tf.ready();
      setCurrentTfjsBackend(tf.getBackend());
      log(`tfjs backend: ${name}${name === 'wasm' && wasmThreadsUsed > 1 ? ` (${wasmThreadsUsed} threads, experimental)` : ''}${skipped.length ? ` (skipped: ${skipped.map((s) => s.backend).join(', ')})` : ''}`);
      return name;
    }
    debug(`tfjs backend ${name} unavailable: ${skipped[skipped.length - 1]!.reason}`);
  }
  throw new ConfigError(`tfjs backend ${prefer} is not available: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`);
}
