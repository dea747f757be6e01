/**
 * EXPERIMENTAL threaded wasm backend (wasm-threads.ts), in a process of its own: it initialises
 * with 2 threads, the reference models give their expected outputs, the importer's gradient
 * kernels still match their float64 references, and the process exits normally.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import { selectBackend } from '../../src/model/backend.ts';
import { expandTestDirs, runTestCase } from '../../src/model/onnx-test-runner.ts';
import { REF } from './importer-grad-shared.ts';
import { registerKernelTests } from './importer-kernels-shared.ts';

before(async () => {
  assert.equal(await selectBackend('wasm', { wasmThreads: 2 }), 'wasm');
});

test('[wasm, 2 threads] backend reports 2 threads and the reference models pass', async () => {
  assert.equal(wasm.getThreadsCount(), 2);
  for (const d of expandTestDirs([REF])) {
    for (const r of await runTestCase(d, ['tfjs'], 1e-3, 1e-5)) assert.ok(r.pass, `${r.test} ${r.set}: ${r.error ?? JSON.stringify(r.outputs)}`);
  }
});

registerKernelTests('wasm, 2 threads');
