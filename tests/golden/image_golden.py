#!/usr/bin/env python3
"""Golden values for the image kernels, from PyTorch in float64.

Writes image_golden.json beside this script: for each case the inputs, a fixed upstream
gradient `seed`, the forward output and the gradient of sum(seed * output) with respect to
every input. tests/image/golden.rs reads it and compares cosmograd's forward and backward.

'same' padding follows TensorFlow/Keras (the extra row/column bottom/right), written as an
explicit F.pad so that it also covers stride 2 and even kernels; circular padding is
F.pad(mode="circular"). Run: python3 tests/golden/image_golden.py
"""
import json
import math
import os

import torch
import torch.nn.functional as F

torch.manual_seed(20241123)
DT = torch.float64


def t(shape, lo=-1.0, hi=1.0):
    return (torch.rand(*shape, dtype=DT) * (hi - lo) + lo).requires_grad_(True)


def enc(x):
    x = x.detach()
    return {"shape": list(x.shape), "data": x.reshape(-1).tolist()}


def same_pads(n, k, s):
    total = max((math.ceil(n / s) - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def case(name, op, args, inputs, fn, extra=None):
    y = fn(**inputs)
    seed = torch.rand(*y.shape, dtype=DT) * 2 - 1
    grads = torch.autograd.grad((y * seed).sum(), list(inputs.values()))
    out = {
        "name": name,
        "op": op,
        "args": args,
        "inputs": {k: enc(v) for k, v in inputs.items()},
        "seed": enc(seed),
        "output": enc(y),
        "grads": {k: enc(g) for k, g in zip(inputs, grads)},
    }
    if extra:
        out["extra"] = {k: enc(v) for k, v in extra.items()}
    return out


def conv(name, xs, ws, stride, pads, mode, bias=True):
    """pads = (top, bottom, left, right); mode 'zeros' or 'circular'."""
    top, bottom, left, right = pads

    def fn(x, w, b=None):
        xp = F.pad(x, (left, right, top, bottom), mode="circular" if mode == "circular" else "constant")
        return F.conv2d(xp, w, b, stride=stride)

    inputs = {"x": t(xs), "w": t(ws)}
    if bias:
        inputs["b"] = t([ws[0]])
    return case(name, "conv2d", {"stride": stride, "pads": list(pads), "mode": mode}, inputs, fn)


cases = []
cases.append(conv("conv2d zero pad 1 stride 2", [2, 3, 7, 6], [4, 3, 3, 3], 2, (1, 1, 1, 1), "zeros"))
cases.append(conv("conv2d valid 2x3 no bias", [1, 2, 5, 6], [3, 2, 2, 3], 1, (0, 0, 0, 0), "zeros", bias=False))
h, w = 7, 6
cases.append(conv("conv2d same 4x4 (even)", [2, 1, h, w], [2, 1, 4, 4], 1, same_pads(h, 4, 1) + same_pads(w, 4, 1), "zeros"))
h, w = 7, 8
cases.append(conv("conv2d same 3x3 stride 2", [1, 2, h, w], [3, 2, 3, 3], 2, same_pads(h, 3, 2) + same_pads(w, 3, 2), "zeros"))
h, w = 6, 5
cases.append(conv("conv2d same 2x2 (even)", [2, 2, h, w], [2, 2, 2, 2], 1, same_pads(h, 2, 1) + same_pads(w, 2, 1), "zeros"))
cases.append(conv("conv2d circular same 3x3", [2, 2, 5, 4], [3, 2, 3, 3], 1, (1, 1, 1, 1), "circular"))
h, w = 6, 7
cases.append(conv("conv2d circular same 4x4", [1, 1, h, w], [2, 1, 4, 4], 1, same_pads(h, 4, 1) + same_pads(w, 4, 1), "circular"))
cases.append(conv("conv2d circular explicit stride 2", [1, 2, 6, 5], [2, 2, 3, 3], 2, (2, 0, 1, 2), "circular"))

for name, xs, ws, s, p, op_ in [
    ("conv_transpose2d k4 s2 p1", [2, 3, 4, 3], [3, 2, 4, 4], 2, 1, 0),
    ("conv_transpose2d k3 s2 p1 out-pad 1", [1, 2, 3, 4], [2, 3, 3, 3], 2, 1, 1),
]:
    cases.append(
        case(
            name,
            "conv_transpose2d",
            {"stride": s, "padding": p, "output_padding": op_},
            {"x": t(xs), "w": t(ws), "b": t([ws[1]])},
            lambda x, w, b, s=s, p=p, op_=op_: F.conv_transpose2d(x, w, b, stride=s, padding=p, output_padding=op_),
        )
    )

for name, xs, k, s in [("maxpool2d 2x2 s2", [2, 3, 6, 8], 2, 2), ("maxpool2d 3x3 s2 on 7x5", [1, 2, 7, 5], 3, 2)]:
    cases.append(case(name, "maxpool2d", {"kernel": k, "stride": s}, {"x": t(xs)}, lambda x, k=k, s=s: F.max_pool2d(x, k, s)))
    cases.append(
        case(name.replace("max", "avg"), "avgpool2d", {"kernel": k, "stride": s}, {"x": t(xs)}, lambda x, k=k, s=s: F.avg_pool2d(x, k, s))
    )

cases.append(case("upsample nearest x2", "upsample_nearest", {"factor": 2}, {"x": t([2, 2, 3, 4])},
                  lambda x: F.interpolate(x, scale_factor=2, mode="nearest")))

MOMENTUM, EPS = 0.1, 1e-5
for name, xs in [("batchnorm train 4-D", [4, 3, 5, 5]), ("batchnorm train 2-D", [6, 4])]:
    c = xs[1]
    rm0 = torch.rand(c, dtype=DT) - 0.5
    rv0 = torch.rand(c, dtype=DT) + 0.5
    rm, rv = rm0.clone(), rv0.clone()
    x = t(xs, -2.0, 3.0)
    res = case(
        name,
        "batchnorm_train",
        {"momentum": MOMENTUM, "eps": EPS},
        {"x": x, "gamma": t([c], 0.5, 1.5), "beta": t([c], -0.5, 0.5)},
        lambda x, gamma, beta: F.batch_norm(x, rm, rv, gamma, beta, training=True, momentum=MOMENTUM, eps=EPS),
    )
    res["extra"] = {
        "running_mean_before": enc(rm0),
        "running_var_before": enc(rv0),
        "running_mean_after": enc(rm),
        "running_var_after": enc(rv),
    }
    cases.append(res)

rm = torch.rand(3, dtype=DT) - 0.5
rv = torch.rand(3, dtype=DT) + 0.5
res = case(
    "batchnorm eval 4-D",
    "batchnorm_eval",
    {"eps": EPS},
    {"x": t([2, 3, 4, 4]), "gamma": t([3], 0.5, 1.5), "beta": t([3], -0.5, 0.5)},
    lambda x, gamma, beta: F.batch_norm(x, rm, rv, gamma, beta, training=False, eps=EPS),
)
res["extra"] = {"running_mean": enc(rm), "running_var": enc(rv)}
cases.append(res)

# Group norm (the U-Net's normalisation): several channels per group, instance norm (G = C),
# layer norm (G = 1), and inputs far from zero.
for name, xs, groups, lo, hi in [
    ("groupnorm 4-D 2 groups", [2, 6, 4, 3], 2, -2.0, 3.0),
    ("groupnorm instance G=C", [3, 4, 3, 3], 4, -1.0, 1.0),
    ("groupnorm layer G=1, offset data", [2, 5, 2, 4], 1, 39.0, 41.0),
]:
    c = xs[1]
    cases.append(
        case(
            name,
            "groupnorm",
            {"groups": groups, "eps": EPS},
            {"x": t(xs, lo, hi), "gamma": t([c], 0.5, 1.5), "beta": t([c], -0.5, 0.5)},
            lambda x, gamma, beta, groups=groups: F.group_norm(x, groups, gamma, beta, eps=EPS),
        )
    )

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "image_golden.json")
with open(path, "w") as f:
    json.dump({"generator": "tests/golden/image_golden.py", "torch": torch.__version__, "cases": cases}, f)
print(f"wrote {len(cases)} cases to {path}")
