//! The marginal posterior of one parameter under a mixture density network, in plain f64.
//!
//! The network predicts, per map, weights w_m, means μ_m [D] and standard deviations σ_m [D]
//! (one σ per component when isotropic). Because every component is a product of independent
//! Gaussians, the marginal of target d is the 1-D mixture Σ_m w_m N(μ_md, σ_md²) — no
//! integration needed. Targets are learned in scaled units y ∈ [0, 1] (min–max, on ln θ for
//! the log-uniform feedback amplitudes); [`Scale`] maps y to physical units θ. Quantiles and
//! the distribution function pass through the monotone map unchanged in probability, so PIT
//! and coverage are the same in either unit; the mean and standard deviation in physical units
//! are the moments of the transformed mixture (closed forms below, for the log scale the
//! moments of a mixture of log-normals).

use super::normal;
use crate::error::{Error, Result};

/// A 1-D Gaussian mixture Σ_m w_m N(μ_m, σ_m²) with weights that sum to one.
#[derive(Clone, Debug, PartialEq)]
pub struct Mixture1d {
    pub weights: Vec<f64>,
    pub means: Vec<f64>,
    pub sigmas: Vec<f64>,
}

impl Mixture1d {
    /// Checks the shapes, that every σ is positive and finite, and that the weights are a
    /// probability vector (to 1e-6; they are renormalised exactly).
    pub fn new(weights: Vec<f64>, means: Vec<f64>, sigmas: Vec<f64>) -> Result<Self> {
        let k = weights.len();
        if k == 0 || means.len() != k || sigmas.len() != k {
            return Err(Error::invalid(
                "mixture",
                format!("{k} weights, {} means and {} sigmas: need K ≥ 1 of each", means.len(), sigmas.len()),
            ));
        }
        if sigmas.iter().any(|s| !(s.is_finite() && *s > 0.0)) || means.iter().any(|m| !m.is_finite()) {
            return Err(Error::invalid(
                "mixture",
                format!("means must be finite and sigmas positive, got μ {means:?}, σ {sigmas:?}"),
            ));
        }
        let total: f64 = weights.iter().sum();
        if weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) || (total - 1.0).abs() > 1e-6 {
            return Err(Error::invalid(
                "mixture",
                format!("weights {weights:?} are not a probability vector"),
            ));
        }
        let weights = weights.iter().map(|w| w / total).collect();
        Ok(Mixture1d { weights, means, sigmas })
    }
    fn components(&self) -> impl Iterator<Item = (f64, f64, f64)> + '_ {
        (0..self.weights.len()).map(|m| (self.weights[m], self.means[m], self.sigmas[m]))
    }
    pub fn mean(&self) -> f64 {
        self.components().map(|(w, mu, _)| w * mu).sum()
    }
    /// The law of total variance: Σ w (σ² + (μ − mean)²).
    pub fn std(&self) -> f64 {
        let mean = self.mean();
        self.components()
            .map(|(w, mu, s)| w * (s * s + (mu - mean).powi(2)))
            .sum::<f64>()
            .sqrt()
    }
    pub fn pdf(&self, y: f64) -> f64 {
        self.components().map(|(w, mu, s)| w * normal::pdf((y - mu) / s) / s).sum()
    }
    pub fn cdf(&self, y: f64) -> f64 {
        self.components().map(|(w, mu, s)| w * normal::cdf((y - mu) / s)).sum()
    }
    /// The p-quantile (0 < p < 1), by bisection on the distribution function: it is continuous
    /// and increasing, so 200 halvings of a bracket that holds every component's ±40σ reach
    /// f64 resolution.
    pub fn quantile(&self, p: f64) -> f64 {
        let (mut lo, mut hi) = self.components().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, mu, s)| {
            (lo.min(mu - 40.0 * s), hi.max(mu + 40.0 * s))
        });
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if mid <= lo || mid >= hi {
                break;
            }
            if self.cdf(mid) < p {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    }
}

/// How a parameter θ is scaled to the network's target y ∈ [0, 1] over its prior range
/// [lo, hi]: linearly (uniform priors, Ω_m and σ_8), or linearly in ln θ (log-uniform priors,
/// the feedback amplitudes).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Scale {
    Linear { lo: f64, hi: f64 },
    Log { lo: f64, hi: f64 },
}

impl Scale {
    pub fn range(&self) -> (f64, f64) {
        match *self {
            Scale::Linear { lo, hi } | Scale::Log { lo, hi } => (lo, hi),
        }
    }
    /// θ → y.
    pub fn to_scaled(&self, theta: f64) -> f64 {
        match *self {
            Scale::Linear { lo, hi } => (theta - lo) / (hi - lo),
            Scale::Log { lo, hi } => (theta / lo).ln() / (hi / lo).ln(),
        }
    }
    /// y → θ.
    pub fn to_physical(&self, y: f64) -> f64 {
        match *self {
            Scale::Linear { lo, hi } => lo + (hi - lo) * y,
            Scale::Log { lo, hi } => lo * ((hi / lo).ln() * y).exp(),
        }
    }
    /// dθ/dy at y.
    pub fn jacobian(&self, y: f64) -> f64 {
        match *self {
            Scale::Linear { lo, hi } => hi - lo,
            Scale::Log { lo, hi } => (hi / lo).ln() * self.to_physical(y),
        }
    }
    /// The mean and standard deviation of θ under the prior (uniform in y on [0, 1]).
    pub fn prior_moments(&self) -> (f64, f64) {
        match *self {
            Scale::Linear { lo, hi } => (0.5 * (lo + hi), (hi - lo) / 12f64.sqrt()),
            Scale::Log { lo, hi } => {
                // θ log-uniform: E θ = (hi − lo)/ln(hi/lo), E θ² = (hi² − lo²)/(2 ln(hi/lo)).
                let l = (hi / lo).ln();
                let m1 = (hi - lo) / l;
                let m2 = (hi * hi - lo * lo) / (2.0 * l);
                (m1, (m2 - m1 * m1).sqrt())
            }
        }
    }
}

/// One parameter's marginal posterior in physical units: a scaled-unit mixture and its scale.
#[derive(Clone, Debug, PartialEq)]
pub struct Marginal {
    pub mixture: Mixture1d,
    pub scale: Scale,
}

impl Marginal {
    /// The mean and standard deviation of θ. Linear scale: the mixture's, stretched. Log
    /// scale, θ = exp(a + b y): component m is log-normal with E θ = exp(a + bμ + b²σ²/2) = e_m
    /// and Var θ = e_m² (exp(b²σ²) − 1); the mixture's variance is Σ w (Var_m + (e_m − mean)²).
    pub fn moments(&self) -> (f64, f64) {
        let mix = &self.mixture;
        match self.scale {
            Scale::Linear { lo, hi } => (lo + (hi - lo) * mix.mean(), (hi - lo) * mix.std()),
            Scale::Log { lo, hi } => {
                let (a, b) = (lo.ln(), (hi / lo).ln());
                let comp: Vec<(f64, f64, f64)> = mix
                    .components()
                    .map(|(w, mu, s)| {
                        let bs2 = (b * s).powi(2);
                        let e = (a + b * mu + 0.5 * bs2).exp();
                        (w, e, e * e * bs2.exp_m1())
                    })
                    .collect();
                let mean: f64 = comp.iter().map(|(w, e, _)| w * e).sum();
                let var: f64 = comp.iter().map(|(w, e, v)| w * (v + (e - mean).powi(2))).sum();
                (mean, var.sqrt())
            }
        }
    }
    pub fn cdf(&self, theta: f64) -> f64 {
        self.mixture.cdf(self.scale.to_scaled(theta))
    }
    /// The density of θ: the mixture's density in y divided by dθ/dy.
    pub fn pdf(&self, theta: f64) -> f64 {
        let y = self.scale.to_scaled(theta);
        self.mixture.pdf(y) / self.scale.jacobian(y)
    }
    pub fn quantile(&self, p: f64) -> f64 {
        self.scale.to_physical(self.mixture.quantile(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn single(mu: f64, s: f64) -> Mixture1d {
        Mixture1d::new(vec![1.0], vec![mu], vec![s]).unwrap()
    }

    #[test]
    fn one_component_has_the_gaussian_quantiles() {
        let m = single(0.3, 0.05);
        // Φ(±1) = 0.158655…, 0.841345…; Φ(2) = 0.977250…
        for (p, z) in [
            (0.15865525393145707, -1.0),
            (0.8413447460685429, 1.0),
            (0.9772498680518208, 2.0),
            (0.5, 0.0),
        ] {
            let q = m.quantile(p);
            assert!((q - (0.3 + 0.05 * z)).abs() < 1e-12, "p {p}: {q}");
            assert!((m.cdf(q) - p).abs() < 1e-14);
        }
        assert!((m.mean() - 0.3).abs() < 1e-15 && (m.std() - 0.05).abs() < 1e-15);
    }

    #[test]
    fn a_symmetric_two_component_mixture() {
        // ½N(−1, 0.5²) + ½N(1, 0.5²): mean 0, variance 0.25 + 1, median 0, and
        // F(1) = ½Φ(4) + ½Φ(0) in closed form.
        let m = Mixture1d::new(vec![0.5, 0.5], vec![-1.0, 1.0], vec![0.5, 0.5]).unwrap();
        assert!(m.mean().abs() < 1e-15);
        assert!((m.std() - 1.25f64.sqrt()).abs() < 1e-15);
        assert!(m.quantile(0.5).abs() < 1e-12);
        let want = 0.5 * 0.9999683287581669 + 0.25;
        assert!((m.cdf(1.0) - want).abs() < 1e-14);
        assert!((m.quantile(want) - 1.0).abs() < 1e-10);
        // The density integrates to one (trapezoid on a fine grid).
        let h = 1e-3;
        let integral: f64 = (-6000..=6000).map(|i| m.pdf(i as f64 * h) * h).sum();
        assert!((integral - 1.0).abs() < 1e-9, "{integral}");
    }

    #[test]
    fn bad_mixtures_are_errors() {
        assert!(Mixture1d::new(vec![], vec![], vec![]).is_err());
        assert!(Mixture1d::new(vec![1.0], vec![0.0], vec![0.0]).is_err());
        assert!(Mixture1d::new(vec![0.5, 0.4], vec![0.0, 1.0], vec![1.0, 1.0]).is_err());
        assert!(Mixture1d::new(vec![1.0], vec![f64::NAN], vec![1.0]).is_err());
    }

    #[test]
    fn scales_round_trip_and_give_the_prior_moments() {
        let lin = Scale::Linear { lo: 0.1, hi: 0.5 };
        let log = Scale::Log { lo: 0.25, hi: 4.0 };
        for s in [lin, log] {
            let (lo, hi) = s.range();
            assert!((s.to_physical(0.0) - lo).abs() < 1e-15 && (s.to_physical(1.0) - hi).abs() < 1e-14);
            assert!((s.to_scaled(s.to_physical(0.37)) - 0.37).abs() < 1e-15);
        }
        assert_eq!(log.to_physical(0.5), 1.0);
        let (m, sd) = lin.prior_moments();
        assert!((m - 0.3).abs() < 1e-15 && (sd - 0.4 / 12f64.sqrt()).abs() < 1e-15);
        // Log-uniform on [1/4, 4]: mean 3.75/ln 16, E θ² = 15.9375/(2 ln 16).
        let (m, sd) = log.prior_moments();
        let l = 16f64.ln();
        assert!((m - 3.75 / l).abs() < 1e-14);
        assert!((sd - (15.9375 / (2.0 * l) - (3.75 / l).powi(2)).sqrt()).abs() < 1e-14);
    }

    #[test]
    fn log_scale_moments_are_those_of_a_log_normal() {
        // y ~ N(μ, σ²), θ = lo (hi/lo)^y = exp(a + b y): log-normal with parameters a + bμ, bσ.
        let (lo, hi) = (0.5, 2.0);
        let (mu, s) = (0.4, 0.1);
        let m = Marginal {
            mixture: single(mu, s),
            scale: Scale::Log { lo, hi },
        };
        let (a, b) = (lo.ln(), (hi / lo).ln());
        let (ml, sl) = (a + b * mu, b * s);
        let mean = (ml + sl * sl / 2.0).exp();
        let sd = ((sl * sl).exp_m1() * (2.0 * ml + sl * sl).exp()).sqrt();
        let (gm, gs) = m.moments();
        assert!((gm - mean).abs() < 1e-14 && (gs - sd).abs() < 1e-14, "{gm} {gs} vs {mean} {sd}");
        // Log-normal median exp(ml); density at θ: exp(−(ln θ − ml)²/(2 sl²)) / (θ sl √(2π)).
        assert!((m.quantile(0.5) - ml.exp()).abs() < 1e-12);
        let t: f64 = 1.1;
        let want = (-(t.ln() - ml).powi(2) / (2.0 * sl * sl)).exp() / (t * sl * (2.0 * PI).sqrt());
        assert!((m.pdf(t) - want).abs() < 1e-12 * want);
    }

    #[test]
    fn mixture_moments_in_physical_units_match_numerical_integration() {
        let mix = Mixture1d::new(vec![0.3, 0.7], vec![0.2, 0.6], vec![0.05, 0.1]).unwrap();
        for scale in [Scale::Linear { lo: 0.6, hi: 1.0 }, Scale::Log { lo: 0.25, hi: 4.0 }] {
            let m = Marginal {
                mixture: mix.clone(),
                scale,
            };
            // ∫ θ p(θ) dθ = ∫ θ(y) p(y) dy on a fine grid in y.
            let h = 1e-4;
            let (mut m1, mut m2) = (0.0, 0.0);
            for i in -20000..=30000 {
                let y = i as f64 * h;
                let (t, p) = (scale.to_physical(y), mix.pdf(y) * h);
                m1 += t * p;
                m2 += t * t * p;
            }
            let (gm, gs) = m.moments();
            assert!((gm - m1).abs() < 1e-9 * m1, "{scale:?}: {gm} vs {m1}");
            assert!((gs - (m2 - m1 * m1).sqrt()).abs() < 1e-8 * gs, "{scale:?}");
        }
    }
}
