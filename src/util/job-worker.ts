/**
 * One job in one worker thread, with progress: the worker posts {kind:'tick', n} (batched by 10),
 * then {kind:'done', result} or {kind:'error', error}. `runJobWorker` is the parent's side,
 * `serveJob` the worker module's.
 */
import { parentPort, workerData, type Worker } from 'node:worker_threads';
import { fromWorkerError, startTsWorker, toWorkerError, type WorkerError } from './ts-worker.ts';

interface JobMsg<R> {
  kind: 'tick' | 'done' | 'error';
  n?: number;
  result?: R;
  error?: WorkerError;
}

/**
 * Run `job` in a worker on the .ts module `fileUrl` (which calls serveJob); `tick` gets its
 * progress, `workers` the Worker (so the caller can terminate it), `what` names it in the error
 * for an unexpected exit.
 */
export function runJobWorker<R>(fileUrl: string | URL, job: unknown, tick: (n: number) => void, workers: Worker[], what: string): Promise<R> {
  return new Promise((resolve, reject) => {
    const worker = startTsWorker(fileUrl, job);
    workers.push(worker);
    let settled = false;
    worker.on('message', (m: JobMsg<R>) => {
      if (m.kind === 'tick') tick(m.n ?? 1);
      else if (m.kind === 'done') {
        settled = true;
        resolve(m.result!);
      } else if (m.kind === 'error') {
        settled = true;
        reject(fromWorkerError(m.error!));
      }
    });
    worker.on('error', (e) => {
      if (!settled) reject(e);
      settled = true;
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`${what} exited with code ${code}`));
    });
  });
}

/** Split into n contiguous, nearly equal parts, dropping empty ones. */
export function splitJobs<T>(items: T[], n: number): T[][] {
  const parts: T[][] = [];
  for (let j = 0; j < n; j++) {
    const a = Math.floor((items.length * j) / n), b = Math.floor((items.length * (j + 1)) / n);
    if (b > a) parts.push(items.slice(a, b));
  }
  return parts;
}

/**
 * Run the jobs: a single one in this thread (`run`), several in one worker each on the .ts module
 * `fileUrl` (`what(job)` names a worker in the error for an unexpected exit). When one fails, all
 * workers are terminated and `cleanup` runs before the error is rethrown.
 */
export async function runJobs<J, R>(
  jobs: J[],
  run: (job: J, tick: (n: number) => void) => R,
  fileUrl: string | URL,
  tick: (n: number) => void,
  what: (job: J) => string,
  cleanup?: () => void,
): Promise<R[]> {
  if (jobs.length === 1) return [run(jobs[0], tick)];
  const workers: Worker[] = [];
  try {
    return await Promise.all(jobs.map((j) => runJobWorker<R>(fileUrl, j, tick, workers, what(j))));
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    cleanup?.();
    throw e;
  }
}

/** Worker side: run the job in workerData and post ticks, the result or the error. */
export function serveJob<J, R>(run: (job: J, tick: (n: number) => void) => R): void {
  const port = parentPort!;
  try {
    let pending = 0;
    const result = run(workerData as J, (n) => {
      pending += n;
      if (pending >= 10) {
        port.postMessage({ kind: 'tick', n: pending });
        pending = 0;
      }
    });
    if (pending > 0) port.postMessage({ kind: 'tick', n: pending });
    port.postMessage({ kind: 'done', result });
  } catch (e) {
    port.postMessage({ kind: 'error', error: toWorkerError(e) });
  }
}
