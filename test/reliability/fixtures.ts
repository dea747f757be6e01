/** Shared helpers of the reliability tests: a tiny model, tone data dirs, bad WAVs, running the CLI. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import wavefilePkg from 'wavefile';
import { buildModel } from '../../src/model/builders/index.ts';
import { defaultFrontEnd } from '../../src/model/builders/common.ts';
import { saveModel } from '../../src/model/onnx-io.ts';
import { writeWav16 } from '../../src/audio/wav.ts';
import { makeToneDir, TONE_LABELS } from '../eval/tone-data.ts';

const { WaveFile } = wavefilePkg as unknown as { WaveFile: typeof import('wavefile').WaveFile };

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export { makeToneDir, TONE_LABELS };
const ENV = { ...process.env, JEMDA_NO_PROGRESS: '1' };

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-rel-'));
}

/** A tiny spliced-frame MLP for 0.5-s tone clips: 48 frames × 40 fbank, labels low/high/buzz. */
export function makeTinyModel(file: string, seed = 1): void {
  const fe = defaultFrontEnd('BTF', { featDim: 40, numFrames: 48 });
  saveModel(file, buildModel('mlp', { hidden: [8] }, fe, TONE_LABELS, seed));
}

export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

/** One real `node scripts/jemda.mjs ...` process. */
export function jemda(...args: string[]): CliResult {
  const r = spawnSync(process.execPath, ['scripts/jemda.mjs', ...args], { cwd: ROOT, encoding: 'utf8', env: ENV });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Start `jemda ...` without waiting (for kill tests). */
export function jemdaAsync(args: string[]): ChildProcess {
  return spawn(process.execPath, ['scripts/jemda.mjs', ...args], { cwd: ROOT, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Several command lines through runCli() in one process (see cli-batch.mjs). */
export function jemdaBatch(tmp: string, cmds: string[][]): CliResult[] {
  const cf = path.join(tmp, 'cmds.json');
  const of = path.join(tmp, 'results.json');
  fs.writeFileSync(cf, JSON.stringify(cmds));
  const r = spawnSync(process.execPath, ['test/reliability/cli-batch.mjs', cf, of], { cwd: ROOT, encoding: 'utf8', env: ENV });
  if (r.status !== 0) throw new Error(`cli-batch failed (${r.status}): ${r.stderr}`);
  return JSON.parse(fs.readFileSync(of, 'utf8')) as CliResult[];
}

/** A sine of `n` samples, amplitude 0.3. */
export function sine(n: number, rate: number, f = 440): Float32Array {
  return Float32Array.from({ length: n }, (_, k) => 0.3 * Math.sin((2 * Math.PI * f * k) / rate));
}

/** Write a WAV through the wavefile package: bits '8' | '16' | '24' | '32' | '32f', channels given as arrays. */
export function writeWavAny(file: string, rate: number, bits: '8' | '16' | '24' | '32' | '32f', channels: Float32Array[]): void {
  const scale = (x: number) =>
    bits === '32f' ? x : bits === '8' ? Math.round(128 + x * 127) : Math.round(x * (bits === '16' ? 32767 : bits === '24' ? 8388607 : 2147483647));
  const data = channels.map((c) => Array.from(c, scale));
  const wf = new WaveFile();
  wf.fromScratch(channels.length, rate, bits, channels.length === 1 ? data[0] : data);
  fs.writeFileSync(file, wf.toBuffer());
}

/** Bad WAV files: truncated (header says more data), corrupt (no fmt chunk), empty, shorter than one frame. */
export function writeBadWav(file: string, kind: 'truncated' | 'corrupt' | 'empty' | 'short'): void {
  if (kind === 'short') return writeWav16(file, sine(100, 16000), 16000);
  if (kind === 'empty') return fs.writeFileSync(file, '');
  writeWav16(file, sine(8000, 16000), 16000);
  const b = fs.readFileSync(file);
  if (kind === 'truncated') return fs.writeFileSync(file, b.subarray(0, 2000));
  b.write('XXXX', 12, 'latin1'); // the 'fmt ' chunk id
  fs.writeFileSync(file, b);
}

/** Rewrite one wav.scp line (utt → value). */
export function setWavEntry(dir: string, utt: string, value: string): void {
  const f = path.join(dir, 'wav.scp');
  const lines = fs.readFileSync(f, 'utf8').trimEnd().split('\n').map((l) => (l.split(' ')[0] === utt ? `${utt} ${value}` : l));
  fs.writeFileSync(f, lines.join('\n') + '\n');
}

export function wavPath(dir: string, utt: string): string {
  return path.join(dir, 'wav', `${utt}.wav`);
}

/** Escape a string for a RegExp. */
export function re(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
