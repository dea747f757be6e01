/** Worker thread of loadExamples: computes its share of the jobs and posts each result (buffers transferred). */
import { parentPort, workerData } from 'node:worker_threads';
import { toWorkerError } from '../util/ts-worker.ts';
import { computeExample, type ExampleJob, type JobContext } from './example-job.ts';

const { jobs, ctx } = workerData as { jobs: { index: number; job: ExampleJob }[]; ctx: JobContext };
try {
  for (const { index, job } of jobs) {
    const out = computeExample(job, ctx);
    const transfer = [out.data.buffer, ...(out.extra ?? []).map((e) => e.buffer)] as ArrayBuffer[];
    parentPort!.postMessage({ kind: 'result', index, out }, transfer);
  }
  parentPort!.postMessage({ kind: 'done' });
} catch (e) {
  parentPort!.postMessage({ kind: 'error', error: toWorkerError(e) });
}
