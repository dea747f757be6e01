/**
 * Loading one utterance from a wav.scp entry: a plain path or a Kaldi pipe (`cmd args |`),
 * resampled to the wanted rate and checked against a minimum length.
 */
import { spawnSync } from 'node:child_process';
import { AudioError } from '../util/errors.ts';
import { resample } from './resample.ts';
import { parseWav, readWav, type WavData } from './wav.ts';

export interface LoadOptions {
  /** Resample to this rate when the file's rate differs (noted in `notes`). */
  sampleRate?: number;
  /** Fewer samples than this (after resampling) → AudioError "shorter than one frame". */
  minSamples?: number;
}

export interface LoadedUtterance {
  samples: Float32Array;
  sampleRate: number;
  /** Things a caller may want to log: downmix, resampling. */
  notes: string[];
}

/** True when a wav.scp value is a pipe command (`... |`). */
export function isPipeEntry(entry: string): boolean {
  return /\|\s*$/.test(entry);
}

/** Run a wav.scp pipe command through /bin/sh and return its stdout bytes. */
export function runPipe(entry: string, utt?: string): Uint8Array {
  const cmd = entry.replace(/\|\s*$/, '').trim();
  const r = spawnSync('/bin/sh', ['-c', cmd], { maxBuffer: 1 << 30, encoding: 'buffer' });
  const stderr = r.stderr ? r.stderr.toString('utf8').trim() : '';
  if (r.error) throw new AudioError(`command '${cmd}'`, `failed to run: ${r.error.message}`, utt, { cause: r.error });
  if (r.status !== 0) {
    const how = r.status === null ? `killed by ${r.signal}` : `exit status ${r.status}`;
    throw new AudioError(`command '${cmd}'`, `${how}${stderr ? `; stderr: ${stderr}` : ''}`, utt);
  }
  if (!r.stdout || r.stdout.length === 0) {
    throw new AudioError(`command '${cmd}'`, `produced no output${stderr ? `; stderr: ${stderr}` : ''}`, utt);
  }
  return new Uint8Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.byteLength);
}

/** Read the audio of one wav.scp entry. */
export function readEntry(entry: string, utt?: string): WavData {
  if (isPipeEntry(entry)) return parseWav(runPipe(entry, utt), `command '${entry.replace(/\|\s*$/, '').trim()}'`, utt);
  return readWav(entry.trim(), utt);
}

export function loadUtterance(entry: string, utt: string, opts: LoadOptions = {}): LoadedUtterance {
  const wav = readEntry(entry, utt);
  const notes: string[] = [];
  if (wav.downmixed) notes.push(`${utt}: downmixed ${wav.channels} channels to mono`);
  let samples = wav.samples;
  let rate = wav.sampleRate;
  if (opts.sampleRate !== undefined && opts.sampleRate !== rate) {
    samples = resample(samples, rate, opts.sampleRate);
    notes.push(`${utt}: resampled ${rate} Hz → ${opts.sampleRate} Hz`);
    rate = opts.sampleRate;
  }
  if (opts.minSamples !== undefined && samples.length < opts.minSamples) {
    const src = isPipeEntry(entry) ? `command '${entry.replace(/\|\s*$/, '').trim()}'` : entry.trim();
    throw new AudioError(src, `audio is shorter than one frame: ${samples.length} samples < ${opts.minSamples}`, utt);
  }
  return { samples, sampleRate: rate, notes };
}

/** Samples between `start` and `end` seconds (Kaldi segments); end <= 0 or past the end = to the end. */
export function sliceSeconds(samples: Float32Array, rate: number, start: number, end: number): Float32Array {
  const a = Math.max(0, Math.min(samples.length, Math.round(start * rate)));
  const b = end <= 0 ? samples.length : Math.max(a, Math.min(samples.length, Math.round(end * rate)));
  return samples.slice(a, b);
}
