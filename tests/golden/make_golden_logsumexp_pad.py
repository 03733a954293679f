#!/usr/bin/env python3
"""Golden values for logsumexp and pad, computed by PyTorch in float64.

Writes logsumexp_pad.json beside this script (same case format as make_golden_core.py, whose
helpers it uses); tests/golden/core_ops.rs compares cosmograd (Cpu<f64>) against it:

    python3 tests/golden/make_golden_logsumexp_pad.py

cosmograd's pad lists (before, after) per axis, first padded axis first; torch.nn.functional.pad
lists the same numbers last axis first, so the generator reverses them.
"""

import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_golden_core import op_case, randn, write  # noqa: E402


def torch_pad(pads):
    flat = []
    for before, after in reversed(pads):
        flat += [before, after]
    return flat


def cases():
    out = []
    x = randn((4, 5), 11, 3.0)
    x[2] = torch.tensor([1000.0, 1001.0, 999.5, 1000.0, 990.0])  # no overflow allowed
    x[3] = torch.tensor([-1000.0, -1001.0, -999.5, -1000.0, -1e4])  # no underflow to ln 0
    for axis, keepdim in [(1, False), (0, True)]:
        out.append(
            op_case(
                f"logsumexp [4,5] axis {axis} keepdim {keepdim}, rows near ±1000",
                "logsumexp",
                {"x": x},
                ["x"],
                lambda x, a=axis, k=keepdim: torch.logsumexp(x, dim=a, keepdim=k),
                {"axis": axis, "keepdim": keepdim},
            )
        )
    out.append(
        op_case(
            "logsumexp [2,3,4] middle axis",
            "logsumexp",
            {"x": randn((2, 3, 4), 12, 2.0)},
            ["x"],
            lambda x: torch.logsumexp(x, dim=1),
            {"axis": 1, "keepdim": False},
        )
    )
    for fill, mode in [("zeros", "constant"), ("reflect", "reflect"), ("circular", "circular")]:
        for shape, pads in [((2, 3, 4, 5), [(2, 1), (3, 1)]), ((2, 3, 6), [(0, 4)]), ((1, 2, 3, 3), [(3, 3), (0, 2)])]:
            if fill == "reflect" and any(p >= n for (b, a), n in zip(pads, shape[-len(pads):]) for p in (b, a)):
                continue  # reflect needs each pad smaller than its axis
            out.append(
                op_case(
                    f"pad {fill} {list(shape)} by {pads}",
                    "pad",
                    {"x": randn(shape, 20 + len(out))},
                    ["x"],
                    lambda x, p=pads, m=mode: F.pad(x, torch_pad(p), mode=m),
                    {"pads": pads, "fill": fill},
                )
            )
    return out


if __name__ == "__main__":
    write("logsumexp_pad.json", cases(), "tests/golden/make_golden_logsumexp_pad.py")
