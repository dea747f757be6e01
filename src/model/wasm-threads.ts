/**
 * EXPERIMENTAL: the multi-threaded SIMD build of tfjs-backend-wasm in Node (tfjs 4.22 pins
 * WASM_HAS_MULTITHREAD_SUPPORT to false in Node). It depends on tfjs internals, so it is opt-in
 * (selectBackend('wasm', { threads }) or JEMDA_WASM_THREADS=N) and checked against the version:
 *  - the flag is forced to true before the backend initialises;
 *  - the pthread worker script and the main module, which tfjs hands to workers as Blob URLs
 *    (unusable by Node workers), are captured while the backend initialises and written to
 *    files in a temp dir; the worker script is pointed at the main module file, and the main
 *    module gets the bundle-level variables it references (require$$0 …, __dirname);
 *  - workers are started without the parent's --import tsx and never keep the process alive;
 *  - the native code uses half of os.cpus() threads, so os.cpus() is stretched during init.
 * Everything patched is restored when initialisation ends, success or not.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { JemdaError } from '../util/errors.ts';

const require = createRequire(import.meta.url);
const WORKER_MARKER =
  'if(typeof e.data.urlOrBlob=="string"){importScripts(e.data.urlOrBlob)}else{var objectUrl=URL.createObjectURL(e.data.urlOrBlob);importScripts(objectUrl);URL.revokeObjectURL(objectUrl)}';
const MAIN_PREFIX = 'var WasmBackendModuleThreadedSimd';

/**
 * Initialises the wasm backend with `threads` threads (call instead of tf.setBackend('wasm'),
 * after setWasmPaths). Returns the thread count the backend reports.
 */
export async function setWasmBackendThreaded(threads: number, distDir: string): Promise<number> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setThreadsCount(threads);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-wasm-threads-'));
  // workers read the files when they start (all during initialisation); remove them at exit
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const mainFile = path.join(dir, 'main.js');
  const workerFile = path.join(dir, 'worker.cjs');
  const texts = new WeakMap<object, string>();
  const OrigBlob = globalThis.Blob;
  const origCreate = URL.createObjectURL;
  const osm = require('node:os') as typeof os;
  const origCpus = osm.cpus;
  const wt = require('node:worker_threads') as { Worker: typeof import('node:worker_threads').Worker };
  const OrigWorker = wt.Worker;
  const problems: string[] = [];
  class CapturingBlob extends OrigBlob {
    constructor(parts: ConstructorParameters<typeof Blob>[0] = [], opts?: ConstructorParameters<typeof Blob>[1]) {
      super(parts, opts);
      const t = Array.from(parts, String).join('');
      texts.set(this, t);
      if (t.startsWith(MAIN_PREFIX)) {
        const vars = `var require$$0=require('fs'),require$$1=require('path'),require$$3=require('perf_hooks'),require$$4=require('os');var commonjsGlobal=globalThis;var __dirname=${JSON.stringify(distDir)};var _scriptDir=${JSON.stringify(mainFile)};\n`;
        fs.writeFileSync(mainFile, vars + t);
      }
    }
  }
  try {
    (globalThis as { Blob: unknown }).Blob = CapturingBlob;
    URL.createObjectURL = (b: Blob): string => {
      const t = texts.get(b);
      if (t === undefined) return origCreate(b);
      if (!t.includes(WORKER_MARKER)) {
        problems.push('the pthread worker script is not the one this code knows (tfjs version changed?)');
        return origCreate(b);
      }
      if (!fs.existsSync(workerFile)) fs.writeFileSync(workerFile, t.replace(WORKER_MARKER, `importScripts(${JSON.stringify(mainFile)});`));
      return workerFile;
    };
    osm.cpus = () => {
      const c = origCpus();
      return Array.from({ length: Math.max(c.length, 2 * threads) }, (_, i) => c[i % c.length]!);
    };
    wt.Worker = class extends OrigWorker {
      constructor(file: string | URL, opts?: import('node:worker_threads').WorkerOptions) {
        super(file, { ...(opts ?? {}), execArgv: [] });
        this.unref();
      }
      override ref(): void {
        // pthread workers must never keep the process alive
      }
    };
    const ok = await tf.setBackend('wasm');
    if (!ok || problems.length) throw new JemdaError('E_BACKEND', `threaded wasm backend failed: ${problems.join('; ') || 'tf.setBackend returned false'}`);
    await tf.ready();
    return wasm.getThreadsCount();
  } finally {
    (globalThis as { Blob: unknown }).Blob = OrigBlob;
    URL.createObjectURL = origCreate;
    osm.cpus = origCpus;
    wt.Worker = OrigWorker;
  }
}
