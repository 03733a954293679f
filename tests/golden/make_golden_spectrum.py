#!/usr/bin/env python3
"""Golden values for cosmograd's spectrum code, from an independent numpy/scipy implementation.

Writes spectrum.json beside this script; tests/data/spectrum.rs and
tests/data/power_spectrum.rs compare against it. Re-run after changing a case:

    python3 tests/golden/make_golden_spectrum.py

Needs numpy and scipy. Nothing here shares code with cosmograd: the sigma_R integrals use
scipy's adaptive quad in k (cosmograd: Simpson in ln k), the slab projections adaptive quad
lobe by lobe to k_z = 2000 h/Mpc (cosmograd: fixed Gauss-Legendre panels and a closed-form
tail), and the Pk_plane binning numpy's rfft2 with a vectorised mask (cosmograd: rustfft and
a loop).
"""

import json
import math
import os

import numpy as np
from scipy import integrate

HERE = os.path.dirname(os.path.abspath(__file__))
T_CMB = 2.7255


def transfer(k, om, ob, h):
    """Eisenstein & Hu (1998) no-wiggle transfer function, eqs. 26-31; k in h/Mpc."""
    th2 = (T_CMB / 2.7) ** 2
    wm, wb, fb = om * h * h, ob * h * h, ob / om
    s = 44.5 * math.log(9.83 / wm) / math.sqrt(1 + 10 * wb**0.75)
    ag = 1 - 0.328 * math.log(431 * wm) * fb + 0.38 * math.log(22.3 * wm) * fb**2
    gam = om * h * (ag + (1 - ag) / (1 + (0.43 * k * h * s) ** 4))
    q = k * th2 / gam
    l0 = np.log(2 * math.e + 1.8 * q)
    c0 = 14.2 + 731 / (1 + 62.5 * q)
    return l0 / (l0 + c0 * q * q)


def window(x):
    if x < 1e-2:  # the series, where the formula cancels
        return 1 - x * x / 10 + x**4 / 280
    return 3 * (math.sin(x) - x * math.cos(x)) / x**3


def sigma2_unnormalised(r, cosmo):
    om, ob, h, ns = cosmo["omega_m"], cosmo["omega_b"], cosmo["h"], cosmo["n_s"]

    def f(k):
        return k**2 * k**ns * transfer(k, om, ob, h) ** 2 * window(k * r) ** 2 / (2 * math.pi**2)

    # Piecewise over decades so quad sees every feature; the window's zeros beyond k ~ 10/r.
    edges = np.logspace(-5, 3, 41)
    total = 0.0
    for a, b in zip(edges[:-1], edges[1:]):
        total += integrate.quad(f, a, b, limit=5000, epsabs=0, epsrel=1e-10)[0]
    return total


def linear_power(cosmo):
    amp = cosmo["sigma_8"] ** 2 / sigma2_unnormalised(8.0, cosmo)
    om, ob, h, ns = cosmo["omega_m"], cosmo["omega_b"], cosmo["h"], cosmo["n_s"]
    return amp, (lambda k: amp * k**ns * transfer(k, om, ob, h) ** 2)


def slab(p3d, k, delta):
    lobe = 2 * math.pi / delta

    def f(kz):
        x = kz * delta / 2
        s = np.sinc(x / math.pi)  # numpy's sinc is sin(pi x)/(pi x)
        return p3d(math.sqrt(k * k + kz * kz)) * s * s

    total = 0.0
    a = 0.0
    b = lobe
    while a < 2000.0:
        total += integrate.quad(f, a, b, limit=200, epsabs=0, epsrel=1e-12)[0]
        a, b = b, b + lobe
    return total / math.pi


def pk_plane(field, box):
    """Pylians Pk_plane binning, vectorised."""
    n = field.shape[0]
    d = np.fft.rfft2(field)
    idx = np.arange(n)
    # Pylians: index i > n/2 is frequency i - n, and i = n/2 stays +n/2 (numpy's fftfreq
    # would say -n/2, which would drop the self-conjugate Nyquist modes below).
    fy = np.where(idx <= n // 2, idx, idx - n)[:, None] * np.ones((1, n // 2 + 1))
    fx = np.arange(n // 2 + 1)[None, :] * np.ones((n, 1))
    kmag = np.sqrt(fy**2 + fx**2)
    keep = np.ones_like(kmag, dtype=bool)
    line = (fx == 0) | ((n % 2 == 0) & (fx == n // 2))
    keep &= ~(line & (fy < 0))
    keep &= kmag > 0
    b = np.floor(kmag + 1e-12).astype(int)
    kf = 2 * math.pi / box
    out_k, out_p, out_m = [], [], []
    for i in range(1, b[keep].max() + 1):
        sel = keep & (b == i)
        m = int(sel.sum())
        if m == 0:
            continue
        out_k.append(float(kmag[sel].mean() * kf))
        out_p.append(float((np.abs(d[sel]) ** 2).mean() * (box / n**2) ** 2))
        out_m.append(m)
    return out_k, out_p, out_m


def main():
    camels = dict(omega_m=0.3, omega_b=0.049, h=0.6711, n_s=0.9624, sigma_8=0.8)
    low = dict(omega_m=0.12, omega_b=0.049, h=0.6711, n_s=0.9624, sigma_8=0.65)
    quijote = dict(omega_m=0.3175, omega_b=0.049, h=0.6711, n_s=0.9624, sigma_8=0.834)
    ks = [1e-3, 0.01, 0.05, 0.1, 0.3, 1.0, 3.0, 10.0, 40.0]
    cases = []
    for name, c in [("camels_fiducial", camels), ("camels_low", low), ("quijote", quijote)]:
        amp, p = linear_power(c)
        radii = [2.0, 8.0, 25.0]
        sig = [math.sqrt(amp * sigma2_unnormalised(r, c)) for r in radii]
        cases.append(dict(kind="linear", name=name, cosmology=c, k=ks, power=[float(p(k)) for k in ks],
                          radii=radii, sigma_r=sig))
    for name, c, delta, kk in [
        ("cmd_slab", camels, 5.0, [0.25, 1.0, 5.0, 20.0, 45.0]),
        ("quijote_slab", quijote, 15.625, [0.00628, 0.03, 0.1, 0.28]),
    ]:
        _, p = linear_power(c)
        cases.append(dict(kind="slab", name=name, cosmology=c, thickness=delta, k=kk,
                          power=[slab(p, k, delta) for k in kk]))
    rng = np.random.default_rng(8)
    for n, box in [(16, 25.0), (15, 10.0)]:
        field = rng.standard_normal((n, n)) + np.sin(2 * math.pi * 3 * np.arange(n) / n)[None, :]
        k, p, m = pk_plane(field, box)
        cases.append(dict(kind="pk_plane", n=n, box=box, field=field.ravel().tolist(), k=k, power=p, modes=m))
    with open(os.path.join(HERE, "spectrum.json"), "w") as f:
        json.dump({"generator": "tests/golden/make_golden_spectrum.py", "cases": cases}, f, indent=1)


if __name__ == "__main__":
    main()
