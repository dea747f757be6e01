/** Worker thread of perturbDataDir: runs one job and reports ticks, the result or the error. */
import { serveJob } from '../util/job-worker.ts';
import { runPerturbJob } from './perturb-dir.ts';

serveJob(runPerturbJob);
