//! The two-sample Kolmogorov–Smirnov test and the Wasserstein-1 distance between two samples.
//!
//! D = sup_x |F_a(x) − F_b(x)| of the two empirical distribution functions. Its p-value is the
//! asymptotic Kolmogorov distribution with Stephens' small-sample correction (Numerical Recipes
//! §14.3): p = Q(λ), λ = (√n_e + 0.12 + 0.11/√n_e) D, n_e = n_a n_b/(n_a + n_b),
//! Q(λ) = 2 Σ_{j≥1} (−1)^{j−1} e^{−2j²λ²}. It is valid for independent draws: per-map summaries
//! (map means), not the pixels of one map, which are correlated.

use serde::Serialize;

/// The statistic and its p-value.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct KsTest {
    pub d: f64,
    pub p: f64,
}

/// D of two samples (NaNs are not expected; they sort last).
pub fn ks_statistic(a: &[f64], b: &[f64]) -> f64 {
    ks_statistic_sorted(&sorted(a), &sorted(b))
}

/// D of two samples already sorted ascending.
pub fn ks_statistic_sorted(a: &[f64], b: &[f64]) -> f64 {
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut d) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        // Step past every copy of the smaller value in both samples, then compare the ECDFs.
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / na - j as f64 / nb).abs());
    }
    d
}

/// The Kolmogorov survival function Q(λ) = P(sup|B| > λ) for a Brownian bridge B.
pub fn kolmogorov_q(lambda: f64) -> f64 {
    if lambda < 0.2 {
        return 1.0; // the series converges slowly here and its value is 1 to 1e-10
    }
    let (mut sum, mut sign) = (0.0, 1.0);
    for j in 1..=100 {
        let term = sign * (-2.0 * (j * j) as f64 * lambda * lambda).exp();
        sum += term;
        if term.abs() < 1e-16 * sum.abs() {
            break;
        }
        sign = -sign;
    }
    (2.0 * sum).clamp(0.0, 1.0)
}

/// The two-sample test. Empty samples give D = 0, p = 1.
pub fn ks_test(a: &[f64], b: &[f64]) -> KsTest {
    if a.is_empty() || b.is_empty() {
        return KsTest { d: 0.0, p: 1.0 };
    }
    let d = ks_statistic(a, b);
    let ne = (a.len() * b.len()) as f64 / (a.len() + b.len()) as f64;
    let lambda = (ne.sqrt() + 0.12 + 0.11 / ne.sqrt()) * d;
    KsTest {
        d,
        p: kolmogorov_q(lambda),
    }
}

/// W₁ = ∫ |F_a(x) − F_b(x)| dx, the area between the two empirical distribution functions
/// (the mean distance a unit of probability mass must move to turn one sample into the other).
pub fn wasserstein1(a: &[f64], b: &[f64]) -> f64 {
    wasserstein1_sorted(&sorted(a), &sorted(b))
}

/// W₁ of two samples already sorted ascending.
pub fn wasserstein1_sorted(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut w) = (0, 0, 0.0);
    let mut x = a[0].min(b[0]);
    while i < a.len() || j < b.len() {
        let next = match (a.get(i), b.get(j)) {
            (Some(&p), Some(&q)) => p.min(q),
            (Some(&p), None) => p,
            (None, Some(&q)) => q,
            (None, None) => unreachable!(),
        };
        w += (i as f64 / na - j as f64 / nb).abs() * (next - x);
        x = next;
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
    }
    w
}

/// A sorted copy (NaN last).
pub fn sorted(v: &[f64]) -> Vec<f64> {
    let mut s = v.to_vec();
    s.sort_unstable_by(f64::total_cmp);
    s
}
