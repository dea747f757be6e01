/**
 * MFCC throughput for `npm run bench`: frames per second of computeMfcc on one thread over
 * synthetic speech-like audio (a deterministic noise + harmonic mixture), 13 ceps / 23 bins,
 * 25 ms / 10 ms at 16 kHz — the same setting as the torchaudio peer (scripts/mfcc_ref.py).
 */
import { Rng } from '../util/rng.ts';
import { computeMfcc } from './extract.ts';
import type { SpectrumBackend } from './options.ts';

export function benchAudio(numSamples: number, seed = 1): Float32Array {
  const rng = new Rng(seed);
  const x = new Float32Array(numSamples);
  for (let i = 0; i < numSamples; i++) {
    const t = i / 16000;
    x[i] = 0.3 * Math.sin(2 * Math.PI * 220 * t) + 0.1 * Math.sin(2 * Math.PI * 1330 * t) + 0.05 * rng.normal();
  }
  return x;
}

/**
 * Run computeMfcc on `clipSeconds`-long utterances (default 10 s; 1 s is the KWS workload) for
 * about `seconds` of wall time. framesPerSec is wall-clock throughput; framesPerCpuSec divides by
 * the process CPU time instead, which is steadier on a machine shared with other jobs.
 */
export function benchMfcc(
  seconds: number,
  spectrum: SpectrumBackend = 'fft',
  clipSeconds = 10,
): { framesPerSec: number; framesPerCpuSec: number; frames: number; elapsedSec: number; cpuSec: number } {
  const audio = benchAudio(Math.round(16000 * clipSeconds));
  const opts = { 'num-mel-bins': 23, 'num-ceps': 13, dither: 0, spectrum };
  computeMfcc(audio, opts); // warm-up (JIT, plan cache)
  let frames = 0;
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  let el = 0;
  do {
    frames += computeMfcc(audio, opts).rows;
    el = Number(process.hrtime.bigint() - t0) / 1e9;
  } while (el < seconds);
  const c = process.cpuUsage(c0);
  const cpuSec = (c.user + c.system) / 1e6;
  return { framesPerSec: frames / el, framesPerCpuSec: frames / Math.max(cpuSec, 1e-9), frames, elapsedSec: el, cpuSec };
}
