/** Loads ../shared/reference/mfcc (PCM16 WAVs + torchaudio JSON) for the feature tests. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MFCC_REF } from '../shared-ref.ts';

export const REF_DIR = MFCC_REF;
// The reference must be there (CI has ../shared beside the clone): a missing one fails the tests rather than skipping them.
if (!fs.existsSync(path.join(REF_DIR, 'utt01.wav'))) throw new Error(`MFCC reference data not found at ${REF_DIR} (../shared/reference beside the repository)`);

/** Minimal RIFF/PCM16 mono reader (keeps the tests independent of src/audio). */
export function readPcm16(file: string): Float32Array {
  const b = fs.readFileSync(file);
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${file}: not a WAV`);
  let p = 12;
  let bits = 0, channels = 0;
  while (p + 8 <= b.length) {
    const id = b.toString('ascii', p, p + 4);
    const size = b.readUInt32LE(p + 4);
    if (id === 'fmt ') {
      channels = b.readUInt16LE(p + 10);
      bits = b.readUInt16LE(p + 22);
    } else if (id === 'data') {
      if (bits !== 16 || channels !== 1) throw new Error(`${file}: expected mono PCM16`);
      const n = size >> 1;
      const x = new Float32Array(n);
      for (let i = 0; i < n; i++) x[i] = b.readInt16LE(p + 8 + 2 * i) / 32768;
      return x;
    }
    p += 8 + size + (size & 1);
  }
  throw new Error(`${file}: no data chunk`);
}

export interface RefUtt {
  samples: Float32Array;
  variants: Record<string, { input_scale: string; shape: [number, number]; data: number[][] }>;
}

export function loadRef(utt: string): RefUtt {
  const samples = readPcm16(path.join(REF_DIR, `${utt}.wav`));
  const j = JSON.parse(fs.readFileSync(path.join(REF_DIR, `${utt}.json`), 'utf8')) as { variants: RefUtt['variants'] };
  return { samples, variants: j.variants };
}

export function maxAbsDiff(data: Float32Array, cols: number, ref: number[][]): number {
  let e = 0;
  for (let i = 0; i < ref.length; i++) for (let j = 0; j < cols; j++) e = Math.max(e, Math.abs(data[i * cols + j] - ref[i][j]));
  return e;
}
