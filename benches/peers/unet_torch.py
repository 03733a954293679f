"""The DDPM U-Net of src/models/unet.rs in PyTorch, timed like examples/unet_step.rs: one
training step (ε-MSE forward, backward, gradient clipping to norm 1, Adam) at a batch, and one
no-grad forward (a sampling step). Same sizes (1 × 64 × 64, 10 base channels doubling to 160 over
5 levels, time embedding 32 → 40, group norms of at most 8 groups, circular 3×3 convolutions),
same float32, same thread count. A peer for timing only: the weights are PyTorch's own.

    python3 benches/peers/unet_torch.py [--batch 16] [--steps 5] [--threads 2]
"""

import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def groups_for(c, g=8):
    return next(k for k in range(min(g, c), 0, -1) if c % k == 0)


def embedding(t, dim):
    half = dim // 2
    j = torch.arange(half, dtype=torch.float64)
    w = torch.exp(-math.log(10000.0) * j / max(half - 1, 1))
    a = t[:, None].double() * w[None]
    return torch.cat([a.sin(), a.cos()], 1).float()


def conv3(ci, co, stride=1):
    return nn.Conv2d(ci, co, 3, stride, 1, padding_mode="circular")


class Block(nn.Module):
    def __init__(self, ci, co, e):
        super().__init__()
        self.n1, self.c1 = nn.GroupNorm(groups_for(ci), ci), conv3(ci, co)
        self.t = nn.Linear(e, co)
        self.n2, self.c2 = nn.GroupNorm(groups_for(co), co), conv3(co, co)
        self.skip = nn.Conv2d(ci, co, 1) if ci != co else None

    def forward(self, x, emb):
        h = self.c1(F.silu(self.n1(x))) + self.t(emb)[:, :, None, None]
        h = self.c2(F.silu(self.n2(h)))
        return h + (self.skip(x) if self.skip is not None else x)


class UNet(nn.Module):
    def __init__(self, base=10, depth=5, tdim=32):
        super().__init__()
        ch = [base << i for i in range(depth)]
        e = 4 * base
        self.tdim = tdim
        self.t1, self.t2 = nn.Linear(tdim, e), nn.Linear(e, e)
        self.cin = conv3(1, ch[0])
        self.down = nn.ModuleList([Block(ch[max(i - 1, 0)], ch[i], e) for i in range(depth)])
        self.ds = nn.ModuleList([conv3(ch[i], ch[i], 2) for i in range(depth - 1)])
        self.mid = Block(ch[-1], ch[-1], e)
        self.up = nn.ModuleList([Block(2 * ch[i], ch[i], e) for i in reversed(range(depth))])
        self.us = nn.ModuleList([nn.ConvTranspose2d(ch[i], ch[i - 1], 2, 2) for i in reversed(range(1, depth))])
        self.nout, self.cout = nn.GroupNorm(groups_for(ch[0]), ch[0]), conv3(ch[0], 1)

    def forward(self, x, t):
        emb = F.silu(self.t2(F.silu(self.t1(embedding(t, self.tdim)))))
        h, skips = self.cin(x), []
        for i, b in enumerate(self.down):
            h = b(h, emb)
            skips.append(h)
            if i < len(self.ds):
                h = self.ds[i](h)
        h = self.mid(h, emb)
        for i, b in enumerate(self.up):
            h = b(torch.cat([h, skips.pop()], 1), emb)
            if i < len(self.us):
                h = self.us[i](h)
        return self.cout(F.silu(self.nout(h)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = UNet()
    opt = torch.optim.Adam(net.parameters(), lr=2e-4)
    betas = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
    abar = torch.cumprod(1 - betas, 0).float()
    x0 = torch.rand(a.batch, 1, 64, 64) * 2 - 1
    t = torch.tensor([1 + (i * 37) % 1000 for i in range(a.batch)])
    print(f"U-Net: {sum(q.numel() for q in net.parameters())} parameters, batch {a.batch}, {torch.get_num_threads()} threads")
    times = []
    for s in range(a.steps + 1):
        start = time.perf_counter()
        eps = torch.randn_like(x0)
        ab = abar[t - 1][:, None, None, None]
        xt = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
        loss = F.mse_loss(net(xt, t.float()), eps)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        if s > 0:
            times.append(time.perf_counter() - start)
    times.sort()
    med = times[len(times) // 2]
    print(f"training step: median {med:.3f} s ({a.batch / med:.1f} fields/s)")
    with torch.no_grad():
        start = time.perf_counter()
        net(torch.randn_like(x0), torch.full((a.batch,), 500.0))
        print(f"no-grad forward of {a.batch} fields: {time.perf_counter() - start:.3f} s")


if __name__ == "__main__":
    main()
