/** Test helper: a Kaldi data dir of 0.5-s clips with a 0.2-s tone burst whose pitch is the class. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeWav16 } from '../../src/audio/wav.ts';
import { Rng } from '../../src/util/rng.ts';

export const TONE_LABELS = ['low', 'high', 'buzz'];
const FREQ: Record<string, number> = { low: 300, high: 2500, buzz: 1000 };

export function makeToneDir(dir: string, n: number, seed: number, labels = TONE_LABELS): void {
  const rng = new Rng(seed);
  fs.mkdirSync(path.join(dir, 'wav'), { recursive: true });
  const wav: string[] = [];
  const u2l: string[] = [];
  const u2s: string[] = [];
  for (let i = 0; i < n; i++) {
    const l = labels[i % labels.length];
    const utt = `u${String(i).padStart(4, '0')}`;
    const a = 0.05 + 0.3 * rng.uniform();
    const f = FREQ[l] ?? 600;
    const x = new Float32Array(8000);
    const ph = rng.uniform() * 6.28;
    const t0 = 800 + rng.int(3200);
    for (let k = 0; k < x.length; k++) x[k] = (k >= t0 && k < t0 + 3200 ? a * Math.sin((2 * Math.PI * f * k) / 16000 + ph) : 0) + 0.003 * rng.normal();
    const file = path.join(dir, 'wav', `${utt}.wav`);
    writeWav16(file, x, 16000);
    wav.push(`${utt} ${file}`);
    u2l.push(`${utt} ${l}`);
    u2s.push(`${utt} ${utt}`);
  }
  fs.writeFileSync(path.join(dir, 'wav.scp'), wav.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'utt2label'), u2l.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'utt2spk'), u2s.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'spk2utt'), u2s.join('\n') + '\n');
}
