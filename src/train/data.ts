/**
 * Training data from data dirs: model inputs computed with the model's front end; for the
 * training set, wave-level augmented copies (speed perturbation, noise at moderate SNR) are
 * precomputed once per utterance, each with its own seeded rng (seed ^ hash(utt)), so that epochs
 * only pay for feature-level augmentation.
 */
import type { FrontEnd } from '../model/frontend.ts';
import { loadExamples } from '../engine/examples.ts';
import type { ExampleSet } from '../model/ort-logits.ts';
import { MismatchError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import type { TrainSet } from './trainer.ts';
import type { WaveAugmentOptions } from '../audio/wave-augment.ts';

export async function loadTrainSet(dir: string, fe: FrontEnd, labels: string[], wave: WaveAugmentOptions | null, seed: number, nj = 1): Promise<TrainSet> {
  const useWave = wave !== null && (wave.speeds.length > 0 || wave.noiseCopies > 0);
  const ex = await loadExamples(dir, fe, labels, { title: `features ${dir}`, nj, ...(useWave ? { wave: { options: wave as WaveAugmentOptions, seed } } : {}) });
  if (ex.shapes) throw new MismatchError(`${dir}: utterances give inputs of different shapes; training needs a front end with a fixed frame count (numFrames)`);
  const copies = ex.inputs.map((x, i) => [x, ...(ex.extra?.[i] ?? [])]);
  log(`train data ${dir}: ${ex.inputs.length} utterances × ${copies[0].length} version(s) from ${ex.source}`);
  return { copies, labels: ex.labels, exampleShape: ex.exampleShape };
}

export async function loadDevSet(dir: string, fe: FrontEnd, labels: string[], nj = 1): Promise<ExampleSet> {
  const ex = await loadExamples(dir, fe, labels, { title: `features ${dir}`, nj });
  return { inputs: ex.inputs, labels: ex.labels, exampleShape: ex.exampleShape, ...(ex.shapes ? { shapes: ex.shapes } : {}), utts: ex.utts };
}
