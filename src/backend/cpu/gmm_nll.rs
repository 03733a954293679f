//! The Gaussian-mixture negative log-likelihood of thesis eqs. 56–57, per sample:
//!
//!   E = −ln Σ_m α_m φ_m(y),  α = softmax(a),
//!   ln φ_m = −Σ_d [ ½ ln 2π + ln σ_md + (y_d − μ_md)² / (2 σ_md²) ],
//!
//! evaluated as a log-sum-exp over ln α_m + ln φ_m. The forward saves the responsibilities
//! γ_m = α_m φ_m / Σ_j α_j φ_j, which every term of the backward uses:
//!
//!   ∂E/∂a_m   = α_m − γ_m
//!   ∂E/∂μ_md  = −γ_m (y_d − μ_md) / σ_md²
//!   ∂E/∂σ_md  = γ_m [ 1/σ_md − (y_d − μ_md)² / σ_md³ ]          (diagonal)
//!   ∂E/∂σ_m   = γ_m [ D/σ_m − |y − μ_m|² / σ_m³ ]               (isotropic, eq. 57)
//!   ∂E/∂s     = ∂E/∂σ · dσ/ds                                   (σ = floor + softplus(s), …)
//!
//! Each sample is computed in f64 whatever the element type: the sums are short and the
//! cancellations in the log-sum-exp are where f32 would lose digits.

use super::Element;
use crate::backend::{GmmDims, GmmInputs};
use rayon::prelude::*;

const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

/// Per-sample quantities shared by forward and backward.
struct Sample {
    log_alpha: Vec<f64>,
    /// ln α_m + ln φ_m.
    log_w: Vec<f64>,
    /// σ and dσ/ds, per raw σ entry.
    sigma: Vec<(f64, f64)>,
}

fn sample<E: Element>(inp: &GmmInputs<'_, Vec<E>>, dims: GmmDims, i: usize) -> Sample {
    let GmmDims { k, d, .. } = dims;
    let ns = dims.sigmas_per_sample();
    let logits = &inp.logits[i * k..(i + 1) * k];
    let mx = logits.iter().fold(f64::NEG_INFINITY, |a, b| a.max(b.f64()));
    let lse = mx + logits.iter().map(|v| (v.f64() - mx).exp()).sum::<f64>().ln();
    let log_alpha: Vec<f64> = logits.iter().map(|v| v.f64() - lse).collect();
    let sigma: Vec<(f64, f64)> = inp.raw_sigma[i * ns..(i + 1) * ns]
        .iter()
        .map(|s| dims.sigma.eval(s.f64()))
        .collect();
    let y = &inp.target[i * d..(i + 1) * d];
    let log_w = (0..k)
        .map(|m| {
            let mu = &inp.means[(i * k + m) * d..(i * k + m + 1) * d];
            let mut lphi = 0.0;
            for dd in 0..d {
                let s = if dims.isotropic { sigma[m].0 } else { sigma[m * d + dd].0 };
                let z = (y[dd].f64() - mu[dd].f64()) / s;
                lphi -= HALF_LN_2PI + s.ln() + 0.5 * z * z;
            }
            log_alpha[m] + lphi
        })
        .collect();
    Sample { log_alpha, log_w, sigma }
}

fn log_sum_exp(v: &[f64]) -> f64 {
    let mx = v.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    if mx == f64::NEG_INFINITY {
        return mx;
    }
    mx + v.iter().map(|x| (x - mx).exp()).sum::<f64>().ln()
}

/// (nll [n], γ [n, k]).
pub(crate) fn forward<E: Element>(inp: &GmmInputs<'_, Vec<E>>, dims: GmmDims) -> (Vec<E>, Vec<E>) {
    let k = dims.k;
    let per: Vec<(E, Vec<E>)> = (0..dims.n)
        .into_par_iter()
        .map(|i| {
            let s = sample(inp, dims, i);
            let lse = log_sum_exp(&s.log_w);
            (E::of(-lse), s.log_w.iter().map(|w| E::of((w - lse).exp())).collect())
        })
        .collect();
    let mut nll = Vec::with_capacity(dims.n);
    let mut gamma = Vec::with_capacity(dims.n * k);
    for (l, g) in per {
        nll.push(l);
        gamma.extend(g);
    }
    (nll, gamma)
}

/// (∂/∂logits [n, k], ∂/∂means [n, k, d], ∂/∂raw σ [n, k(, d)]), each scaled by grad[i].
pub(crate) fn backward<E: Element>(inp: &GmmInputs<'_, Vec<E>>, gamma: &[E], grad: &[E], dims: GmmDims) -> (Vec<E>, Vec<E>, Vec<E>) {
    let GmmDims { n, k, d, isotropic, .. } = dims;
    let ns = dims.sigmas_per_sample();
    let per: Vec<(Vec<E>, Vec<E>, Vec<E>)> = (0..n)
        .into_par_iter()
        .map(|i| {
            let s = sample(inp, dims, i);
            let g = grad[i].f64();
            let y = &inp.target[i * d..(i + 1) * d];
            let mut ga = vec![E::zero(); k];
            let mut gmu = vec![E::zero(); k * d];
            let mut gs = vec![0.0f64; ns];
            for m in 0..k {
                let gam = gamma[i * k + m].f64();
                ga[m] = E::of(g * (s.log_alpha[m].exp() - gam));
                let mu = &inp.means[(i * k + m) * d..(i * k + m + 1) * d];
                for dd in 0..d {
                    let j = if isotropic { m } else { m * d + dd };
                    let sig = s.sigma[j].0;
                    let r = y[dd].f64() - mu[dd].f64();
                    gmu[m * d + dd] = E::of(-g * gam * r / (sig * sig));
                    // Isotropic: the D terms 1/σ_m and the D squared residuals add up in gs[m].
                    gs[j] += g * gam * (1.0 / sig - r * r / (sig * sig * sig));
                }
            }
            let gs = gs.iter().zip(&s.sigma).map(|(v, (_, ds))| E::of(v * ds)).collect();
            (ga, gmu, gs)
        })
        .collect();
    let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
    for (x, y, z) in per {
        a.extend(x);
        b.extend(y);
        c.extend(z);
    }
    (a, b, c)
}
