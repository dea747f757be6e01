// MFCC frames/s: jemda (fft and meyda spectrum) vs torchaudio.compliance.kaldi.mfcc, one thread each,
// on 10-s and 1-s utterances, interleaved `reps` times (the machine is shared; take medians).
// Usage: node --import tsx scripts/mfcc-speed.ts [seconds-per-measurement] [reps]
import { spawnSync } from 'node:child_process';
import { benchMfcc } from '../src/features/bench.ts';

const secs = Number(process.argv[2] ?? 2);
const reps = Number(process.argv[3] ?? 3);

function torchaudio(clip: number): number | string {
  const r = spawnSync('/usr/bin/python3', ['scripts/mfcc_ref.py', '--seconds', String(secs), '--clip', String(clip)], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1', LD_LIBRARY_PATH: '/usr/lib/x86_64-linux-gnu/openblas-openmp' },
  });
  if (r.status !== 0) return `unavailable: ${(r.stderr ?? '').slice(-200)}`;
  return (JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { framesPerSec: number }).framesPerSec;
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
for (const clip of [10, 1]) {
  const fft: number[] = [], mey: number[] = [], ta: number[] = [];
  for (let r = 0; r < reps; r++) {
    fft.push(benchMfcc(secs, 'fft', clip).framesPerSec);
    mey.push(benchMfcc(secs, 'meyda', clip).framesPerSec);
    const t = torchaudio(clip);
    if (typeof t === 'number') ta.push(t);
    else console.error(t);
  }
  const row = { clip_s: clip, jemda_fft: Math.round(median(fft)), jemda_meyda: Math.round(median(mey)), torchaudio: ta.length ? Math.round(median(ta)) : null };
  console.log(JSON.stringify({ ...row, ratio_fft_vs_torchaudio: row.torchaudio ? +(row.jemda_fft / row.torchaudio).toFixed(2) : null }));
}
