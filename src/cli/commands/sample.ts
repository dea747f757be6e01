/**
 * `jemda sample --model MODEL [--class LABEL | --per-class N] [--from-buffer CKPT] --out DIR`:
 * SGLD samples of the model's p(x) (or p(x|y)), or the chains of a saved replay buffer, written
 * as DIR/samples.ark + samples.scp (feature matrices, frames × dims), DIR/samples.png (a grid of
 * feature images) and DIR/utt2label for class-conditional samples.
 */
import { sgldScaleFor } from '../../adapt/sgld-scale.ts';
import { frontEndExampleShape } from '../../model/input-check.ts';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CommandModule } from 'yargs';
import { loadModel } from '../../model/onnx-io.ts';
import { importModel } from '../../model/importer.ts';
import { EnergyGradOrt } from '../../model/energy-grad-ort.ts';
import { selectBackend } from '../../model/backend.ts';
import type { FrontEnd } from '../../model/frontend.ts';
import type { EnergyGrad } from '../../model/types.ts';
import { modelFrontEnd, modelLabels } from '../../model/frontend.ts';
import { loadLabeled, loadUnlabeled } from '../../adapt/inputs.ts';
import { TfjsEnergyGrad } from '../../jem/energy-grad-tfjs.ts';
import { fitClassGaussians, fitUniformInit, type InitDistribution } from '../../jem/buffer-init.ts';
import { drawSamples, samplesFromBuffer, type DrawnSamples } from '../../jem/sample.ts';
import { sgldOptions } from '../../jem/sampler.ts';
import { exampleToMatrix, writeFeatureGrid } from '../../jem/feature-image.ts';
import { openMatrixWriter } from '../../data/kaldi-write.ts';
import { ConfigError, MismatchError } from '../../util/errors.ts';
import { Rng } from '../../util/rng.ts';
import { log } from '../../util/log.ts';
import { writeFileAtomic } from '../../util/atomic.ts';
import { readFrontEndFile, readLabelsFile } from '../model-files.ts';

interface Args {
  model: string;
  out: string;
  class?: string;
  'per-class'?: number;
  num: number;
  'from-buffer'?: string;
  data?: string;
  init: 'uniform' | 'class-gaussian';
  'init-k': number;
  'sgld-steps': number;
  'sgld-step-size': number;
  'sgld-noise': string;
  'sgld-clip': number;
  seed: number;
  'sampler-backend': 'ort' | 'tfjs';
  'frontend-config'?: string;
  labels?: string;
  logits?: string;
  'num-frames'?: number;
}

export function exampleShapeOf(fe: FrontEnd, numFrames?: number): number[] {
  const T = fe.numFrames ?? numFrames;
  if (!T) throw new ConfigError('the front end has no fixed frame count: give --num-frames');
  return frontEndExampleShape({ ...fe, numFrames: T }) as number[];
}

export const command: CommandModule<object, Args> = {
  command: 'sample',
  describe: 'Draw SGLD samples from a model (or read a replay buffer); write an ark and a PNG grid',
  builder: (y) =>
    y
      .option('model', { type: 'string', demandOption: true, describe: 'ONNX model' })
      .option('out', { type: 'string', demandOption: true, describe: 'output dir' })
      .option('class', { type: 'string', describe: 'sample p(x|y) for this label' })
      .option('per-class', { type: 'number', describe: 'N class-conditional samples for every label' })
      .option('num', { type: 'number', default: 16, describe: 'number of samples (unconditional, --class, or from the buffer)' })
      .option('from-buffer', { type: 'string', describe: 'checkpoint dir (or buffer dir): take its replay-buffer chains instead of sampling' })
      .option('data', { type: 'string', describe: 'data dir to fit the init distribution (uniform: per-dim std; class-gaussian: labeled)' })
      .option('init', { choices: ['uniform', 'class-gaussian'], default: 'uniform', describe: 'SGLD init distribution' })
      .option('init-k', { type: 'number', default: 3, describe: 'uniform init half-width in stds (std 1 without --data)' })
      .option('sgld-steps', { type: 'number', default: 100, describe: 'SGLD steps' })
      .option('sgld-step-size', { type: 'number', default: 1, describe: 'SGLD step size' })
      .option('sgld-noise', { type: 'string', default: '0.01', describe: "noise std or 'langevin'" })
      .option('sgld-clip', { type: 'number', default: 0, describe: 'per-sample gradient clip (0 = off)' })
      .option('seed', { type: 'number', default: 0, describe: 'random seed' })
      .option('sampler-backend', { choices: ['ort', 'tfjs'], default: 'ort', describe: 'SGLD backend' })
      .option('frontend-config', { type: 'string', describe: 'JSON front end for models without metadata' })
      .option('labels', { type: 'string', describe: 'label list file for models without metadata' })
      .option('logits', { type: 'string', describe: 'logits tensor name' })
      .option('num-frames', { type: 'number', describe: 'frames per sample when the front end has no fixed count' }) as never,
  handler: async (a) => {
    const proto = loadModel(a.model);
    const fe = a['frontend-config'] ? readFrontEndFile(a['frontend-config']) : modelFrontEnd(proto, a.model);
    const labels = modelLabels(proto, a.model, a.labels ? readLabelsFile(a.labels) : undefined);
    if (a.class !== undefined && a['per-class'] !== undefined) throw new ConfigError('give --class or --per-class, not both');
    let classes: Int32Array | null = null;
    if (a.class !== undefined || a['per-class'] !== undefined) {
      if (!labels) throw new MismatchError(`${a.model}: no label list; give --labels FILE`);
      if (a.class !== undefined) {
        const c = labels.indexOf(a.class);
        if (c < 0) throw new ConfigError(`--class ${a.class}: not one of the model's labels (${labels.join(' ')})`);
        classes = new Int32Array(a.num).fill(c);
      } else {
        const k = a['per-class'] as number;
        classes = Int32Array.from({ length: k * labels.length }, (_, i) => Math.floor(i / k));
      }
    }
    let drawn: DrawnSamples;
    let exampleShape: number[];
    if (a['from-buffer']) {
      exampleShape = exampleShapeOf(fe, a['num-frames']);
      drawn = samplesFromBuffer(a['from-buffer'], a.num, a.seed);
    } else {
      await selectBackend();
      let init: InitDistribution;
      let dataX: Float32Array | null = null;
      if (fe.featureType === 'raw' && !a.data) throw new ConfigError('sampling a raw-waveform model needs --data: the chains start from, and step in, the scale of its waveforms');
      if (a.data && a.init === 'class-gaussian') {
        if (!labels) throw new MismatchError(`${a.model}: no label list; give --labels FILE`);
        const l = await loadLabeled(a.data, fe, null, labels);
        exampleShape = l.exampleShape;
        dataX = l.set.x;
        init = fitClassGaussians(l.set.x, l.set.y, l.set.x.length / l.set.n, labels.length, 0, new Rng(a.seed));
      } else if (a.data) {
        const u = await loadUnlabeled(a.data, fe, null);
        exampleShape = u.exampleShape;
        dataX = u.set.x;
        init = fitUniformInit(u.set.x, u.set.x.length / u.set.n, a['init-k']);
      } else {
        if (a.init === 'class-gaussian') throw new ConfigError('--init class-gaussian needs --data (labeled)');
        exampleShape = exampleShapeOf(fe, a['num-frames']);
        const dim = exampleShape.reduce((x, y) => x * y, 1);
        init = { kind: 'uniform', k: a['init-k'], mean: new Float32Array(dim), std: new Float32Array(dim).fill(1) };
      }
      const model = importModel(proto, { trainable: 'none', logits: a.logits });
      let eg: EnergyGrad;
      if (a['sampler-backend'] === 'ort') {
        eg = await EnergyGradOrt.create(proto, { logitsName: model.logitsName, exampleShape, classConditional: classes !== null });
      } else {
        eg = new TfjsEnergyGrad(model, exampleShape, false);
      }
      const noise = a['sgld-noise'] === 'langevin' ? 'langevin' : Number(a['sgld-noise']);
      if (noise !== 'langevin' && !Number.isFinite(noise)) throw new ConfigError(`--sgld-noise must be a number or 'langevin'`);
      const n = classes ? classes.length : a.num;
      // raw waveforms: step size and noise carried over to the waveform's scale, as jemda adapt does (adapt/sgld-scale.ts)
      const s = dataX ? sgldScaleFor({ sgldScale: 'auto' }, fe, dataX) : 1;
      const stepSize = a['sgld-step-size'] * s * s;
      const sNoise = noise === 'langevin' ? noise : noise * s;
      if (s !== 1) log(`SGLD on raw waveforms (scale s = ${s.toPrecision(4)}): step size ${a['sgld-step-size']}·s² = ${stepSize.toPrecision(4)}, noise ${sNoise === 'langevin' ? 'langevin' : sNoise.toPrecision(4)}`);
      drawn = await drawSamples(eg, init, n, sgldOptions({ steps: a['sgld-steps'], stepSize, noise: sNoise, clip: a['sgld-clip'] }), a.seed, classes);
      await eg.dispose();
    }
    const dim = exampleShape.reduce((x, y) => x * y, 1);
    if (drawn.x.length !== drawn.n * dim) throw new MismatchError(`samples have ${drawn.x.length / drawn.n} values each, the model input ${dim}`);
    fs.mkdirSync(a.out, { recursive: true });
    const w = openMatrixWriter(`ark,scp:${path.join(a.out, 'samples.ark')},${path.join(a.out, 'samples.scp')}`);
    const mats = [];
    const keys: string[] = [];
    for (let i = 0; i < drawn.n; i++) {
      const key = drawn.classes && labels ? `sample-${labels[drawn.classes[i]]}-${String(i).padStart(4, '0')}` : `sample-${String(i).padStart(4, '0')}`;
      const m = exampleToMatrix(drawn.x.subarray(i * dim, (i + 1) * dim), exampleShape, fe.layout);
      w.write(key, m);
      mats.push(m);
      keys.push(key);
    }
    w.close();
    writeFeatureGrid(path.join(a.out, 'samples.png'), mats);
    if (drawn.classes && labels) writeFileAtomic(path.join(a.out, 'utt2label'), keys.map((k, i) => `${k} ${labels[drawn.classes![i]]}\n`).join(''));
    if (drawn.energy) writeFileAtomic(path.join(a.out, 'energy'), keys.map((k, i) => `${k} ${drawn.energy![i]}\n`).join(''));
    log(`wrote ${drawn.n} samples to ${a.out} (samples.ark/scp, samples.png${drawn.steps ? `, ${drawn.steps} SGLD steps` : ''})`);
  },
};
