"""torchaudio.compliance.kaldi.mfcc throughput on one thread (peer for jemda's MFCC bench).
Same audio recipe as src/features/bench.ts (--clip-second clips, 23 bins, 13 ceps, dither 0).
Prints one JSON line: {"framesPerSec": ...}."""
import argparse, json, math, time
import torch, torchaudio

p = argparse.ArgumentParser()
p.add_argument('--seconds', type=float, default=3.0)
p.add_argument('--clip', type=float, default=10.0, help='utterance length in seconds')
a = p.parse_args()
torch.set_num_threads(1)
g = torch.Generator().manual_seed(1)
n = int(round(16000 * a.clip))
t = torch.arange(n, dtype=torch.float32) / 16000
x = 0.3 * torch.sin(2 * math.pi * 220 * t) + 0.1 * torch.sin(2 * math.pi * 1330 * t) + 0.05 * torch.randn(n, generator=g)
w = (x * 32768).unsqueeze(0)
f = lambda: torchaudio.compliance.kaldi.mfcc(w, sample_frequency=16000, num_mel_bins=23, num_ceps=13, dither=0.0)
f()
frames, t0 = 0, time.perf_counter()
while True:
    frames += f().shape[0]
    el = time.perf_counter() - t0
    if el >= a.seconds:
        break
print(json.dumps({'framesPerSec': frames / el, 'frames': frames}))
