#!/usr/bin/env python3
"""Golden values for cosmograd's core ops and optimisers, computed by PyTorch in float64.

Writes core_ops.json and optim.json beside this script; tests/golden.rs compares cosmograd
(Cpu<f64>) against them. Re-run after changing a case:

    python3 tests/golden/make_golden_core.py

Only torch is needed (no numpy). Each op case holds its inputs (shape + flat row-major data),
a weight tensor w for the contraction E = sum(w * out) whose gradients are recorded (a plain
sum would give softmax a zero gradient), the forward output and dE/d(input) for each
differentiable input.
"""

import json
import math
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))
HALF_LN_2PI = 0.5 * math.log(2 * math.pi)


def gen(seed):
    return torch.Generator().manual_seed(seed)


def randn(shape, seed, scale=1.0):
    return torch.randn(*shape, generator=gen(seed)) * scale


def uniform(shape, seed, lo, hi):
    return lo + (hi - lo) * torch.rand(*shape, generator=gen(seed))


def enc(t):
    t = t.detach()
    return {"shape": list(t.shape), "data": t.reshape(-1).tolist()}


def op_case(name, op, inputs, grad_inputs, fn, extra=None, reduce_weight=True):
    """inputs: dict name -> tensor; grad_inputs: names that take a gradient."""
    leaves = {k: v.clone().requires_grad_(k in grad_inputs) for k, v in inputs.items()}
    out = fn(**leaves)
    w = randn(out.shape, 999) if reduce_weight and out.dim() > 0 else torch.ones(out.shape)
    (w * out).sum().backward()
    case = {
        "name": name,
        "op": op,
        "inputs": {k: enc(v) for k, v in inputs.items()},
        "weight": enc(w),
        "output": enc(out),
        "grads": {k: enc(leaves[k].grad) for k in grad_inputs},
    }
    case.update(extra or {})
    return case


def gmm_nll(logits, means, raw, target, isotropic, sigma, floor):
    """The mixture NLL exactly as src/backend/cpu/gmm_nll.rs defines it."""
    log_alpha = torch.log_softmax(logits, dim=1)  # [N, K]
    s = floor + (F.softplus(raw) if sigma == "softplus" else torch.exp(raw))
    if isotropic:
        s = s.unsqueeze(2).expand_as(means)  # one sigma per component, shared by all D
    z = (target.unsqueeze(1) - means) / s  # [N, K, D]
    log_phi = -(HALF_LN_2PI + torch.log(s) + 0.5 * z * z).sum(dim=2)
    return -torch.logsumexp(log_alpha + log_phi, dim=1)


def core_cases():
    cases = []
    x = randn((4, 5), 1, 3.0)
    x[3] = torch.tensor([1000.0, 1001.0, 999.5, 1000.0, 990.0])  # no overflow allowed
    for op, f in [("softmax", lambda x: torch.softmax(x, -1)), ("log_softmax", lambda x: torch.log_softmax(x, -1))]:
        cases.append(op_case(f"{op} [4,5] incl. a row near 1000", op, {"x": x}, ["x"], f))
        cases.append(op_case(f"{op} [1,1]", op, {"x": randn((1, 1), 2)}, ["x"], f))

    gmm_variants = [
        ("diag softplus", 6, 3, 2, False, "softplus", 1e-3, 0.0),
        ("isotropic softplus", 5, 4, 3, True, "softplus", 0.05, 0.0),
        ("diag exp", 4, 2, 1, False, "exp", 0.0, 0.0),
        ("isotropic exp, far targets", 3, 5, 6, True, "exp", 1e-3, 25.0),
        ("diag softplus K=1", 3, 1, 4, False, "softplus", 1e-3, 0.0),
    ]
    for i, (label, n, k, d, iso, sigma, floor, shift) in enumerate(gmm_variants):
        seed = 100 + 10 * i
        inputs = {
            "logits": randn((n, k), seed, 2.0),
            "means": randn((n, k, d), seed + 1),
            "raw_sigma": randn((n, k) if iso else (n, k, d), seed + 2, 0.7),
            "target": randn((n, d), seed + 3) + shift,
        }
        f = lambda logits, means, raw_sigma, target: gmm_nll(logits, means, raw_sigma, target, iso, sigma, floor)
        extra = {"isotropic": iso, "sigma": sigma, "floor": floor}
        cases.append(op_case(f"gmm_nll {label}", "gmm_nll", inputs, ["logits", "means", "raw_sigma"], f, extra))

    p = uniform((3, 4), 7, 0.01, 0.99)
    p[0, 0], p[0, 1], p[0, 2], p[0, 3] = 1e-50, 1.0 - 1e-9, 0.0, 1.0  # log clamps and gradient floor
    t = uniform((3, 4), 8, 0.0, 1.0)
    t[1] = torch.tensor([0.0, 1.0, 1.0, 0.0])
    for red in ["none", "mean", "sum"]:
        f = lambda p, t: F.binary_cross_entropy(p, t, reduction=red)
        # Where p(1 - p) < 1e-12 the gradient divides by PyTorch's floor, which is the f32
        # constant 1e-12 (9.99999996e-13 in f64); cosmograd's f64 floor is 1e-12 exactly, a
        # relative difference of 4e-9 on those three elements only.
        extra = {"reduction": red}
        cases.append(op_case(f"bce {red}", "bce", {"p": p, "t": t}, ["p"], f, extra))
    # SiLU x·σ(x) (the U-Net's activation), including far tails and zero.
    xs = randn((3, 5), 11, 4.0)
    xs[0, 0], xs[0, 1], xs[0, 2], xs[0, 3] = 40.0, -40.0, 0.0, -745.0
    cases.append(op_case("silu [3,5] incl. ±40, 0 and -745", "silu", {"x": xs}, ["x"], lambda x: F.silu(x)))
    xl = randn((3, 4), 9, 4.0)
    xl[0, 0], xl[0, 1], xl[0, 2] = 40.0, -40.0, 0.0
    for red in ["none", "mean", "sum"]:
        f = lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction=red)
        cases.append(op_case(f"bce_with_logits {red}", "bce_with_logits", {"x": xl, "t": t}, ["x"], f, {"reduction": red}))
    return cases


def optim_cases():
    """Several steps of each optimiser on two parameters, with given gradients per step."""
    shapes = {"w": (3, 4), "b": (4,)}
    steps = 5
    configs = [
        ("sgd", dict(kind="sgd", lr=0.1)),
        ("sgd momentum + weight decay", dict(kind="sgd", lr=0.1, momentum=0.9, weight_decay=0.01)),
        ("sgd nesterov", dict(kind="sgd", lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.001)),
        ("sgd momentum, clipped to 1.0", dict(kind="sgd", lr=0.1, momentum=0.9, max_norm=1.0)),
        ("adam defaults", dict(kind="adam", lr=0.01)),
        ("adam betas, eps, L2 weight decay", dict(kind="adam", lr=0.02, beta1=0.8, beta2=0.99, eps=1e-6, weight_decay=0.1)),
        ("adamw", dict(kind="adamw", lr=0.01, weight_decay=0.1)),
        ("adam clipped to 0.5", dict(kind="adam", lr=0.01, max_norm=0.5)),
        ("adam with StepLR(2, 0.5)", dict(kind="adam", lr=0.05, step_every=2, step_gamma=0.5)),
        ("adam, b has no gradient for two steps", dict(kind="adam", lr=0.01, b_from=2)),
    ]
    cases = []
    for ci, (name, c) in enumerate(configs):
        params = {k: randn(s, 500 + j).requires_grad_(True) for j, (k, s) in enumerate(shapes.items())}
        initial = {k: enc(v) for k, v in params.items()}
        plist = list(params.values())
        if c["kind"] == "sgd":
            opt = torch.optim.SGD(
                plist, lr=c["lr"], momentum=c.get("momentum", 0.0), weight_decay=c.get("weight_decay", 0.0),
                nesterov=c.get("nesterov", False),
            )
        else:
            cls = torch.optim.AdamW if c["kind"] == "adamw" else torch.optim.Adam
            opt = cls(
                plist, lr=c["lr"], betas=(c.get("beta1", 0.9), c.get("beta2", 0.999)), eps=c.get("eps", 1e-8),
                weight_decay=c.get("weight_decay", 0.0),
            )
        sched = torch.optim.lr_scheduler.StepLR(opt, c["step_every"], c["step_gamma"]) if "step_every" in c else None
        record = []
        for s in range(steps):
            grads = {}
            for j, (k, p) in enumerate(params.items()):
                if k == "b" and s < c.get("b_from", 0):
                    p.grad = None
                    grads[k] = None
                else:
                    g = randn(p.shape, 1000 * ci + 10 * s + j, 1.5)
                    p.grad = g.clone()
                    grads[k] = g.reshape(-1).tolist()
            if "max_norm" in c:
                torch.nn.utils.clip_grad_norm_([p for p in plist if p.grad is not None], c["max_norm"])
            opt.step()
            if sched:
                sched.step()
            record.append({"grads": grads, "params": {k: v.detach().reshape(-1).tolist() for k, v in params.items()}})
        cases.append({"name": name, "config": c, "initial": initial, "steps": record})
    return cases


def write(fname, cases, generator="tests/golden/make_golden_core.py"):
    doc = {"generator": generator, "torch": torch.__version__, "cases": cases}
    # One case per line: small diffs when a case changes, no megabyte of indentation.
    body = ",\n".join(json.dumps(c) for c in doc.pop("cases"))
    head = json.dumps(doc)[:-1]
    with open(os.path.join(HERE, fname), "w") as f:
        f.write(f'{head}, "cases": [\n{body}\n]}}\n')
    print(f"wrote {fname}: {len(cases)} cases")


def main():
    for fname, cases in [("core_ops.json", core_cases()), ("optim.json", optim_cases())]:
        write(fname, cases)


if __name__ == "__main__":
    main()
