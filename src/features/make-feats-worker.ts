/** Worker thread of makeFeats: runs one job and reports ticks, the result or the error. */
import { serveJob } from '../util/job-worker.ts';
import { runJob } from './make-feats.ts';

serveJob(runJob);
