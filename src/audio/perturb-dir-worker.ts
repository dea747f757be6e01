/** Worker thread of perturbDataDir: runs one job and reports ticks, the result or the error. */
import { parentPort, workerData } from 'node:worker_threads';
import { JemdaError } from '../util/errors.ts';
import { type PerturbJob, runPerturbJob } from './perturb-dir.ts';

const port = parentPort!;
try {
  let pending = 0;
  const result = runPerturbJob(workerData as PerturbJob, (n) => {
    pending += n;
    if (pending >= 10) {
      port.postMessage({ kind: 'tick', n: pending });
      pending = 0;
    }
  });
  if (pending > 0) port.postMessage({ kind: 'tick', n: pending });
  port.postMessage({ kind: 'done', result });
} catch (e) {
  const err = e as Error;
  port.postMessage({ kind: 'error', error: { code: e instanceof JemdaError ? e.code : '', message: err.message, name: err.name, stack: err.stack } });
}
