//! Batch normalisation in training mode, x viewed as [n, c, plane], statistics per channel
//! over the M = n·plane values. Sums accumulate in f64; the variance is the two-pass one
//! (mean first), which does not cancel catastrophically for data far from zero.

use super::pool2d::build_planes;
use super::{Element, PAR_MIN};
use crate::backend::BatchNormDims;
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// (Σ f(x_i, g_i), Σ h(x_i, g_i)) over one contiguous run of values, in f64 with eight
/// independent accumulators each so that the loop vectorises. `g` may be `x` itself. Group
/// normalisation sums its (sample, group) runs with it too.
#[inline]
pub(crate) fn run_sums<E: Element>(xs: &[E], gs: &[E], f: impl Fn(f64, f64) -> f64, h: impl Fn(f64, f64) -> f64) -> (f64, f64) {
    let (mut af, mut ah) = ([0.0f64; 8], [0.0f64; 8]);
    let (mut sf, mut sh) = (0.0, 0.0);
    let whole = xs.len() / 8 * 8;
    for (cx, cg) in xs[..whole].chunks_exact(8).zip(gs[..whole].chunks_exact(8)) {
        for l in 0..8 {
            let (v, w) = (cx[l].f64(), cg[l].f64());
            af[l] += f(v, w);
            ah[l] += h(v, w);
        }
    }
    for (v, w) in xs[whole..].iter().zip(&gs[whole..]) {
        sf += f(v.f64(), w.f64());
        sh += h(v.f64(), w.f64());
    }
    (sf + af.iter().sum::<f64>(), sh + ah.iter().sum::<f64>())
}

/// [`run_sums`] over channel c's values (one run per sample).
fn channel_sums<E: Element>(
    x: &[E],
    g: &[E],
    c: usize,
    d: &BatchNormDims,
    f: impl Fn(f64, f64) -> f64 + Copy,
    h: impl Fn(f64, f64) -> f64 + Copy,
) -> (f64, f64) {
    (0..d.n).fold((0.0, 0.0), |(sf, sh), n| {
        let at = (n * d.c + c) * d.plane;
        let (a, b) = run_sums(&x[at..at + d.plane], &g[at..at + d.plane], f, h);
        (sf + a, sh + b)
    })
}

/// One value per channel, in parallel over channels when the tensor is large.
fn per_channel(d: &BatchNormDims, f: impl Fn(usize) -> (f64, f64) + Sync + Send) -> Vec<(f64, f64)> {
    if d.len() >= PAR_MIN {
        (0..d.c).into_par_iter().map(f).collect()
    } else {
        (0..d.c).map(f).collect()
    }
}

/// out = k·g + a·x + b (or a·x + b without g), with (k, a, b) constant on each plane of
/// `plane` values and given by `coef(plane index)`: both passes of batch and group
/// normalisation end this way.
pub(crate) fn affine_planes<E: Element>(x: &[E], g: Option<&[E]>, plane: usize, coef: impl Fn(usize) -> (f64, f64, f64) + Sync) -> Vec<E> {
    let plane = plane.max(1);
    let run = |i: usize, o: &mut [MaybeUninit<E>]| {
        let (k, a, b) = coef(i);
        let xs = &x[i * plane..(i + 1) * plane];
        match g {
            None => o.iter_mut().zip(xs).for_each(|(o, &v)| {
                o.write(E::of(a * v.f64() + b));
            }),
            Some(g) => {
                let gs = &g[i * plane..(i + 1) * plane];
                for ((o, &v), &w) in o.iter_mut().zip(xs).zip(gs) {
                    o.write(E::of(k * w.f64() + a * v.f64() + b));
                }
            }
        }
    };
    // SAFETY: `run` writes every element of its plane.
    unsafe { build_planes(x.len(), plane, x.len(), run) }
}

/// (y, mean, inv_std): y = γ x̂ + β with x̂ = (x − mean) · inv_std. Mean and inv_std are what
/// the backward needs (with x it rebuilds x̂ instead of storing it).
pub(crate) fn batchnorm_forward<E: Element>(x: &[E], gamma: &[E], beta: &[E], d: BatchNormDims) -> (Vec<E>, Vec<E>, Vec<E>) {
    let m = d.count() as f64;
    let stats = per_channel(&d, |c| {
        let mean = channel_sums(x, x, c, &d, |v, _| v, |_, _| 0.0).0 / m;
        let var = channel_sums(x, x, c, &d, |v, _| (v - mean) * (v - mean), |_, _| 0.0).0 / m;
        (mean, 1.0 / (var + d.eps).sqrt())
    });
    // y = a x + b with a = γ·inv_std and b = β − mean·a.
    let a: Vec<f64> = stats.iter().zip(gamma).map(|(s, gm)| gm.f64() * s.1).collect();
    let b: Vec<f64> = stats.iter().zip(beta).zip(&a).map(|((s, be), a)| be.f64() - s.0 * a).collect();
    let y = affine_planes(x, None, d.plane, |i| (0.0, a[i % d.c], b[i % d.c]));
    let mean = stats.iter().map(|s| E::of(s.0)).collect();
    let inv_std = stats.iter().map(|s| E::of(s.1)).collect();
    (y, mean, inv_std)
}

/// (∂E/∂x, ∂E/∂γ, ∂E/∂β), the three-term form:
/// ∂E/∂x = (γ·inv_std / M) · (M g − Σg − x̂ · Σ g x̂), ∂E/∂γ = Σ g x̂, ∂E/∂β = Σ g.
pub(crate) fn batchnorm_backward<E: Element>(
    x: &[E],
    gy: &[E],
    gamma: &[E],
    mean: &[E],
    inv_std: &[E],
    d: BatchNormDims,
) -> (Vec<E>, Vec<E>, Vec<E>) {
    let m = d.count() as f64;
    let sums = per_channel(&d, |c| {
        let (mu, is) = (mean[c].f64(), inv_std[c].f64());
        // One pass: Σg and Σg(x − μ), then Σ g x̂ = inv_std · Σ g (x − μ).
        let (sum_g, sum_gxc) = channel_sums(x, gy, c, &d, |_, g| g, |v, g| g * (v - mu));
        (sum_g, sum_gxc * is)
    });
    // Expanding x̂ = (x − mean)·inv_std: ∂E/∂x = k g + a x + b, per channel, with
    // k = γ·inv_std, a = −k·inv_std·Σgx̂/M, b = −k·Σg/M − a·mean.
    let (mut k, mut a, mut b) = (vec![0.0; d.c], vec![0.0; d.c], vec![0.0; d.c]);
    for c in 0..d.c {
        let is = inv_std[c].f64();
        k[c] = gamma[c].f64() * is;
        a[c] = -k[c] * is * sums[c].1 / m;
        b[c] = -k[c] * sums[c].0 / m - a[c] * mean[c].f64();
    }
    let gx = affine_planes(x, Some(gy), d.plane, |i| (k[i % d.c], a[i % d.c], b[i % d.c]));
    let ggamma = sums.iter().map(|s| E::of(s.1)).collect();
    let gbeta = sums.iter().map(|s| E::of(s.0)).collect();
    (gx, ggamma, gbeta)
}

/// The definitions written out: the batch statistics, x̂, and the gradient as the chain rule
/// through mean and variance (not the compact form), for the tests.
pub fn batchnorm_reference(x: &[f64], gy: &[f64], gamma: &[f64], beta: &[f64], d: BatchNormDims) -> [Vec<f64>; 4] {
    let m = d.count() as f64;
    let idx = |n: usize, c: usize, p: usize| (n * d.c + c) * d.plane + p;
    let (mut y, mut gx, mut gg, mut gb) = (vec![0.0; d.len()], vec![0.0; d.len()], vec![0.0; d.c], vec![0.0; d.c]);
    for c in 0..d.c {
        let all: Vec<usize> = (0..d.n).flat_map(|n| (0..d.plane).map(move |p| idx(n, c, p))).collect();
        let mu = all.iter().map(|&i| x[i]).sum::<f64>() / m;
        let var = all.iter().map(|&i| (x[i] - mu).powi(2)).sum::<f64>() / m;
        let s = (var + d.eps).sqrt();
        // ∂E/∂x̂, then through var and mean (Ioffe & Szegedy 2015, Algorithm 1's backward).
        let dxhat: Vec<f64> = all.iter().map(|&i| gy[i] * gamma[c]).collect();
        let dvar: f64 = all.iter().zip(&dxhat).map(|(&i, dh)| dh * (x[i] - mu) * -0.5 * s.powi(-3)).sum();
        let dmu: f64 = dxhat.iter().map(|dh| -dh / s).sum::<f64>() + dvar * all.iter().map(|&i| -2.0 * (x[i] - mu)).sum::<f64>() / m;
        for (&i, dh) in all.iter().zip(&dxhat) {
            let xhat = (x[i] - mu) / s;
            y[i] = gamma[c] * xhat + beta[c];
            gx[i] = dh / s + dvar * 2.0 * (x[i] - mu) / m + dmu / m;
            gg[c] += gy[i] * xhat;
            gb[c] += gy[i];
        }
    }
    [y, gx, gg, gb]
}
