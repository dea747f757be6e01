/** `jemda eval --model MODEL DATA... --out DIR [--ood DATA]`: held-out evaluation through onnxruntime. */
import type { Argv, CommandModule } from 'yargs';
import { evaluateModel } from '../../eval/evaluate.ts';
import { log } from '../../util/log.ts';
import { readFrontEndFile, readLabelsFile } from '../model-files.ts';

interface Args {
  model: string;
  data: string[];
  out: string;
  ood?: string;
  batchSize: number;
  threads?: number;
  logits?: string;
  pxgrad: boolean;
  nj: number;
  'frontend-config'?: string;
  labels?: string;
}

export const command: CommandModule<object, Args> = {
  command: 'eval <data..>',
  describe: 'Evaluate a model on labeled data dirs (accuracy, per-class, confusion, NLL, ECE, Brier, energy; OOD AUROC with --ood)',
  builder: (y) =>
    y
      .positional('data', { type: 'string', array: true, demandOption: true, describe: 'labeled data dirs (wav.scp or feats.scp, utt2label or text)' })
      .option('model', { type: 'string', demandOption: true, describe: 'ONNX model with jemda.frontend and jemda.labels metadata' })
      .option('out', { type: 'string', demandOption: true, describe: 'results dir: <set>.json, <set>.md, <set>-reliability.svg, <set>-confusion.svg' })
      .option('ood', { type: 'string', describe: 'out-of-domain data dir (labels not needed): adds AUROC of px, py, pxgrad' })
      .option('batch-size', { type: 'number', default: 64 })
      .option('threads', { type: 'number', describe: 'onnxruntime intra-op threads' })
      .option('nj', { type: 'number', default: 1, describe: 'worker threads for feature computation' })
      .option('logits', { type: 'string', describe: 'name of the logits tensor (default: auto-detected)' })
      .option('pxgrad', { type: 'boolean', default: true, describe: 'compute the pxgrad OOD score (--no-pxgrad to skip)' })
      .option('frontend-config', { type: 'string', describe: "front end as JSON, for a model without jemda.frontend metadata or to override it (e.g. featureType 'precomputed')" })
      .option('labels', { type: 'string', describe: 'label list file, one per line (a model without jemda.labels metadata)' }) as unknown as Argv<Args>,
  handler: async (a) => {
    const rs = await evaluateModel(a.model, a.data, { outDir: a.out, ood: a.ood, batchSize: a.batchSize, threads: a.threads, logits: a.logits, noPxgrad: !a.pxgrad, nj: a.nj,
      frontEnd: a['frontend-config'] ? readFrontEndFile(a['frontend-config']) : undefined, labels: a.labels ? readLabelsFile(a.labels) : undefined });
    log(`eval: wrote ${rs.length} result set(s) to ${a.out}`);
  },
};
