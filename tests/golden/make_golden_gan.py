#!/usr/bin/env python3
"""Golden values for cosmograd's GAN (src/models/gan.rs, src/train/gan_step.rs), computed by
PyTorch in float64 with the networks written out layer by layer as the module docs describe.

Writes gan.json beside this script; tests/gan/golden.rs loads the same weights into cosmograd
(Cpu<f64>) and compares. Re-run after changing a case:

    python3 tests/golden/make_golden_gan.py

Each case is a tiny configuration (8x8 maps) of one architecture with its parameters under
cosmograd's names, a real batch and two latent batches, and what PyTorch computed:
  - the discriminator's loss on (real, G(z_d)) with real label 0.9, its gradients for every D
    parameter, the running statistics of D's batch norms after it (two passes for the DCGAN,
    compounding) and of G's after generating G(z_d) in training mode;
  - the generator's loss -ln D(G(z_g)) and its gradients for every G parameter;
  - the parameters after one Adam step of each network (trainer-level: D step first, then the
    G step through the updated D), with the settings `cosmograd train gan` uses.
Dropout is 0 in the report-architecture case (its masks come from cosmograd's counter-based
generator, which PyTorch does not have; dropout has golden values of its own).
"""

import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))
S, N, REAL_LABEL = 8, 3, 0.9


def gen(seed):
    return torch.Generator().manual_seed(seed)


def enc(t):
    t = t.detach()
    return {"shape": list(t.shape), "data": t.reshape(-1).tolist()}


class ReportG(nn.Module):
    def __init__(self, latent, widths):
        super().__init__()
        sizes = [latent] + widths + [S * S]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))

    def forward(self, z):
        h = z
        for i, l in enumerate(self.layers):
            h = l(h)
            h = F.relu(h) if i + 1 < len(self.layers) else torch.tanh(h)
        return h.view(z.size(0), 1, S, S)

    def names(self):
        return {f"fc{i + 1}.{p}": getattr(l, p) for i, l in enumerate(self.layers) for p in ["weight", "bias"]}, {}


class ReportD(nn.Module):
    def __init__(self, widths):
        super().__init__()
        sizes = [S * S] + widths + [1]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))

    def forward(self, x):
        h = x.view(x.size(0), S * S)
        for l in self.layers[:-1]:
            h = F.relu(l(h))  # Dropout(0) omitted
        return self.layers[-1](h)

    names = ReportG.names


def circ(periodic):
    return "circular" if periodic else "zeros"


class DcganG(nn.Module):
    def __init__(self, latent, widths, periodic):
        super().__init__()
        self.start = S >> (len(widths) - 1)
        self.c0 = widths[0]
        self.project = nn.Linear(latent, widths[0] * self.start ** 2, bias=False)
        self.bns = nn.ModuleList(nn.BatchNorm2d(c) for c in widths)
        self.ups = nn.ModuleList(
            nn.Conv2d(a, b, 3, padding=1, padding_mode=circ(periodic), bias=False) for a, b in zip(widths, widths[1:]))
        self.out = nn.Conv2d(widths[-1], 1, 3, padding=1, padding_mode=circ(periodic))

    def forward(self, z):
        h = self.project(z).view(z.size(0), self.c0, self.start, self.start)
        h = F.relu(self.bns[0](h))
        for conv, bn in zip(self.ups, self.bns[1:]):
            h = F.relu(bn(conv(F.interpolate(h, scale_factor=2, mode="nearest"))))
        return torch.tanh(self.out(h))

    def names(self):
        p = {"project.weight": self.project.weight, "out.weight": self.out.weight, "out.bias": self.out.bias}
        b = {}
        for i, bn in enumerate(self.bns):
            p[f"bn{i}.weight"], p[f"bn{i}.bias"] = bn.weight, bn.bias
            b[f"bn{i}.running_mean"], b[f"bn{i}.running_var"] = bn.running_mean, bn.running_var
        for i, c in enumerate(self.ups):
            p[f"up{i + 1}.weight"] = c.weight
        return p, b


class DcganD(nn.Module):
    def __init__(self, widths, periodic, slope=0.2):
        super().__init__()
        self.slope = slope
        chans = [1] + widths
        self.convs = nn.ModuleList(
            nn.Conv2d(a, b, 4, stride=2, padding=1, padding_mode=circ(periodic), bias=i == 0)
            for i, (a, b) in enumerate(zip(chans, chans[1:])))
        self.bns = nn.ModuleList(nn.BatchNorm2d(c) for c in widths[1:])
        self.fc = nn.Linear(widths[-1] * (S >> len(widths)) ** 2, 1)

    def forward(self, x):
        h = x
        for i, c in enumerate(self.convs):
            h = c(h)
            if i > 0:
                h = self.bns[i - 1](h)
            h = F.leaky_relu(h, self.slope)
        return self.fc(h.flatten(1))

    def names(self):
        p = {"fc.weight": self.fc.weight, "fc.bias": self.fc.bias, "down1.bias": self.convs[0].bias}
        b = {}
        for i, c in enumerate(self.convs):
            p[f"down{i + 1}.weight"] = c.weight
        for i, bn in enumerate(self.bns):
            p[f"bn{i + 2}.weight"], p[f"bn{i + 2}.bias"] = bn.weight, bn.bias
            b[f"bn{i + 2}.running_mean"], b[f"bn{i + 2}.running_var"] = bn.running_mean, bn.running_var
        return p, b


def randomise(module, seed):
    """Parameters away from the defaults (BN γ ≠ 1, β ≠ 0), so every term of the chain shows."""
    g = gen(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.4)
        for m in module.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.add_(1.0)


def snapshot(module):
    p, b = module.names()
    return {k: enc(v) for k, v in p.items()}, {k: enc(v) for k, v in b.items()}


def d_loss(arch, d, real, fake):
    if arch == "report":
        x = torch.cat((real, fake))
        target = torch.cat((torch.full((N, 1), REAL_LABEL), torch.zeros(N, 1)))
        return F.binary_cross_entropy(torch.sigmoid(d(x)), target)
    return (F.binary_cross_entropy_with_logits(d(real), torch.full((N, 1), REAL_LABEL))
            + F.binary_cross_entropy_with_logits(d(fake), torch.zeros(N, 1)))


def g_loss(arch, g, d, z):
    out = d(g(z))
    if arch == "report":
        return F.binary_cross_entropy(torch.sigmoid(out), torch.ones(N, 1))
    return F.binary_cross_entropy_with_logits(out, torch.ones(N, 1))


def make(arch, name, latent, g_widths, d_widths, periodic, lr, betas, seed):
    def build():
        if arch == "report":
            g, d = ReportG(latent, g_widths), ReportD(d_widths)
        else:
            g, d = DcganG(latent, g_widths, periodic), DcganD(d_widths, periodic)
        randomise(g, seed)
        randomise(d, seed + 1)
        return g, d

    real = torch.rand(N, 1, S, S, generator=gen(seed + 2)) * 2 - 1
    z_d = torch.randn(N, latent, generator=gen(seed + 3))
    z_g = torch.randn(N, latent, generator=gen(seed + 4))
    g, d = build()
    g_params, g_buffers = snapshot(g)
    d_params, d_buffers = snapshot(d)
    case = {
        "name": name, "arch": arch, "size": S, "latent": latent, "generator_widths": g_widths,
        "discriminator_widths": d_widths, "periodic": periodic, "real_label": REAL_LABEL,
        "lr": lr, "betas": list(betas),
        "generator": {"params": g_params, "buffers": g_buffers},
        "discriminator": {"params": d_params, "buffers": d_buffers},
        "real": enc(real), "z_d": enc(z_d), "z_g": enc(z_g),
    }

    # Model level: D's loss and gradients (G generating in training mode, no gradient).
    g.train(), d.train()
    with torch.no_grad():
        fake = g(z_d)
    loss = d_loss(arch, d, real, fake)
    loss.backward()
    dp, _ = d.names()
    case["d_loss"] = loss.item()
    case["d_grads"] = {k: enc(v.grad) for k, v in dp.items()}
    case["d_buffers_after"] = snapshot(d)[1]
    case["g_buffers_after_generating"] = snapshot(g)[1]

    # Model level: G's loss and gradients, from fresh copies.
    g, d = build()
    loss = g_loss(arch, g, d, z_g)
    loss.backward()
    gp, _ = g.names()
    case["g_loss"] = loss.item()
    case["g_grads"] = {k: enc(v.grad) for k, v in gp.items()}

    # Trainer level: one D step (Adam), then one G step through the updated D.
    g, d = build()
    opt_g = torch.optim.Adam(g.parameters(), lr=lr, betas=betas)
    opt_d = torch.optim.Adam(d.parameters(), lr=lr, betas=betas)
    with torch.no_grad():
        fake = g(z_d)
    opt_d.zero_grad()
    d_loss(arch, d, real, fake).backward()
    opt_d.step()
    opt_g.zero_grad()
    loss = g_loss(arch, g, d, z_g)
    loss.backward()
    opt_g.step()
    case["step_g_loss"] = loss.item()
    case["after_steps"] = {"generator": snapshot(g)[0], "discriminator": snapshot(d)[0],
                           "generator_buffers": snapshot(g)[1], "discriminator_buffers": snapshot(d)[1]}
    return case


def main():
    cases = [
        make("report", "report, tiny widths", 5, [6, 7], [9, 4], False, 1e-4, (0.9, 0.999), 10),
        make("dcgan", "dcgan, circular padding", 3, [4, 2, 2], [2, 4], True, 2e-4, (0.5, 0.999), 20),
        make("dcgan", "dcgan, zero padding", 3, [4, 2, 2], [2, 4], False, 2e-4, (0.5, 0.999), 30),
    ]
    with open(os.path.join(HERE, "gan.json"), "w") as f:
        json.dump({"generator": "tests/golden/make_golden_gan.py", "torch": torch.__version__, "cases": cases}, f)


if __name__ == "__main__":
    main()
