#!/usr/bin/env python3
"""PyTorch peer for the SGLD step benchmark: forward + input gradient of E(x) = -logsumexp(f(x))
(eval mode) on the same architectures as the reference KWS CNN and TDNN, plus the x update with
Gaussian noise. Prints one JSON object. Run with a fast BLAS, e.g.
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 scripts/torch_sgld_peer.py --model cnn --threads 2
"""
import argparse, json, time
import torch
import torch.nn as nn


class KwsCnn(nn.Module):  # cnn2d_kws_op13_nofold: [B,1,98,40] -> 12
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 16, 3, padding=1)
        self.c2 = nn.Conv2d(16, 32, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(32 * 24 * 10, 64)
        self.out = nn.Linear(64, 12)

    def forward(self, x):
        x = self.pool(torch.relu(self.c1(x)))
        x = self.pool(torch.relu(self.c2(x)))
        return self.out(torch.relu(self.fc(x.flatten(1))))


class Tdnn(nn.Module):  # tdnn1d_op13: [B,13,T] -> 10, dilations 1,2,3, mean+std pooling
    def __init__(self, feat=13):
        super().__init__()
        self.l1 = nn.Sequential(nn.Conv1d(feat, 64, 5), nn.ReLU(), nn.BatchNorm1d(64))
        self.l2 = nn.Sequential(nn.Conv1d(64, 64, 3, dilation=2), nn.ReLU(), nn.BatchNorm1d(64))
        self.l3 = nn.Sequential(nn.Conv1d(64, 64, 3, dilation=3), nn.ReLU(), nn.BatchNorm1d(64))
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        h = self.l3(self.l2(self.l1(x)))
        m = h.mean(2)
        s = torch.sqrt(((h - m.unsqueeze(2)) ** 2).mean(2) + 1e-5)
        return self.fc(torch.cat([m, s], 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', choices=['cnn', 'tdnn'], default='cnn')
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--frames', type=int, default=98)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--steps', type=int, default=10)
    ap.add_argument('--warmup', type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = (KwsCnn() if a.model == 'cnn' else Tdnn()).eval()
    for p in net.parameters():
        p.requires_grad_(False)
    shape = [a.batch, 1, 98, 40] if a.model == 'cnn' else [a.batch, 13, a.frames]
    x = torch.randn(*shape)
    grad_t, step_t, fwd_t = [], [], []
    for k in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        xg = x.detach().requires_grad_(True)
        e = -torch.logsumexp(net(xg), 1)
        (g,) = torch.autograd.grad(e.sum(), xg)
        t1 = time.perf_counter()
        x = x - 1.0 * g + 0.01 * torch.randn_like(x)
        t2 = time.perf_counter()
        with torch.no_grad():
            net(x)
        t3 = time.perf_counter()
        if k >= a.warmup:
            grad_t.append((t1 - t0) * 1e3)
            step_t.append((t2 - t0) * 1e3)
            fwd_t.append((t3 - t2) * 1e3)
    med = lambda v: sorted(v)[len(v) // 2]
    print(json.dumps({'model': a.model, 'batch': a.batch, 'threads': a.threads, 'torch': torch.__version__,
                      'gradMs': med(grad_t), 'stepMs': med(step_t), 'forwardMs': med(fwd_t)}))


if __name__ == '__main__':
    main()
