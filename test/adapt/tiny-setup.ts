/**
 * A tiny end-to-end setup for CLI tests: a spliced-MLP ONNX model (fbank 10 bins, 20 frames,
 * 3 labels) built with the project's builders, and data dirs of short synthetic WAVs (tones per
 * class; the target is the same tones with a DC-free noise floor and gain change).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildModel, defaultFrontEnd } from '../../src/model/builders/index.ts';
import { saveModel } from '../../src/model/onnx-io.ts';
import { writeWav16 } from '../../src/audio/wav.ts';
import { Rng } from '../../src/util/rng.ts';

export const LABELS = ['low', 'mid', 'high'];

export function makeTinyModel(file: string): void {
  const fe = defaultFrontEnd('BTF', { featDim: 10, numFrames: 20 });
  saveModel(file, buildModel('mlp', { hidden: [16] }, fe, LABELS, 3));
}

export function makeDataDir(dir: string, n: number, opts: { noise: number; gain: number; seed: number; labels: boolean }): void {
  fs.mkdirSync(path.join(dir, 'wav'), { recursive: true });
  const rng = new Rng(opts.seed);
  const freqs = [300, 1200, 3500];
  const wav: string[] = [];
  const spk: string[] = [];
  const lab: string[] = [];
  for (let i = 0; i < n; i++) {
    const utt = `utt${String(i).padStart(3, '0')}`;
    const c = i % 3;
    const x = new Float32Array(4000);
    const f = freqs[c] * (1 + 0.05 * rng.normal());
    for (let t = 0; t < x.length; t++) x[t] = opts.gain * 0.3 * Math.sin((2 * Math.PI * f * t) / 16000) + opts.noise * rng.normal();
    const file = path.join(dir, 'wav', `${utt}.wav`);
    writeWav16(file, x, 16000);
    wav.push(`${utt} ${file}\n`);
    spk.push(`${utt} ${utt}\n`);
    lab.push(`${utt} ${LABELS[c]}\n`);
  }
  fs.writeFileSync(path.join(dir, 'wav.scp'), wav.join(''));
  fs.writeFileSync(path.join(dir, 'utt2spk'), spk.join(''));
  fs.writeFileSync(path.join(dir, 'spk2utt'), spk.join(''));
  if (opts.labels) fs.writeFileSync(path.join(dir, 'utt2label'), lab.join(''));
}

const FAST_DEFAULTS: Record<string, string> = {
  steps: '12',
  'batch-size': '8',
  'sgld-batch-size': '8',
  'sgld-steps': '4',
  'sgld-step-size': '0.05',
  'buffer-size': '32',
  'checkpoint-every': '3',
  lr: '0.003',
};

/** Small, fast adaptation options (each given once; yargs turns repeated options into arrays). */
export function fast(over: Record<string, string> = {}): string[] {
  return Object.entries({ ...FAST_DEFAULTS, ...over }).flatMap(([k, v]) => [`--${k}`, v]);
}
