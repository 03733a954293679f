#!/usr/bin/env python3
"""cosmograd's image kernels and one MDN-CNN training step against PyTorch on this CPU.

Runs `cargo run --release --example mdn_cnn_step -- --layers --retain --json` and the step
once more without `--retain` (the Rust side), and the same work in PyTorch with the same thread
count, then prints both times and their ratio (PyTorch time / cosmograd time: above 1 means
cosmograd is faster). To give PyTorch the same allocator setting as `--retain`, run the script
under GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967295.

    python3 benches/peers/image_kernels_torch.py [--threads 2] [--reps 5] [--steps 5] [--rounds 2] [--no-rust]

Shapes: batch 32; conv1 1->16 4x4 'same' on 256^2, conv2 16->32 3x3 'same' on 128^2, conv3
32->64 2x2 'same' on 64^2; batch norm and 2x2 max pooling on (32, 16, 256, 256); the thesis's
MDN-CNN (see examples/mdn_cnn_step.rs) with K = 5 isotropic components over 6 parameters and Adam.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

B, K, D = 32, 5, 6


def timeit(f, reps):
    """The fastest of `reps` calls after a warm-up: on a shared 2-core machine the minimum is
    the estimate least disturbed by other processes (the Rust side does the same)."""
    f()
    ts = []
    for _ in range(reps):
        s = time.perf_counter()
        f()
        ts.append(time.perf_counter() - s)
    return min(ts)


def merge_min(into, new):
    for k, v in new.items():
        into[k] = min(v, into.get(k, v))


def torch_layers(reps):
    out = {}
    shapes = [("conv1", (B, 1, 256, 256), (16, 1, 4, 4)), ("conv2", (B, 16, 128, 128), (32, 16, 3, 3)),
              ("conv3", (B, 32, 64, 64), (64, 32, 2, 2))]
    for tag, xs, ws in shapes:
        x = torch.rand(xs).requires_grad_(True)
        w = torch.rand(ws).requires_grad_(True)
        b = torch.rand(ws[0]).requires_grad_(True)
        with torch.no_grad():
            out[f"{tag}.forward"] = timeit(lambda: F.conv2d(x, w, b, padding="same"), reps)
        y = F.conv2d(x, w, b, padding="same")
        gy = torch.rand_like(y)
        out[f"{tag}.backward_input"] = timeit(lambda: torch.autograd.grad(y, x, gy, retain_graph=True), reps)
        out[f"{tag}.backward_weight"] = timeit(lambda: torch.autograd.grad(y, w, gy, retain_graph=True), reps)
    x = torch.rand(B, 16, 256, 256).requires_grad_(True)
    bn = nn.BatchNorm2d(16)
    with torch.no_grad():
        out["batchnorm.forward"] = timeit(lambda: bn(x), reps)
    y = bn(x)
    gy = torch.rand_like(y)
    out["batchnorm.backward"] = timeit(lambda: torch.autograd.grad(y, x, gy, retain_graph=True), reps)
    with torch.no_grad():
        out["maxpool.forward"] = timeit(lambda: F.max_pool2d(x, 2), reps)
    y = F.max_pool2d(x, 2)
    gy = torch.rand_like(y)
    out["maxpool.backward"] = timeit(lambda: torch.autograd.grad(y, x, gy, retain_graph=True), reps)
    return out


class MdnCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 16, 4, padding="same")
        self.bn1 = nn.BatchNorm2d(16)
        self.c2 = nn.Conv2d(16, 32, 3, padding="same")
        self.c3 = nn.Conv2d(32, 64, 2, padding="same")
        self.d1, self.d2, self.d3 = nn.Linear(65536, 128), nn.Linear(128, 64), nn.Linear(64, 64)
        self.logits, self.means, self.sigmas = nn.Linear(64, K), nn.Linear(64, K * D), nn.Linear(64, K)

    def loss(self, x, y):
        h = F.max_pool2d(F.relu(self.bn1(self.c1(x))), 2)
        h = F.max_pool2d(F.relu(self.c2(h)), 2)
        h = F.max_pool2d(F.relu(self.c3(h)), 2).flatten(1)
        h = torch.tanh(self.d3(F.relu(self.d2(F.relu(self.d1(h))))))
        a = F.log_softmax(self.logits(h), dim=1)
        mu = self.means(h).view(-1, K, D)
        sigma = 1e-3 + F.softplus(self.sigmas(h))
        r2 = ((y[:, None, :] - mu) ** 2).sum(-1)
        logphi = -0.5 * D * math.log(2 * math.pi) - D * torch.log(sigma) - r2 / (2 * sigma**2)
        return -torch.logsumexp(a + logphi, dim=1).mean()


def torch_step(steps):
    torch.manual_seed(0)
    m = MdnCnn()
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    x = torch.rand(B, 1, 256, 256) * 2 - 1
    y = torch.rand(B, D) * 2 - 1

    def step():
        opt.zero_grad(set_to_none=True)
        m.loss(x, y).backward()
        opt.step()

    return timeit(step, steps)


def rust(threads, steps):
    """Kernels and the step with freed memory retained (--retain), then the step again with
    the default allocator (every large tensor page-faulted in afresh)."""
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    out = {}
    for extra, suffix in [(["--layers", "--retain"], ""), ([], " (default allocator)")]:
        cmd = ["cargo", "run", "--quiet", "--release", "--example", "mdn_cnn_step", "--", "--json", "--steps", str(steps)] + extra
        res = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, check=True)
        for r in map(json.loads, filter(None, res.stdout.splitlines())):
            out[r["what"] + suffix] = r["seconds"]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=2, help="alternate Rust and PyTorch this many times")
    ap.add_argument("--no-rust", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    # Alternating the two sides spreads any load from other processes over both.
    r, t = {}, {}
    for _ in range(a.rounds):
        if not a.no_rust:
            merge_min(r, rust(a.threads, a.steps))
        tl = torch_layers(a.reps)
        tl["mdn_cnn.step"] = torch_step(a.steps)
        merge_min(t, tl)
    print(f"torch {torch.__version__}, {a.threads} threads, batch {B}, best of {a.rounds} rounds")
    print(f"{'what':<26} {'cosmograd ms':>13} {'pytorch ms':>11} {'torch/cosmograd':>16}")
    for k, v in t.items():
        rv = r.get(k)
        rs = f"{rv * 1e3:13.1f}" if rv else f"{'-':>13}"
        ratio = f"{v / rv:16.2f}" if rv else f"{'-':>16}"
        print(f"{k:<26} {rs} {v * 1e3:11.1f} {ratio}")
    for k in sorted(set(r) - set(t)):
        print(f"{k:<26} {r[k] * 1e3:13.1f} {'-':>11} {'-':>16}")


if __name__ == "__main__":
    sys.exit(main())
