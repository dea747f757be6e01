/** Worker thread for synth-corpus --nj: renders its share of the plan, reporting each clip. */
import { parentPort, workerData } from 'node:worker_threads';
import { renderJobs } from './generate.ts';
import type { UttJob } from './plan.ts';

const { jobs, out } = workerData as { jobs: UttJob[]; out: string };
try {
  await renderJobs(jobs, out, () => parentPort?.postMessage({ done: 1 }));
} catch (e) {
  parentPort?.postMessage({ error: e instanceof Error ? `${e.message}\n${e.stack}` : String(e) });
  process.exitCode = 1;
}
