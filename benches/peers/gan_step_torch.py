#!/usr/bin/env python3
"""cosmograd's GAN steps against PyTorch's for the same networks, batch and threads.

Runs `cargo run --release --example gan_step -- --json` (the Rust side: the steps
`cosmograd train gan` runs) and the same two steps in PyTorch, alternating the two sides for
`--rounds` rounds so that load from other processes falls on both, and prints the fastest time
of each step and the ratio PyTorch time / cosmograd time (above 1: cosmograd is faster).

    python3 benches/peers/gan_step_torch.py [--threads 2] [--steps 5] [--rounds 2] [--width 16] [--no-rust]

The steps, batch 32, 64x64 maps (see examples/gan_step.rs and src/train/gan_step.rs):
  D step: G generates 32 maps (training mode, no gradient), D's BCE on 32 real and 32 generated
          maps, backward, Adam.
  G step: G on 32 fresh latents, D on them, BCE against label 1 (the non-saturating loss),
          backward through D into G, Adam on G.
Networks:
  report  D 4096-2048-1024-512-256-1 (ReLU, Dropout 0.3, sigmoid, BCELoss on one batch of 64),
          G 100-256-512-1024-4096 (ReLU, tanh); Adam lr 1e-4.
  dcgan   G: Linear(100, 8w*4*4, no bias) -> BN -> ReLU -> 4 x [nearest upsample x2 -> conv 3x3
          circular (no bias) -> BN -> ReLU] (8w, 4w, 2w, w, w channels) -> conv 3x3 circular -> 1
          -> tanh; D: 4 x [conv 4x4 stride 2 circular (bias on the first only) -> BN (from the
          second) -> LeakyReLU 0.2] (w, 2w, 4w, 8w) -> Linear -> logit, BCEWithLogits on the real
          and the generated batch separately; Adam lr 2e-4, betas (0.5, 0.999).
"""
import argparse
import json
import os
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

B, S, LATENT = 32, 64, 100


class ReportD(nn.Module):
    def __init__(self):
        super().__init__()
        layers, sizes = [], [S * S, 2048, 1024, 512, 256]
        for a, b in zip(sizes, sizes[1:]):
            layers += [nn.Linear(a, b), nn.ReLU(), nn.Dropout(0.3)]
        self.model = nn.Sequential(*layers, nn.Linear(256, 1), nn.Sigmoid())

    def forward(self, x):
        return self.model(x.view(x.size(0), S * S))


class ReportG(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = nn.Sequential(nn.Linear(LATENT, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(),
                                   nn.Linear(512, 1024), nn.ReLU(), nn.Linear(1024, S * S), nn.Tanh())

    def forward(self, z):
        return self.model(z).view(z.size(0), 1, S, S)


class DcganG(nn.Module):
    def __init__(self, w):
        super().__init__()
        widths = [8 * w, 4 * w, 2 * w, w, w]
        self.start = S >> (len(widths) - 1)
        self.c0 = widths[0]
        self.project = nn.Linear(LATENT, widths[0] * self.start ** 2, bias=False)
        self.bn0 = nn.BatchNorm2d(widths[0])
        blocks = []
        for a, b in zip(widths, widths[1:]):
            blocks += [nn.Upsample(scale_factor=2, mode="nearest"),
                       nn.Conv2d(a, b, 3, padding=1, padding_mode="circular", bias=False), nn.BatchNorm2d(b), nn.ReLU()]
        self.blocks = nn.Sequential(*blocks)
        self.out = nn.Conv2d(widths[-1], 1, 3, padding=1, padding_mode="circular")

    def forward(self, z):
        h = self.project(z).view(z.size(0), self.c0, self.start, self.start)
        return torch.tanh(self.out(self.blocks(F.relu(self.bn0(h)))))


class DcganD(nn.Module):
    def __init__(self, w):
        super().__init__()
        layers, c = [], 1
        for i, o in enumerate([w, 2 * w, 4 * w, 8 * w]):
            layers.append(nn.Conv2d(c, o, 4, stride=2, padding=1, padding_mode="circular", bias=i == 0))
            if i > 0:
                layers.append(nn.BatchNorm2d(o))
            layers.append(nn.LeakyReLU(0.2))
            c = o
        self.body = nn.Sequential(*layers)
        self.fc = nn.Linear(c * (S // 16) ** 2, 1)

    def forward(self, x):
        return self.fc(self.body(x).flatten(1))


def steps_of(arch, width):
    """The D step and the G step of one architecture, as closures over fixed data."""
    torch.manual_seed(0)
    if arch == "report":
        g, d, lr, betas = ReportG(), ReportD(), 1e-4, (0.9, 0.999)
    else:
        g, d, lr, betas = DcganG(width), DcganD(width), 2e-4, (0.5, 0.999)
    g.train()
    d.train()
    opt_g = torch.optim.Adam(g.parameters(), lr=lr, betas=betas)
    opt_d = torch.optim.Adam(d.parameters(), lr=lr, betas=betas)
    real = torch.rand(B, 1, S, S) * 2 - 1
    ones, zeros = torch.ones(B, 1), torch.zeros(B, 1)

    def d_step():
        with torch.no_grad():
            fake = g(torch.randn(B, LATENT))
        opt_d.zero_grad(set_to_none=True)
        if arch == "report":
            loss = F.binary_cross_entropy(d(torch.cat((real, fake))), torch.cat((ones, zeros)))
        else:
            loss = F.binary_cross_entropy_with_logits(d(real), ones) + F.binary_cross_entropy_with_logits(d(fake), zeros)
        loss.backward()
        opt_d.step()

    def g_step():
        opt_g.zero_grad(set_to_none=True)
        out = d(g(torch.randn(B, LATENT)))
        loss = F.binary_cross_entropy(out, ones) if arch == "report" else F.binary_cross_entropy_with_logits(out, ones)
        loss.backward()
        opt_g.step()

    return d_step, g_step


def torch_times(steps, width):
    out = {}
    for arch in ["report", "dcgan"]:
        d_step, g_step = steps_of(arch, width)
        d_step(), g_step()  # warm-up
        best_d = best_g = float("inf")
        for _ in range(steps):
            t = time.perf_counter()
            d_step()
            best_d = min(best_d, time.perf_counter() - t)
            t = time.perf_counter()
            g_step()
            best_g = min(best_g, time.perf_counter() - t)
        out[f"{arch}.d_step"], out[f"{arch}.g_step"] = best_d, best_g
    return out


def rust(threads, steps, width):
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    cmd = ["cargo", "run", "--quiet", "--release", "--example", "gan_step", "--",
           "--json", "--steps", str(steps), "--width", str(width)]
    res = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, check=True)
    return {r["what"]: r["seconds"] for r in map(json.loads, filter(None, res.stdout.splitlines()))}


def merge_min(into, new):
    for k, v in new.items():
        into[k] = min(v, into.get(k, v))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=2, help="alternate Rust and PyTorch this many times")
    ap.add_argument("--width", type=int, default=16, help="the DCGAN's base width (cosmograd's --width)")
    ap.add_argument("--no-rust", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    r, t = {}, {}
    for _ in range(a.rounds):
        if not a.no_rust:
            merge_min(r, rust(a.threads, a.steps, a.width))
        merge_min(t, torch_times(a.steps, a.width))
    print(f"torch {torch.__version__}, {a.threads} threads, batch {B}, {S}x{S} maps, "
          f"fastest of {a.steps} steps x {a.rounds} rounds")
    print(f"{'step':<16} {'cosmograd ms':>13} {'pytorch ms':>11} {'torch/cosmograd':>16}")
    for k, v in t.items():
        rv = r.get(k)
        rs = f"{rv * 1e3:13.1f}" if rv else f"{'-':>13}"
        ratio = f"{v / rv:16.2f}" if rv else f"{'-':>16}"
        print(f"{k:<16} {rs} {v * 1e3:11.1f} {ratio}")


if __name__ == "__main__":
    sys.exit(main())
