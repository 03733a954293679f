#!/usr/bin/env python3
"""Golden values for cosmograd's field-comparison statistics, from scipy.

Writes fields.json beside this script; tests/data/ks.rs compares against it. Re-run after
changing a case:

    python3 tests/golden/make_golden_fields.py

Needs numpy and scipy: the two-sample KS statistic D (scipy.stats.ks_2samp, exact D), the
Wasserstein-1 distance (scipy.stats.wasserstein_distance) and the Kolmogorov survival function
Q(lambda) (scipy.special.kolmogorov). Samples include ties and unequal sizes.
"""

import json
import os

import numpy as np
from scipy import special, stats

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    rng = np.random.default_rng(20261202)
    cases = []
    samples = [
        (rng.normal(size=50), rng.normal(0.3, 1.2, size=70)),
        (rng.exponential(size=200), rng.lognormal(-0.2, 0.6, size=130)),
        # Ties inside and across the samples.
        (np.round(rng.normal(size=80), 1), np.round(rng.normal(0.1, 1, size=90), 1)),
        (np.array([0.0, 0.0, 1.0, 2.0, 2.0]), np.array([0.0, 1.0, 1.0, 3.0])),
    ]
    for a, b in samples:
        cases.append(
            {
                "kind": "two_sample",
                "a": a.tolist(),
                "b": b.tolist(),
                "ks_d": float(stats.ks_2samp(a, b).statistic),
                "wasserstein1": float(stats.wasserstein_distance(a, b)),
            }
        )
    lambdas = [0.25, 0.4, 0.5, 0.8, 1.0, 1.2224, 1.36, 1.63, 2.0, 3.0]
    cases.append(
        {
            "kind": "kolmogorov",
            "lambda": lambdas,
            "q": [float(special.kolmogorov(x)) for x in lambdas],
        }
    )
    out = {"generator": "tests/golden/make_golden_fields.py (scipy " + __import__("scipy").__version__ + ")", "cases": cases}
    with open(os.path.join(HERE, "fields.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
