#!/usr/bin/env python3
"""Load a cosmograd MDN checkpoint into an equivalent PyTorch module and compare its
predictions with cosmograd's `predictions.csv` — the checkpoint is usable outside cosmograd.

    python3 benches/peers/mdn_checkpoint_torch.py RUN [--maps 20]

RUN is the directory of a `cosmograd train mdn` run that `cosmograd eval mdn` has evaluated.
The script reads RUN/best.safetensors (weights + the JSON records in its metadata:
`mdn.architecture`, `mdn.preprocessing`), rebuilds the network in PyTorch from the
architecture record, reads the first test maps straight from the CMD `.npy` file with numpy
(memory-mapped), preprocesses them as the record says (log10, standardise per field, crop or
block-average to the model's size), and compares each target's marginal mean and standard
deviation, in physical units, with the rows of RUN/predictions.csv. Prints the largest
relative difference and exits non-zero above 1e-4 (the network runs in float32 on both sides).

Needs torch, numpy and safetensors (pip install safetensors). Not a test dependency:
notes/mdn_checkpoint_python.md explains, and `cargo test` never runs it.
"""
import argparse
import csv
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors import safe_open


def same_pad(k):
    """TensorFlow/Keras 'same' padding for stride 1: the extra row/column bottom/right."""
    total = k - 1
    before = total // 2
    return (before, total - before, before, total - before)  # F.pad order: left, right, top, bottom


class Thesis(nn.Module):
    """The thesis's MDN-CNN (cosmograd::models::MdnCnn)."""

    def __init__(self, a):
        super().__init__()
        c, k, d = a["in_channels"], a["components"], len(a["targets"])
        bn = a["batchnorm"]
        self.c1 = nn.Conv2d(c, 16, 4)
        self.bn1 = nn.BatchNorm2d(16, eps=bn["eps"], momentum=bn["momentum"])
        self.c2 = nn.Conv2d(16, 32, 3)
        self.c3 = nn.Conv2d(32, 64, 2)
        flat = 64 * (a["input_size"] // 8) ** 2
        self.d1, self.d2, self.d3 = nn.Linear(flat, 128), nn.Linear(128, 64), nn.Linear(64, 64)
        self.logits, self.means = nn.Linear(64, k), nn.Linear(64, k * d)
        self.sigmas = nn.Linear(64, k if a["isotropic"] else k * d)

    def features(self, x):
        h = F.max_pool2d(F.relu(self.bn1(self.c1(F.pad(x, same_pad(4))))), 2)
        h = F.max_pool2d(F.relu(self.c2(F.pad(h, same_pad(3)))), 2)
        h = F.max_pool2d(F.relu(self.c3(F.pad(h, same_pad(2)))), 2)
        h = h.flatten(1)
        return torch.tanh(self.d3(F.relu(self.d2(F.relu(self.d1(h))))))


class Periodic(nn.Module):
    """cosmograd::models::MdnPeriodic: a stem of stride-2 circular 3×3 convolutions, then
    circular 3×3 convolutions without bias, batch norm, ReLU, 2×2 average pooling between
    stages, global average pooling, a dense layer, dropout."""

    def __init__(self, a):
        super().__init__()
        p, bn = a["periodic"], a["batchnorm"]
        k, d = a["components"], len(a["targets"])
        c_in = a["in_channels"]
        self.stem = p["stem"]
        for i in range(self.stem):
            setattr(self, f"stem{i}", nn.Conv2d(c_in, 16, 3, stride=2, bias=False))
            setattr(self, f"stem{i}bn", nn.BatchNorm2d(16, eps=bn["eps"], momentum=bn["momentum"]))
            c_in = 16
        self.layers = []
        for i, w in enumerate(p["widths"]):
            for j in range(p["convs"][i]):
                setattr(self, f"s{i}c{j}", nn.Conv2d(c_in, w, 3, bias=False))
                setattr(self, f"s{i}c{j}bn", nn.BatchNorm2d(w, eps=bn["eps"], momentum=bn["momentum"]))
                self.layers.append((i, j))
                c_in = w
        self.hidden = nn.Linear(c_in, p["hidden"])
        self.drop = nn.Dropout(p["dropout"])
        self.logits, self.means = nn.Linear(p["hidden"], k), nn.Linear(p["hidden"], k * d)
        self.sigmas = nn.Linear(p["hidden"], k if a["isotropic"] else k * d)

    def features(self, x):
        h = x
        for i in range(self.stem):
            # 'same' with stride 2 on an even side: one extra row/column, bottom/right,
            # taken from the opposite edge (circular).
            conv, bn = getattr(self, f"stem{i}"), getattr(self, f"stem{i}bn")
            h = F.relu(bn(conv(F.pad(h, (0, 1, 0, 1), mode="circular"))))
        for i, j in self.layers:
            if i > 0 and j == 0:
                h = F.avg_pool2d(h, 2)
            conv, bn = getattr(self, f"s{i}c{j}"), getattr(self, f"s{i}c{j}bn")
            h = F.relu(bn(conv(F.pad(h, (1, 1, 1, 1), mode="circular"))))
        return self.drop(F.relu(self.hidden(h.mean(dim=(2, 3)))))


def build(arch):
    model = {"thesis": Thesis, "periodic": Periodic}[arch["arch"]](arch)
    return model


def mixture(model, arch, x):
    """Weights [N, K], means [N, K, D], standard deviations [N, K, D]."""
    h = model.features(x)
    k, d = arch["components"], len(arch["targets"])
    w = torch.softmax(model.logits(h), dim=1)
    mu = model.means(h).reshape(-1, k, d)
    s = model.sigmas(h)
    floor = arch["sigma"]["floor"]
    sig = floor + (F.softplus(s) if arch["sigma"]["kind"] == "softplus" else torch.exp(s))
    sig = sig.reshape(-1, k, 1).expand(-1, k, d) if arch["isotropic"] else sig.reshape(-1, k, d)
    return w, mu, sig


def marginal_moments(w, mu, sig, scale):
    """Mean and standard deviation in physical units of Σ w N(μ, σ²) mapped through the scale
    (linear: θ = lo + (hi − lo) y; log: θ = lo (hi/lo)^y, a mixture of log-normals)."""
    lo, hi = scale["lo"], scale["hi"]
    if scale["kind"] == "linear":
        m = (w * mu).sum()
        v = (w * (sig**2 + (mu - m) ** 2)).sum()
        return lo + (hi - lo) * m, (hi - lo) * math.sqrt(v)
    a, b = math.log(lo), math.log(hi / lo)
    bs2 = (b * sig) ** 2
    e = np.exp(a + b * mu + 0.5 * bs2)
    var_c = e * e * np.expm1(bs2)
    m = (w * e).sum()
    return m, math.sqrt((w * (var_c + (e - m) ** 2)).sum())


def load(run):
    path = os.path.join(run, "best.safetensors")
    with safe_open(path, framework="pt") as f:
        meta = f.metadata()
        # cosmograd prefixes parameters with param/, buffers with buffer/ (and optimiser state
        # with optim/, absent from best.safetensors): strip them for load_state_dict.
        state = {k.split("/", 1)[1]: f.get_tensor(k) for k in f.keys() if k.startswith(("param/", "buffer/"))}
    arch = json.loads(meta["mdn.architecture"])
    prep = json.loads(meta["mdn.preprocessing"])
    model = build(arch)
    missing, unexpected = model.load_state_dict(state, strict=False)
    # PyTorch's batch norm counts batches in a buffer cosmograd does not keep.
    assert all(k.endswith("num_batches_tracked") for k in missing), missing
    assert not unexpected, unexpected
    return model.eval(), arch, prep


def preprocess(maps, prep, size):
    """maps [N, C, S, S] as stored → the network's input (see `mdn.preprocessing`)."""
    x = maps.astype(np.float64)
    if prep.get("log10", True):
        x = np.log10(x)
    mean = np.array(prep["mean"]).reshape(1, -1, 1, 1)
    std = np.array(prep["std"]).reshape(1, -1, 1, 1)
    x = (x - mean) / std
    f = x.shape[-1] // size
    if f > 1:  # block average to the model's size
        x = x.reshape(x.shape[0], x.shape[1], size, f, size, f).mean(axis=(3, 5))
    return torch.tensor(x, dtype=torch.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run")
    ap.add_argument("--maps", type=int, default=20)
    a = ap.parse_args()
    model, arch, prep = load(a.run)
    with open(os.path.join(a.run, "predictions.csv")) as fh:
        rows = list(csv.DictReader(fh))[: a.maps]
    files = [np.load(p, mmap_mode="r") for p in prep["files"]]
    worst = 0.0
    for r in rows:
        i = int(r["map"])
        maps = np.stack([f[i] for f in files])[None]  # [1, C, S, S]
        with torch.no_grad():
            w, mu, sig = (t[0].double().numpy() for t in mixture(model, arch, preprocess(maps, prep, arch["input_size"])))
        for t, target in enumerate(arch["targets"]):
            m, s = marginal_moments(w, mu[:, t], sig[:, t], target["scale"])
            for got, key in ((m, "mean"), (s, "std")):
                want = float(r[f"{target['name']}_{key}"])
                worst = max(worst, abs(got - want) / max(abs(want), 1e-12))
    print(f"{len(rows)} maps, {len(arch['targets'])} targets: largest relative difference "
          f"between PyTorch and cosmograd's predictions.csv = {worst:.2e}")
    sys.exit(0 if worst < 1e-4 else 1)


if __name__ == "__main__":
    main()
