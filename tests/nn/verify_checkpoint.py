#!/usr/bin/env python3
"""Checks that a cosmograd checkpoint loads in Python (safetensors + torch) and prints it.

    pip install safetensors torch
    cargo run --release --example mlp_regression
    python3 tests/nn/verify_checkpoint.py out/examples/mlp_regression.safetensors

The Rust tests do not need Python; this is the cross-check that the files are ordinary
safetensors: every tensor f32 (or f64) little-endian, keys param/…, buffer/…, optim/…/….
"""

import json
import sys

from safetensors import safe_open
from safetensors.torch import load_file


def main(path):
    tensors = load_file(path)
    with safe_open(path, framework="pt") as f:
        meta = f.metadata()
    assert meta.get("format") == "cosmograd-checkpoint/1", f"unexpected format metadata: {meta}"
    for key in sorted(tensors):
        t = tensors[key]
        kind = key.split("/")[0]
        assert kind in ("param", "buffer", "optim"), f"unexpected key {key}"
        assert str(t.dtype) in ("torch.float32", "torch.float64"), f"{key}: {t.dtype}"
        assert bool(t.isfinite().all()), f"{key} holds non-finite values"
        print(f"{key:40s} {str(t.dtype):14s} {list(t.shape)}")
    for k in sorted(meta):
        print(f"meta {k} = {meta[k]}")
    # Settings are JSON, readable without cosmograd.
    for k in ("optim.config", "model.config", "optim.param_steps"):
        if k in meta:
            json.loads(meta[k])
    params = [k for k in tensors if k.startswith("param/")]
    for p in params:
        name = p[len("param/"):]
        for slot in ("m", "v", "velocity"):
            s = tensors.get(f"optim/{name}/{slot}")
            assert s is None or s.shape == tensors[p].shape, f"optimiser slot {slot} of {name} has another shape"
    print(f"ok: {len(tensors)} tensors, {len(params)} parameters")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: verify_checkpoint.py FILE.safetensors")
    main(sys.argv[1])
