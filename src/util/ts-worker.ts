/**
 * Worker threads that run a TypeScript module, and the plain form in which a worker posts an
 * error back (structured clone drops the class and code of an Error).
 */
import { Worker } from 'node:worker_threads';
import { JemdaError } from './errors.ts';

/**
 * Start a worker thread on the .ts module at `fileUrl`. A .ts worker needs tsx's loader inside it;
 * `execArgv: ['--import', 'tsx']` only works when the parent was started with it, so an eval'd
 * bootstrap registers tsx, then imports the worker module.
 */
export function startTsWorker(fileUrl: string | URL, workerData: unknown): Worker {
  const href = typeof fileUrl === 'string' ? fileUrl : fileUrl.href;
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
