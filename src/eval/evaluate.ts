/**
 * `jemda eval`: a model on held-out data dirs through onnxruntime, with inputs computed from the
 * model's own front-end metadata. One EvalResult per set (set name = the data dir's basename),
 * written to OUT/<set>.json|.md + SVG plots. With an OOD set: AUROC of each set (positives)
 * against the OOD set (negatives) for the px, py and pxgrad scores.
 */
import { checkFrontEndFitsModel } from '../model/input-check.ts';
import * as path from 'node:path';
import { loadModel, type ModelProto } from '../model/onnx-io.ts';
import { modelFrontEnd, requireModelLabels, type FrontEnd } from '../model/frontend.ts';
import { findLogits } from '../model/logits.ts';
import { EnergyGradOrt } from '../model/energy-grad-ort.ts';
import { MismatchError } from '../util/errors.ts';
import { log, warn } from '../util/log.ts';
import { classificationMetrics } from '../engine/metrics.ts';
import { loadExamples } from '../engine/examples.ts';
import { ortLogits, type ExampleSet } from '../model/ort-logits.ts';
import { oodAuroc, pxgradScores, pxScores, pyScores, type OodScoreName } from './ood.ts';
import { writeEvalResult, type EvalResult } from './report.ts';

export interface EvaluateOptions {
  outDir: string;
  ood?: string;
  batchSize?: number;
  threads?: number;
  /** Logits tensor override. */
  logits?: string;
  /** Skip the pxgrad score (it needs a gradient graph). */
  noPxgrad?: boolean;
  /** Worker threads for feature computation. */
  nj?: number;
  /** Front end and labels of a model without (or overriding) its metadata. */
  frontEnd?: FrontEnd;
  labels?: string[];
}

/** Front end and labels from a model's metadata or the overrides (MismatchError when neither), checked against its input. */
export function frontEndAndLabels(model: ModelProto, source: string, over: { frontEnd?: FrontEnd; labels?: string[] } = {}): { fe: FrontEnd; labels: string[] } {
  const fe = modelFrontEnd(model, source, over.frontEnd);
  const labels = requireModelLabels(model, source, over.labels);
  checkFrontEndFitsModel(model, fe, source);
  return { fe, labels };
}

type Scores = Partial<Record<OodScoreName, Float64Array>>;

async function oodScores(model: ModelProto, logits: Float32Array, set: ExampleSet, C: number, o: EvaluateOptions): Promise<Scores> {
  const s: Scores = { px: pxScores(logits, C), py: pyScores(logits, C) };
  if (o.noPxgrad) return s;
  const eg = await EnergyGradOrt.create(model, { logitsName: findLogits(model, o.logits).name, threads: o.threads, exampleShape: set.exampleShape });
  try {
    const size = set.exampleShape.reduce((a, b) => a * b, 1);
    const x = new Float32Array(set.inputs.length * size);
    set.inputs.forEach((v, i) => x.set(v, i * size));
    s.pxgrad = await pxgradScores(eg, x, set.inputs.length, o.batchSize ?? 64);
  } finally {
    await eg.dispose();
  }
  return s;
}

export async function evaluateModel(modelFile: string, dataDirs: string[], o: EvaluateOptions): Promise<EvalResult[]> {
  const model = loadModel(modelFile);
  const { fe, labels } = frontEndAndLabels(model, modelFile, o);
  const C = labels.length;
  const run = { batchSize: o.batchSize ?? 64, threads: o.threads, logits: o.logits, source: modelFile };
  let oodSet: { dir: string; n: number; scores: Scores } | undefined;
  if (o.ood) {
    const set = await loadExamples(o.ood, fe, labels, { unlabeled: true, title: `features ${path.basename(o.ood)}`, nj: o.nj });
    if (set.shapes && !o.noPxgrad) throw new MismatchError(`${o.ood}: utterances of different lengths; pxgrad needs a fixed frame count (use --no-pxgrad)`);
    const logits = await ortLogits(model, set, run);
    oodSet = { dir: o.ood, n: set.inputs.length, scores: await oodScores(model, logits, set, C, o) };
  }
  const results: EvalResult[] = [];
  for (const dir of dataDirs) {
    const name = path.basename(path.resolve(dir));
    const t0 = performance.now();
    const set = await loadExamples(dir, fe, labels, { title: `features ${name}`, nj: o.nj });
    const t1 = performance.now();
    const logits = await ortLogits(model, set, run);
    const t2 = performance.now();
    const n = set.inputs.length;
    const r: EvalResult = {
      set: name,
      data: dir,
      model: modelFile,
      labels,
      ...classificationMetrics(logits, set.labels, labels),
      speed: { forwardUttsPerSec: n / ((t2 - t1) / 1000), totalUttsPerSec: n / ((t2 - t0) / 1000), threads: o.threads ?? 0, batchSize: run.batchSize },
    };
    if (oodSet) {
      const inScores = await oodScores(model, logits, set, C, o);
      r.ood = { data: oodSet.dir, n: oodSet.n, auroc: oodAuroc(inScores, oodSet.scores) };
    }
    writeEvalResult(o.outDir, r);
    log(`eval: ${name}: n=${n} acc ${(100 * r.accuracy).toFixed(2)}% nll ${r.nll.toFixed(4)} ece ${(100 * r.ece).toFixed(2)}% (${r.speed!.forwardUttsPerSec.toFixed(0)} utt/s forward, ${r.speed!.totalUttsPerSec.toFixed(0)} utt/s with features)`);
    if (set.source === 'feats') warn(`eval: ${name}: inputs from feats.scp; they must have been computed with the model's front end options`);
    results.push(r);
  }
  return results;
}
