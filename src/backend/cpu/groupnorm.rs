//! Group normalisation (Wu & He 2018): x viewed as [n, c, plane], statistics per (sample,
//! group) over the M = (c/groups)·plane values of the group's channels, which are one
//! contiguous run in NCHW. Sums accumulate in f64 (`run_sums`, shared with batch norm); the
//! variance is the two-pass one. Unlike batch norm, nothing mixes samples, so a sample's
//! output does not depend on the rest of its batch (what a DDPM's small batches need).

use super::batchnorm::{affine_planes, run_sums};
use super::{Element, PAR_MIN};
use crate::backend::GroupNormDims;
use rayon::prelude::*;

/// `f(i)` for i in 0..len, in parallel when the tensor is large.
fn each<T: Send>(len: usize, work: usize, f: impl Fn(usize) -> T + Sync + Send) -> Vec<T> {
    if work >= PAR_MIN {
        (0..len).into_par_iter().map(f).collect()
    } else {
        (0..len).map(f).collect()
    }
}

/// (y, mean, inv_std): y = γ_c x̂ + β_c with x̂ = (x − mean_{n,g}) · inv_std_{n,g}. The mean
/// and inv_std of each (sample, group) are what the backward needs (with x it rebuilds x̂
/// instead of storing it).
pub(crate) fn groupnorm_forward<E: Element>(x: &[E], gamma: &[E], beta: &[E], d: GroupNormDims) -> (Vec<E>, Vec<E>, Vec<E>) {
    let (per, m) = (d.count(), d.count() as f64);
    let stats = each(d.stats_len(), d.len(), |i| {
        let run = &x[i * per..(i + 1) * per];
        let mean = run_sums(run, run, |v, _| v, |_, _| 0.0).0 / m;
        let var = run_sums(run, run, |v, _| (v - mean) * (v - mean), |_, _| 0.0).0 / m;
        (mean, 1.0 / (var + d.eps).sqrt())
    });
    // On plane p (sample n, channel c): y = a x + b with a = γ_c·inv_std, b = β_c − mean·a.
    let y = affine_planes(x, None, d.plane, |p| {
        let (c, (mean, inv_std)) = (p % d.c, stats[d.group_of_plane(p)]);
        let a = gamma[c].f64() * inv_std;
        (0.0, a, beta[c].f64() - mean * a)
    });
    let mean = stats.iter().map(|s| E::of(s.0)).collect();
    let inv_std = stats.iter().map(|s| E::of(s.1)).collect();
    (y, mean, inv_std)
}

/// (∂E/∂x, ∂E/∂γ, ∂E/∂β) in the compact form. With h = γ_c g (the gradient reaching x̂) and
/// sums over the (sample, group) run:
///   ∂E/∂x = (inv_std / M) · (M h − Σh − x̂ · Σ h x̂),  ∂E/∂γ_c = Σ_{n,plane} g x̂,  ∂E/∂β_c = Σ g.
pub(crate) fn groupnorm_backward<E: Element>(
    x: &[E],
    gy: &[E],
    gamma: &[E],
    mean: &[E],
    inv_std: &[E],
    d: GroupNormDims,
) -> (Vec<E>, Vec<E>, Vec<E>) {
    let (m, plane) = (d.count() as f64, d.plane);
    // Per plane (sample n, channel c): Σ g and Σ g x̂ = inv_std · Σ g (x − mean), one pass.
    let planes = each(d.n * d.c, d.len(), |p| {
        let s = d.group_of_plane(p);
        let (mu, is) = (mean[s].f64(), inv_std[s].f64());
        let at = p * plane;
        let (sum_g, sum_gxc) = run_sums(&x[at..at + plane], &gy[at..at + plane], |_, g| g, |v, g| g * (v - mu));
        (sum_g, sum_gxc * is)
    });
    // Per (sample, group): Σh = Σ_c γ_c Σg and Σ h x̂ = Σ_c γ_c Σ g x̂.
    let cpg = d.channels_per_group();
    let groups: Vec<(f64, f64)> = (0..d.stats_len())
        .map(|s| {
            let first = (s / d.groups) * d.c + (s % d.groups) * cpg;
            (first..first + cpg).fold((0.0, 0.0), |(h, hx), p| {
                let gm = gamma[p % d.c].f64();
                (h + gm * planes[p].0, hx + gm * planes[p].1)
            })
        })
        .collect();
    // Expanding x̂ = (x − mean)·inv_std: ∂E/∂x = k g + a x + b on each plane, with
    // k = γ_c·inv_std, a = −inv_std²·Σhx̂/M, b = −inv_std·Σh/M − a·mean.
    let gx = affine_planes(x, Some(gy), plane, |p| {
        let s = d.group_of_plane(p);
        let (is, (sum_h, sum_hx)) = (inv_std[s].f64(), groups[s]);
        let a = -is * is * sum_hx / m;
        (gamma[p % d.c].f64() * is, a, -is * sum_h / m - a * mean[s].f64())
    });
    let (mut ggamma, mut gbeta) = (vec![0.0; d.c], vec![0.0; d.c]);
    for (p, (sum_g, sum_gx)) in planes.iter().enumerate() {
        gbeta[p % d.c] += sum_g;
        ggamma[p % d.c] += sum_gx;
    }
    let cast = |v: Vec<f64>| v.into_iter().map(E::of).collect();
    (gx, cast(ggamma), cast(gbeta))
}

/// The definitions written out for the tests: the group statistics, x̂, and the gradient as
/// the chain rule through the mean and the variance (not the compact form). Returns
/// [y, ∂E/∂x, ∂E/∂γ, ∂E/∂β] for the upstream gradient gy.
pub fn groupnorm_reference(x: &[f64], gy: &[f64], gamma: &[f64], beta: &[f64], d: GroupNormDims) -> [Vec<f64>; 4] {
    let (m, cpg) = (d.count() as f64, d.channels_per_group());
    let (mut y, mut gx, mut gg, mut gb) = (vec![0.0; d.len()], vec![0.0; d.len()], vec![0.0; d.c], vec![0.0; d.c]);
    for n in 0..d.n {
        for grp in 0..d.groups {
            // Every (index, channel) of this sample's group.
            let all: Vec<(usize, usize)> = (grp * cpg..(grp + 1) * cpg)
                .flat_map(|c| (0..d.plane).map(move |p| ((n * d.c + c) * d.plane + p, c)))
                .collect();
            let mu = all.iter().map(|&(i, _)| x[i]).sum::<f64>() / m;
            let var = all.iter().map(|&(i, _)| (x[i] - mu).powi(2)).sum::<f64>() / m;
            let s = (var + d.eps).sqrt();
            let dxhat: Vec<f64> = all.iter().map(|&(i, c)| gy[i] * gamma[c]).collect();
            let dvar: f64 = all
                .iter()
                .zip(&dxhat)
                .map(|(&(i, _), dh)| dh * (x[i] - mu) * -0.5 * s.powi(-3))
                .sum();
            let dmu: f64 =
                dxhat.iter().map(|dh| -dh / s).sum::<f64>() + dvar * all.iter().map(|&(i, _)| -2.0 * (x[i] - mu)).sum::<f64>() / m;
            for (&(i, c), dh) in all.iter().zip(&dxhat) {
                let xhat = (x[i] - mu) / s;
                y[i] = gamma[c] * xhat + beta[c];
                gx[i] = dh / s + dvar * 2.0 * (x[i] - mu) / m + dmu / m;
                gg[c] += gy[i] * xhat;
                gb[c] += gy[i];
            }
        }
    }
    [y, gx, gg, gb]
}
