/**
 * Worker threads that run a TypeScript module, and the plain form in which a worker posts an
 * error back (structured clone drops the class and code of an Error).
 */
import { Worker } from 'node:worker_threads';
import { JemdaError } from './errors.ts';

/**
 * The URL of the module `name` next to the calling module (`import.meta.url`), with the caller's
 * own extension: `name.ts` when jemda runs from its TypeScript sources, `name.js` when it runs from
 * the compiled dist/ (`npm run build`).
 */
export function siblingModule(callerUrl: string, name: string): URL {
  const ext = callerUrl.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${name}${ext}`, callerUrl);
}

/**
 * Start a worker thread on the module at `fileUrl`. A .js module (compiled dist/) runs as it is. A
 * .ts worker needs tsx's loader inside it; `execArgv: ['--import', 'tsx']` only works when the
 * parent was started with it, so an eval'd bootstrap registers tsx, then imports the worker module.
 */
export function startTsWorker(fileUrl: string | URL, workerData: unknown): Worker {
  const href = typeof fileUrl === 'string' ? fileUrl : fileUrl.href;
  if (!href.endsWith('.ts')) return new Worker(new URL(href), { workerData });
  const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/** An error as a worker posts it: the JemdaError code ('' for other errors), message, name, stack. */
export interface WorkerError {
  code: string;
  message: string;
  name: string;
  stack?: string;
}

export function toWorkerError(e: unknown): WorkerError {
  const err = e as Error;
  return { code: e instanceof JemdaError ? e.code : '', message: err.message, name: err.name, stack: err.stack };
}

/** Back to an error in the parent: a JemdaError with the same code, or an Error naming the original. */
export function fromWorkerError(err: WorkerError): Error {
  return err.code ? new JemdaError(err.code, err.message) : new Error(`${err.name}: ${err.message}\n${err.stack ?? ''}`);
}
