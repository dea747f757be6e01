#!/usr/bin/env python3
"""PyTorch peer for `jemda bench`: the same computations jemda runs, in eager PyTorch.

The model is read from the same ONNX file jemda uses and executed op by op with torch functions
(a small interpreter for the ops our builders emit), so both sides compute exactly the same
network. Run with Debian's python3-torch:
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 scripts/torch_peer.py TASK ...
Prints one JSON object on stdout.
"""
import argparse
import json
import math
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def load_graph(path):
    import onnx
    from onnx import numpy_helper
    m = onnx.load(path)
    g = m.graph
    params = {t.name: torch.tensor(numpy_helper.to_array(t).copy()) for t in g.initializer}
    return g, params


def attrs(node):
    import onnx
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def run_graph(g, params, x, logits_name=None, training=False):
    """Evaluate the graph on x with torch ops (eval-mode BatchNorm unless training: batch statistics,
    running statistics updated with ONNX momentum m, i.e. torch momentum 1 - m). Returns the logits tensor."""
    from onnx import numpy_helper
    env = dict(params)
    env[g.input[0].name] = x
    for node in g.node:
        a = attrs(node)
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == 'Conv':
            w = ins[1]
            b = ins[2] if len(ins) > 2 else None
            nd = w.dim() - 2
            pads = a.get('pads', [0] * (2 * nd))
            strides = a.get('strides', [1] * nd)
            dil = a.get('dilations', [1] * nd)
            group = a.get('group', 1)
            if any(pads[i] != pads[i + nd] for i in range(nd)):
                xin = F.pad(ins[0], sum([[pads[i], pads[i + nd]] for i in reversed(range(nd))], []))
                pad = 0
            else:
                xin, pad = ins[0], pads[:nd]
            fn = F.conv1d if nd == 1 else F.conv2d
            out = fn(xin, w, b, stride=strides, padding=pad, dilation=dil, groups=group)
        elif op == 'BatchNormalization':
            out = F.batch_norm(ins[0], ins[3], ins[4], ins[1], ins[2], training, 1.0 - a.get('momentum', 0.9), a.get('epsilon', 1e-5))
        elif op == 'Relu':
            out = F.relu(ins[0])
        elif op == 'MaxPool':
            k = a['kernel_shape']
            out = (F.max_pool2d if len(k) == 2 else F.max_pool1d)(ins[0], k, a.get('strides', k))
        elif op == 'AveragePool':
            k = a['kernel_shape']
            out = (F.avg_pool2d if len(k) == 2 else F.avg_pool1d)(ins[0], k, a.get('strides', k))
        elif op == 'GlobalAveragePool':
            out = ins[0].mean(dim=tuple(range(2, ins[0].dim())), keepdim=True)
        elif op == 'Flatten':
            ax = a.get('axis', 1)
            out = ins[0].reshape(int(math.prod(ins[0].shape[:ax])), -1)
        elif op == 'Gemm':
            A, B = ins[0], ins[1]
            if a.get('transA', 0):
                A = A.t()
            if a.get('transB', 0):
                B = B.t()
            out = a.get('alpha', 1.0) * (A @ B)
            if len(ins) > 2 and ins[2] is not None:
                out = out + a.get('beta', 1.0) * ins[2]
        elif op == 'MatMul':
            out = ins[0] @ ins[1]
        elif op in ('Add', 'Sub', 'Mul', 'Div', 'Pow'):
            f = {'Add': torch.add, 'Sub': torch.sub, 'Mul': torch.mul, 'Div': torch.div, 'Pow': torch.pow}[op]
            out = f(ins[0], ins[1])
        elif op == 'Sqrt':
            out = torch.sqrt(ins[0])
        elif op == 'ReduceMean':
            axes = a.get('axes')
            out = ins[0].mean(dim=tuple(axes), keepdim=bool(a.get('keepdims', 1)))
        elif op == 'ReduceSum':
            axes = [int(v) for v in ins[1].tolist()] if len(ins) > 1 and ins[1] is not None else a.get('axes')
            out = ins[0].sum(dim=tuple(axes), keepdim=bool(a.get('keepdims', 1)))
        elif op == 'Concat':
            out = torch.cat(ins, dim=a['axis'])
        elif op == 'Constant':
            out = torch.tensor(numpy_helper.to_array(a['value']).copy())
        elif op in ('Identity', 'Dropout'):
            out = ins[0]
        elif op == 'Softmax':
            out = F.softmax(ins[0], dim=a.get('axis', -1))
        elif op == 'LogSoftmax':
            out = F.log_softmax(ins[0], dim=a.get('axis', -1))
        elif op == 'Unsqueeze':
            out = ins[0]
            for ax in sorted(a['axes'] if 'axes' in a else ins[1].tolist()):
                out = out.unsqueeze(int(ax))
        elif op == 'Reshape':
            out = ins[0].reshape([int(v) for v in ins[1].tolist()])
        elif op == 'Transpose':
            out = ins[0].permute(a['perm'])
        elif op == 'Shape':
            out = torch.tensor(list(ins[0].shape), dtype=torch.int64)
        elif op == 'Gather':
            out = torch.index_select(ins[0], a.get('axis', 0), ins[1].reshape(-1)).reshape(ins[1].shape + ins[0].shape[1:]) if ins[1].dim() else ins[0][int(ins[1])]
        else:
            raise SystemExit(f'torch_peer: op {op} not supported')
        env[node.output[0]] = out
        if logits_name and node.output[0] == logits_name:
            return out
    return env[g.output[0].name]


def median_ms(fn, reps, warmup=2):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t) * 1000)
    return statistics.median(ts)


def task_mfcc(args):
    import torchaudio
    torch.set_num_threads(1)
    wav, sr = torchaudio.load(args.wav)
    x = wav[:1] * 32768.0
    frames = torchaudio.compliance.kaldi.mfcc(x, sample_frequency=sr, dither=0.0).shape[0]
    ms = median_ms(lambda: torchaudio.compliance.kaldi.mfcc(x, sample_frequency=sr, dither=0.0), args.reps)
    return {'frames_per_s': frames / (ms / 1000), 'frames': frames, 'threads': 1}


def task_eval(args):
    torch.set_num_threads(args.threads)
    g, params = load_graph(args.model)
    shape = [args.batch] + json.loads(args.example_shape)
    x = torch.randn(*shape)
    with torch.no_grad():
        ms = median_ms(lambda: run_graph(g, params, x, args.logits), args.reps)
    return {'utts_per_s': args.batch / (ms / 1000), 'batch_ms': ms, 'threads': args.threads}


def energy(g, params, x, logits_name):
    return -torch.logsumexp(run_graph(g, params, x, logits_name), dim=1)


def task_sgld(args):
    torch.set_num_threads(args.threads)
    g, params = load_graph(args.model)
    shape = [args.batch] + json.loads(args.example_shape)
    xs = torch.empty(*shape).uniform_(-3, 3)
    data = torch.randn(*shape)
    trainable = [p for n, p in params.items() if p.dtype == torch.float32 and 'running' not in n and p.dim() > 0]
    for p in trainable:
        p.requires_grad_(True)
    opt = torch.optim.Adam(trainable, lr=1e-4)

    def sgld_step(x):
        x = x.detach().requires_grad_(True)
        e = energy(g, params, x, args.logits).sum()
        (gx,) = torch.autograd.grad(e, [x])
        return (x - 1.0 * gx + 0.01 * torch.randn_like(x)).detach()

    for p in trainable:
        p.requires_grad_(False)
    step_ms = median_ms(lambda: sgld_step(xs), args.reps)

    def sgld_step_train_bn(x):
        # train-mode BatchNorm: the chain batch's own statistics, the gradient through them
        x = x.detach().requires_grad_(True)
        e = (-torch.logsumexp(run_graph(g, params, x, args.logits, training=True), dim=1)).sum()
        (gx,) = torch.autograd.grad(e, [x])
        return (x - 1.0 * gx + 0.01 * torch.randn_like(x)).detach()

    step_train_ms = median_ms(lambda: sgld_step_train_bn(xs), args.reps)

    src_y = torch.randint(0, run_graph(g, params, data[:2], args.logits).shape[1], (args.batch,))

    def jem_update():
        # The same update as jemda's: K SGLD steps (eval-mode BatchNorm), then one Adam step on
        # CE(source batch) + mean E(target batch) - mean E(samples), each term its own train-mode
        # forward pass (batch statistics), as jemda's trainer does.
        for p in trainable:
            p.requires_grad_(False)
        x = xs
        for _ in range(args.k):
            x = sgld_step(x)
        for p in trainable:
            p.requires_grad_(True)
        ce = F.cross_entropy(run_graph(g, params, data, args.logits, training=True), src_y)
        e_data = -torch.logsumexp(run_graph(g, params, data, args.logits, training=True), dim=1).mean()
        e_samp = -torch.logsumexp(run_graph(g, params, x, args.logits, training=True), dim=1).mean()
        loss = ce + e_data - e_samp
        opt.zero_grad()
        loss.backward()
        opt.step()

    update_ms = median_ms(jem_update, max(3, args.reps // 4), warmup=1)
    return {'sgld_step_ms': step_ms, 'sgld_step_ms_train_bn': step_train_ms, 'jem_update_ms': update_ms, 'k': args.k, 'batch': args.batch, 'threads': args.threads}


def task_train(args):
    """One supervised step: train-mode forward, cross-entropy, backward, Adam (all float weights but BN running stats)."""
    torch.set_num_threads(args.threads)
    g, params = load_graph(args.model)
    shape = [args.batch] + json.loads(args.example_shape)
    x = torch.randn(*shape)
    trainable = [p for n, p in params.items() if p.dtype == torch.float32 and 'running' not in n and p.dim() > 0]
    for p in trainable:
        p.requires_grad_(True)
    opt = torch.optim.Adam(trainable, lr=1e-3)
    logits0 = run_graph(g, params, x, args.logits)
    y = torch.randint(0, logits0.shape[1], (args.batch,))

    def step():
        loss = F.cross_entropy(run_graph(g, params, x, args.logits, training=True), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    ms = median_ms(step, args.reps)
    return {'train_step_ms': ms, 'batch': args.batch, 'threads': args.threads}


def task_adapt(args):
    """The update `jemda adapt --method jem` runs, in eager PyTorch, for the configuration in
    --config (the resolved AdaptConfig JSON jemda runs with): per update, the target batch's energy
    (no grad, for the sampler's gap), a draw of sgldBatchSize chains from the replay buffer (each
    re-initialised with probability bufferReinit: uniform over the target's per-value range ± 3 sd,
    mixed with a target row by m ~ U(0, bufferMix)), sgldSteps Langevin steps x <- x - a*dE/dx +
    s*N(0, I), then one Adam step (global-norm clip) on xent*CE(source) + marginal*KL(mean target
    prediction || source marginal) over every parameter plus ebm*(mean E(target) - mean E(samples))
    over the BatchNorm scale/bias (ebmParams bn) or every parameter. BatchNorm in eval mode (the
    recipe's bnMode). Random data of the sizes jemda reads (--n-source, --n-target). Reports the
    median update time after --warmup updates and the steps/s of the whole process so far."""
    t_start = time.perf_counter()
    torch.set_num_threads(args.threads)
    cfg = json.loads(args.config)
    if cfg.get('bnMode', 'eval') != 'eval' or cfg.get('pxyWeight', 0) or cfg.get('l2Weight', 0) or cfg.get('ebmOptimizer', 'shared') != 'shared':
        raise SystemExit('torch_peer adapt: only eval-mode BatchNorm, no pxy/l2 terms and the shared optimizer are implemented')
    g, params = load_graph(args.model)
    shape = json.loads(args.example_shape)
    gen = torch.Generator().manual_seed(1)
    target = torch.randn(args.n_target, *shape, generator=gen)
    source = torch.randn(args.n_source, *shape, generator=gen)
    with torch.no_grad():
        K = run_graph(g, params, source[:2], args.logits).shape[1]
    source_y = torch.randint(0, K, (args.n_source,), generator=gen)
    prior = torch.bincount(source_y, minlength=K).float() / args.n_source
    lo = target.mean(0) - 3 * target.std(0)
    hi = target.mean(0) + 3 * target.std(0)
    buf = lo + (hi - lo) * torch.rand(cfg['bufferSize'], *shape, generator=gen)
    trainable = {n: p for n, p in params.items() if p.dtype == torch.float32 and 'running' not in n and p.dim() > 0}
    bn_names = set()
    for node in g.node:
        if node.op_type == 'BatchNormalization':
            bn_names.update(node.input[1:3])
    ebm_params = [p for n, p in trainable.items() if n in bn_names] if cfg['ebmParams'] == 'bn' else []
    if not ebm_params:  # as jemda: a model without BatchNorm trains the energy term on every parameter
        ebm_params = list(trainable.values())
    opt = torch.optim.Adam(trainable.values(), lr=cfg['lr'], betas=(cfg['beta1'], cfg['beta2']), eps=1e-8, weight_decay=0)
    B, S = cfg['batchSize'], cfg['sgldBatchSize']

    def energy_of(x):
        return -torch.logsumexp(run_graph(g, params, x, args.logits), dim=1)

    def update(step):
        ti = torch.randint(0, args.n_target, (B,), generator=gen)
        si = torch.randint(0, args.n_source, (B,), generator=gen)
        xt, xs, ys = target[ti], source[si], source_y[si]
        for p in trainable.values():
            p.requires_grad_(False)
        with torch.no_grad():
            energy_of(xt).mean()  # the data energy the sampler's gap is measured against
        slots = torch.randint(0, cfg['bufferSize'], (S,), generator=gen)
        x = buf[slots].clone()
        fresh = torch.rand(S, generator=gen) < cfg['bufferReinit']
        if fresh.any():
            nf = int(fresh.sum())
            init = lo + (hi - lo) * torch.rand(nf, *shape, generator=gen)
            if cfg['bufferMix'] > 0:
                m = (torch.rand(nf, generator=gen) * cfg['bufferMix']).view(nf, *([1] * len(shape)))
                init = (1 - m) * init + m * target[torch.randint(0, args.n_target, (nf,), generator=gen)]
            x[fresh] = init
        t_sgld = time.perf_counter()
        for _ in range(cfg['sgldSteps']):
            x = x.detach().requires_grad_(True)
            (gx,) = torch.autograd.grad(energy_of(x).sum(), [x])
            x = (x - cfg['sgldStepSize'] * gx + cfg['sgldNoise'] * torch.randn(x.shape, generator=gen)).detach()
        sgld_ms.append((time.perf_counter() - t_sgld) * 1000 / cfg['sgldSteps'])
        buf[slots] = x
        for p in trainable.values():
            p.requires_grad_(True)
        main = torch.zeros(())
        if cfg['xentWeight'] > 0:
            main = main + cfg['xentWeight'] * F.cross_entropy(run_graph(g, params, xs, args.logits), ys)
        lt = run_graph(g, params, xt, args.logits)
        if cfg['marginalWeight'] > 0:
            pm = F.softmax(lt, dim=1).mean(0)
            main = main + cfg['marginalWeight'] * (pm * (torch.log(pm + 1e-12) - torch.log(prior + 1e-12))).sum()
        e_term = cfg['ebmWeight'] * (-torch.logsumexp(lt, dim=1).mean() - energy_of(x).mean())
        opt.zero_grad()
        names = list(trainable.keys())
        gm = torch.autograd.grad(main, list(trainable.values()), retain_graph=True, allow_unused=True)
        ge = torch.autograd.grad(e_term, ebm_params, allow_unused=True)
        for n, gmi in zip(names, gm):
            trainable[n].grad = gmi if gmi is not None else torch.zeros_like(trainable[n])
        for p, gei in zip(ebm_params, ge):
            if gei is not None:
                p.grad = p.grad + gei
        torch.nn.utils.clip_grad_norm_(list(trainable.values()), cfg['gradClip'])
        opt.step()

    times = []
    sgld_ms = []
    for step in range(cfg['steps']):
        t = time.perf_counter()
        update(step)
        if step >= args.warmup:
            times.append((time.perf_counter() - t) * 1000)
    total = time.perf_counter() - t_start
    return {'update_ms': statistics.median(times) if times else None, 'sgld_step_ms': statistics.median(sgld_ms[args.warmup:]) if times else None, 'steps': cfg['steps'], 'process_seconds': total, 'threads': args.threads}


def main():
    p = argparse.ArgumentParser()
    p.add_argument('task', choices=['mfcc', 'eval', 'sgld', 'train', 'adapt'])
    p.add_argument('--wav')
    p.add_argument('--model')
    p.add_argument('--logits', default=None)
    p.add_argument('--example-shape', default='[1, 98, 40]')
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--k', type=int, default=20)
    p.add_argument('--reps', type=int, default=7)
    p.add_argument('--config', default='{}')
    p.add_argument('--n-source', type=int, default=1200)
    p.add_argument('--n-target', type=int, default=360)
    p.add_argument('--warmup', type=int, default=2)
    args = p.parse_args()
    out = {'mfcc': task_mfcc, 'eval': task_eval, 'sgld': task_sgld, 'train': task_train, 'adapt': task_adapt}[args.task](args)
    out['torch'] = torch.__version__
    json.dump(out, sys.stdout)
    print()


if __name__ == '__main__':
    main()
