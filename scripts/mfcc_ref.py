"""torchaudio.compliance.kaldi.mfcc throughput on one thread (peer for jemda's MFCC bench).
Same audio recipe as src/features/bench.ts (sines + seeded noise, 23 bins, 13 ceps, dither 0).
One-shot: prints one JSON line {"framesPerSec", "framesPerCpuSec" (frames per process CPU second)}.
--serve: reads lines "CLIP_SECONDS RUN_SECONDS" on stdin and answers each with such a JSON line,
so a caller can interleave short jemda and torchaudio bursts on a noisy machine."""
import argparse, json, math, sys, time
import torch, torchaudio

p = argparse.ArgumentParser()
p.add_argument('--seconds', type=float, default=3.0)
p.add_argument('--clip', type=float, default=10.0, help='utterance length in seconds')
p.add_argument('--serve', action='store_true')
a = p.parse_args()
torch.set_num_threads(1)


def audio(clip):
    g = torch.Generator().manual_seed(1)
    n = int(round(16000 * clip))
    t = torch.arange(n, dtype=torch.float32) / 16000
    x = 0.3 * torch.sin(2 * math.pi * 220 * t) + 0.1 * torch.sin(2 * math.pi * 1330 * t) + 0.05 * torch.randn(n, generator=g)
    return (x * 32768).unsqueeze(0)


def bench(clip, seconds):
    w = audio(clip)
    f = lambda: torchaudio.compliance.kaldi.mfcc(w, sample_frequency=16000, num_mel_bins=23, num_ceps=13, dither=0.0)
    f()
    frames, t0, c0 = 0, time.perf_counter(), time.process_time()
    while True:
        frames += f().shape[0]
        el = time.perf_counter() - t0
        if el >= seconds:
            break
    cpu = time.process_time() - c0
    return {'framesPerSec': frames / el, 'framesPerCpuSec': frames / max(cpu, 1e-9), 'frames': frames}


if a.serve:
    print(json.dumps({'ready': True}), flush=True)
    for line in sys.stdin:
        clip, secs = (float(v) for v in line.split())
        print(json.dumps(bench(clip, secs)), flush=True)
else:
    print(json.dumps(bench(a.clip, a.seconds)))
