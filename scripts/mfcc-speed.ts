// MFCC frames/s: jemda (built-in FFT and meyda spectrum) vs torchaudio.compliance.kaldi.mfcc, one
// thread each, on 10-s and 1-s utterances. The machine is shared and noisy, so short bursts of
// jemda and torchaudio (a python process kept running with --serve) alternate `reps` times and the
// medians and the median of the paired ratios are reported, by wall time and by process CPU time
// (frames per CPU second: steadier when other jobs compete for the cores).
// Usage: node --import tsx scripts/mfcc-speed.ts [seconds-per-burst=0.5] [reps=9]
import { spawn } from 'node:child_process';
import * as readline from 'node:readline';
import { benchMfcc } from '../src/features/bench.ts';

const secs = Number(process.argv[2] ?? 0.5);
const reps = Number(process.argv[3] ?? 9);
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];

const py = spawn('/usr/bin/python3', ['scripts/mfcc_ref.py', '--serve'], {
  env: { ...process.env, OMP_NUM_THREADS: '1', LD_LIBRARY_PATH: '/usr/lib/x86_64-linux-gnu/openblas-openmp' },
  stdio: ['pipe', 'pipe', 'inherit'],
});
const lines = readline.createInterface({ input: py.stdout })[Symbol.asyncIterator]();
async function next(): Promise<{ framesPerSec?: number; framesPerCpuSec?: number; ready?: boolean } | null> {
  const r = await lines.next();
  return r.done ? null : JSON.parse(r.value);
}
const ready = await next();
const haveTorch = ready?.ready === true;
if (!haveTorch) console.error('torchaudio peer unavailable (see stderr above)');

for (const clip of [10, 1]) {
  const fft: number[] = [], fftCpu: number[] = [], mey: number[] = [], ta: number[] = [], taCpu: number[] = [];
  const ratio: number[] = [], ratioCpu: number[] = [];
  for (let r = 0; r < reps; r++) {
    const j = benchMfcc(secs, 'fft', clip);
    fft.push(j.framesPerSec);
    fftCpu.push(j.framesPerCpuSec);
    if (r % 3 === 0) mey.push(benchMfcc(secs, 'meyda', clip).framesPerSec);
    if (haveTorch) {
      py.stdin.write(`${clip} ${secs}\n`);
      const t = await next();
      if (t?.framesPerSec && t.framesPerCpuSec) {
        ta.push(t.framesPerSec);
        taCpu.push(t.framesPerCpuSec);
        ratio.push(j.framesPerSec / t.framesPerSec);
        ratioCpu.push(j.framesPerCpuSec / t.framesPerCpuSec);
      }
    }
  }
  console.log(
    JSON.stringify({
      clip_s: clip,
      jemda_fft: Math.round(median(fft)),
      jemda_fft_per_cpu_s: Math.round(median(fftCpu)),
      jemda_meyda: Math.round(median(mey)),
      torchaudio: ta.length ? Math.round(median(ta)) : null,
      torchaudio_per_cpu_s: taCpu.length ? Math.round(median(taCpu)) : null,
      ratio_wall: ratio.length ? +median(ratio).toFixed(2) : null,
      ratio_cpu: ratioCpu.length ? +median(ratioCpu).toFixed(2) : null,
    }),
  );
}
py.stdin.end();
