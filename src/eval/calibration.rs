//! How good and how honest an MDN's posteriors are (science.md §5), per parameter, from the
//! true values and the predicted marginals of held-out maps. Plain f64, no tape.
//!
//! Accuracy: RMSE of the posterior mean, R², mean relative error, and the RMSE of the trivial
//! predictor (the prior mean) beside it. Calibration: the reduced χ² ⟨((θ − θ̄)/σ̄)²⟩ (≈ 1 for
//! honest error bars), the coverage of the central 68.3 % and 95.4 % intervals of the mixture
//! marginal, and the probability integral transform u = F(θ_true), uniform on [0, 1] for a
//! calibrated posterior (KS statistic and p-value). Against the information limit (synthetic
//! data): the efficiency CRB²/MSE and the ratio of the predicted widths to the Cramér–Rao bound,
//! on interior test points, where a prior edge does not truncate the posterior.
//!
//! The maps of one simulation share their parameters, so they are not independent: the error
//! bars come from a bootstrap over simulations, not from √(c(1−c)/N) over maps.

use super::mixture::Marginal;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::Serialize;
use std::collections::BTreeMap;

/// The central probability of the ±1σ and ±2σ intervals of a Gaussian.
pub const P68: f64 = 0.682_689_492_137_085_9;
pub const P95: f64 = 0.954_499_736_103_641_6;

/// Scaled values in this central part of the prior range count as interior points.
pub const INTERIOR: (f64, f64) = (0.1, 0.9);

/// One test map's truth and predicted marginal for one parameter.
#[derive(Clone, Debug)]
pub struct Point {
    /// The simulation the map came from (for the bootstrap).
    pub sim: usize,
    /// The true value in physical units.
    pub truth: f64,
    pub marginal: Marginal,
    /// The Cramér–Rao bound on this parameter at the true parameters, one map, if known.
    pub crb: Option<f64>,
}

/// Summaries of one point, computed once.
struct Summary {
    sim: usize,
    truth: f64,
    mean: f64,
    std: f64,
    pit: f64,
    nll: f64,
    interior: bool,
    crb: Option<f64>,
}

/// Comparison with the Cramér–Rao bound on interior points.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CrbMetrics {
    /// Interior test maps used.
    pub n_interior: usize,
    pub rmse_interior: f64,
    /// √⟨CRB²⟩ over the interior points.
    pub crb_rms: f64,
    /// ⟨CRB²⟩ / MSE: 1 for an estimator at the bound.
    pub efficiency: f64,
    /// RMSE / √⟨CRB²⟩ = 1/√efficiency.
    pub rmse_over_crb: f64,
    /// √⟨σ²⟩ / √⟨CRB²⟩: the predicted error bars against the bound.
    pub sigma_over_crb: f64,
}

/// Every metric of one parameter. Units are physical; `nll` is the marginal's −ln p(θ) in them.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ParamMetrics {
    pub name: String,
    pub n_maps: usize,
    pub n_sims: usize,
    pub rmse: f64,
    /// RMSE of always predicting the prior mean, on the same maps.
    pub prior_rmse: f64,
    /// The prior's standard deviation (range/√12 for a uniform prior).
    pub prior_std: f64,
    pub r2: f64,
    pub mean_rel_err: f64,
    pub chi2_reduced: f64,
    pub coverage_68: f64,
    pub coverage_95: f64,
    pub pit_ks: f64,
    pub pit_ks_p: f64,
    /// PIT histogram, 10 equal bins on [0, 1], as fractions.
    pub pit_hist: Vec<f64>,
    pub nll: f64,
    /// √⟨σ²⟩ of the predicted marginals.
    pub sigma_rms: f64,
    /// Bootstrap standard errors over simulations.
    pub err: BTreeMap<String, f64>,
    pub crb: Option<CrbMetrics>,
}

fn summarise(p: &Point) -> Summary {
    let (mean, std) = p.marginal.moments();
    let y = p.marginal.scale.to_scaled(p.truth);
    Summary {
        sim: p.sim,
        truth: p.truth,
        mean,
        std,
        pit: p.marginal.cdf(p.truth),
        nll: -p.marginal.pdf(p.truth).ln(),
        interior: (INTERIOR.0..=INTERIOR.1).contains(&y),
        crb: p.crb,
    }
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = v.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 {
        f64::NAN
    } else {
        s / n as f64
    }
}

/// Fraction of points inside the central interval of probability c: |u − ½| ≤ c/2.
pub fn coverage(pit: &[f64], c: f64) -> f64 {
    mean(pit.iter().map(|u| ((u - 0.5).abs() <= c / 2.0) as u8 as f64))
}

/// The Kolmogorov–Smirnov statistic of `u` against the uniform distribution on [0, 1] and
/// its asymptotic p-value (with Stephens's small-sample correction).
pub fn ks_uniform(u: &[f64]) -> (f64, f64) {
    let mut s: Vec<f64> = u.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len() as f64;
    let d = s
        .iter()
        .enumerate()
        .map(|(i, &x)| ((i + 1) as f64 / n - x).max(x - i as f64 / n))
        .fold(0.0, f64::max);
    let sn = n.sqrt();
    (d, kolmogorov_q((sn + 0.12 + 0.11 / sn) * d))
}

/// Q(λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}, the Kolmogorov distribution's upper tail.
pub fn kolmogorov_q(lambda: f64) -> f64 {
    if lambda < 0.2 {
        return 1.0; // the series converges slowly here, and Q is 1 to 1e-15
    }
    let mut sum = 0.0;
    for k in 1..=100 {
        let term = (-2.0 * (k * k) as f64 * lambda * lambda).exp();
        sum += if k % 2 == 1 { term } else { -term };
        if term < 1e-17 {
            break;
        }
    }
    (2.0 * sum).clamp(0.0, 1.0)
}

/// The metrics of the point set (no bootstrap).
fn core(sum: &[&Summary], prior_mean: f64) -> BTreeMap<&'static str, f64> {
    let mse = mean(sum.iter().map(|s| (s.mean - s.truth).powi(2)));
    let tbar = mean(sum.iter().map(|s| s.truth));
    let var = mean(sum.iter().map(|s| (s.truth - tbar).powi(2)));
    let pit: Vec<f64> = sum.iter().map(|s| s.pit).collect();
    BTreeMap::from([
        ("rmse", mse.sqrt()),
        ("prior_rmse", mean(sum.iter().map(|s| (prior_mean - s.truth).powi(2))).sqrt()),
        // Undefined when every map has the same truth (a test split of one simulation).
        (
            "r2",
            if var > 1e-12 * (1.0 + tbar * tbar) {
                1.0 - mse / var
            } else {
                f64::NAN
            },
        ),
        ("chi2_reduced", mean(sum.iter().map(|s| ((s.truth - s.mean) / s.std).powi(2)))),
        ("coverage_68", coverage(&pit, P68)),
        ("coverage_95", coverage(&pit, P95)),
        ("nll", mean(sum.iter().map(|s| s.nll))),
    ])
}

/// The metrics of one parameter over a test set. `bootstrap` resamples of the simulations
/// (seeded) give the standard errors in `err`.
pub fn param_metrics(name: &str, points: &[Point], bootstrap: usize, seed: u64) -> ParamMetrics {
    let sum: Vec<Summary> = points.iter().map(summarise).collect();
    let all: Vec<&Summary> = sum.iter().collect();
    let scale = points.first().map(|p| p.marginal.scale);
    let (prior_mean, prior_std) = scale.map_or((f64::NAN, f64::NAN), |s| s.prior_moments());
    let c = core(&all, prior_mean);
    let pit: Vec<f64> = sum.iter().map(|s| s.pit).collect();
    let (pit_ks, pit_ks_p) = ks_uniform(&pit);
    let mut pit_hist = vec![0.0; 10];
    for u in &pit {
        pit_hist[((u * 10.0) as usize).min(9)] += 1.0 / pit.len() as f64;
    }

    // Bootstrap over simulations: draw as many simulations as there are, with replacement.
    let mut by_sim: BTreeMap<usize, Vec<&Summary>> = BTreeMap::new();
    for s in &sum {
        by_sim.entry(s.sim).or_default().push(s);
    }
    let sims: Vec<&Vec<&Summary>> = by_sim.values().collect();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut draws: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    for _ in 0..bootstrap {
        let sample: Vec<&Summary> = (0..sims.len())
            .flat_map(|_| sims[rng.random_range(0..sims.len())].iter().copied())
            .collect();
        for (k, v) in core(&sample, prior_mean) {
            draws.entry(k).or_default().push(v);
        }
    }
    let err = draws
        .into_iter()
        .map(|(k, v)| {
            let m = mean(v.iter().copied());
            (k.to_string(), mean(v.iter().map(|x| (x - m).powi(2))).sqrt())
        })
        .collect();

    let interior: Vec<&Summary> = sum.iter().filter(|s| s.interior).collect();
    let crb = interior.iter().map(|s| s.crb).collect::<Option<Vec<f64>>>().and_then(|crbs| {
        if crbs.is_empty() {
            return None;
        }
        let mse = mean(interior.iter().map(|s| (s.mean - s.truth).powi(2)));
        let crb2 = mean(crbs.iter().map(|c| c * c));
        let sig2 = mean(interior.iter().map(|s| s.std * s.std));
        Some(CrbMetrics {
            n_interior: interior.len(),
            rmse_interior: mse.sqrt(),
            crb_rms: crb2.sqrt(),
            efficiency: crb2 / mse,
            rmse_over_crb: (mse / crb2).sqrt(),
            sigma_over_crb: (sig2 / crb2).sqrt(),
        })
    });

    ParamMetrics {
        name: name.to_string(),
        n_maps: points.len(),
        n_sims: sims.len(),
        rmse: c["rmse"],
        prior_rmse: c["prior_rmse"],
        prior_std,
        r2: c["r2"],
        mean_rel_err: mean(sum.iter().map(|s| ((s.mean - s.truth) / s.truth).abs())),
        chi2_reduced: c["chi2_reduced"],
        coverage_68: c["coverage_68"],
        coverage_95: c["coverage_95"],
        pit_ks,
        pit_ks_p,
        pit_hist,
        nll: c["nll"],
        sigma_rms: mean(sum.iter().map(|s| s.std * s.std)).sqrt(),
        err,
        crb,
    }
}

/// The coverage curve: for each nominal central probability c (0.02, 0.04, …, 0.98), the
/// fraction of PIT values inside the central interval.
pub fn coverage_curve(pit: &[f64]) -> Vec<(f64, f64)> {
    (1..50).map(|i| i as f64 / 50.0).map(|c| (c, coverage(pit, c))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::mixture::{Mixture1d, Scale};
    use crate::eval::normal;
    use rand_distr::{Distribution, Normal};

    #[test]
    fn the_kolmogorov_tail_at_known_points() {
        // Q(λ): 0.2700 at λ = 1, 0.0500 at the 5 % critical value 1.3581, 0.0010 at 1.9495.
        assert!((kolmogorov_q(1.0) - 0.26999967167735456).abs() < 1e-12);
        assert!((kolmogorov_q(1.3581) - 0.05).abs() < 1e-4);
        assert!((kolmogorov_q(1.9495) - 0.001).abs() < 2e-5);
        assert_eq!(kolmogorov_q(0.0), 1.0);
    }

    #[test]
    fn ks_of_an_evenly_spread_sample_is_half_a_step() {
        let u: Vec<f64> = (0..100).map(|i| (i as f64 + 0.5) / 100.0).collect();
        let (d, p) = ks_uniform(&u);
        assert!((d - 0.005).abs() < 1e-15);
        assert!(p > 0.999);
        // Everything at one end: D = 1.
        let (d, p) = ks_uniform(&[0.999; 50]);
        assert!(d > 0.99 && p < 1e-10);
    }

    #[test]
    fn coverage_counts_the_central_interval() {
        let pit = [0.5, 0.2, 0.8, 0.01, 0.99, 0.16, 0.84];
        assert_eq!(coverage(&pit, P68), 5.0 / 7.0); // 0.16 and 0.84 lie just inside ±0.3413
        assert_eq!(coverage(&pit, 0.0), 1.0 / 7.0);
        assert_eq!(coverage(&pit, 1.0), 1.0);
    }

    /// A calibrated Gaussian posterior: truth = estimate + N(0, σ²) and the network says σ. Every
    /// calibration metric must come out nominal, and RMSE = σ.
    #[test]
    fn a_calibrated_gaussian_posterior_has_nominal_metrics() {
        let scale = Scale::Linear { lo: 0.1, hi: 0.5 };
        let sigma_y = 0.05; // scaled units; physical σ = 0.02
        let mut rng = StdRng::seed_from_u64(7);
        let noise = Normal::new(0.0, sigma_y).unwrap();
        let points: Vec<Point> = (0..20000)
            .map(|i| {
                let y_true: f64 = rng.random_range(0.0..1.0);
                let mu = y_true + noise.sample(&mut rng);
                Point {
                    sim: i / 10,
                    truth: scale.to_physical(y_true),
                    marginal: Marginal {
                        mixture: Mixture1d::new(vec![1.0], vec![mu], vec![sigma_y]).unwrap(),
                        scale,
                    },
                    crb: Some(0.02),
                }
            })
            .collect();
        let m = param_metrics("Omega_m", &points, 50, 1);
        assert!((m.rmse - 0.02).abs() < 0.0005, "{m:?}");
        assert!((m.chi2_reduced - 1.0).abs() < 0.03, "{}", m.chi2_reduced);
        assert!((m.coverage_68 - P68).abs() < 0.01 && (m.coverage_95 - P95).abs() < 0.005);
        assert!(m.pit_ks < 0.015 && m.pit_ks_p > 0.01, "{} {}", m.pit_ks, m.pit_ks_p);
        assert!((m.prior_std - 0.4 / 12f64.sqrt()).abs() < 1e-15);
        assert!((m.prior_rmse - m.prior_std).abs() < 0.003);
        assert!((m.r2 - (1.0 - 0.02f64.powi(2) / m.prior_std.powi(2))).abs() < 0.01);
        // NLL of N(0, 0.02²) at a standard-normal draw: ln(0.02 √(2π)) + ½.
        let want_nll = (0.02 * (2.0 * std::f64::consts::PI).sqrt()).ln() + 0.5;
        assert!((m.nll - want_nll).abs() < 0.03, "{} vs {want_nll}", m.nll);
        let crb = m.crb.as_ref().unwrap();
        assert!((crb.efficiency - 1.0).abs() < 0.05 && (crb.sigma_over_crb - 1.0).abs() < 1e-12);
        assert!((crb.n_interior as f64 / 20000.0 - 0.8).abs() < 0.02);
        assert!(m.err["rmse"] > 0.0 && m.err["rmse"] < 0.001);
        assert!((m.pit_hist.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    /// Error bars twice too small: χ² ≈ 4, coverage of the "68 %" interval = P(|z| < ½).
    #[test]
    fn overconfident_error_bars_are_caught() {
        let scale = Scale::Linear { lo: 0.0, hi: 1.0 };
        let mut rng = StdRng::seed_from_u64(3);
        let noise = Normal::new(0.0, 0.1).unwrap();
        let points: Vec<Point> = (0..20000)
            .map(|i| {
                let t: f64 = rng.random_range(0.2..0.8);
                Point {
                    sim: i,
                    truth: t,
                    marginal: Marginal {
                        mixture: Mixture1d::new(vec![1.0], vec![t + noise.sample(&mut rng)], vec![0.05]).unwrap(),
                        scale,
                    },
                    crb: None,
                }
            })
            .collect();
        let m = param_metrics("x", &points, 0, 1);
        assert!((m.chi2_reduced - 4.0).abs() < 0.15, "{}", m.chi2_reduced);
        let want = 1.0 - normal::erfc(0.5 / 2f64.sqrt()); // P(|z| < 0.5) = 0.3829
        assert!((m.coverage_68 - want).abs() < 0.01, "{} vs {want}", m.coverage_68);
        assert!(m.pit_ks_p < 1e-6 && m.crb.is_none() && m.err.is_empty());
    }

    #[test]
    fn the_coverage_curve_of_uniform_pit_is_the_diagonal() {
        let pit: Vec<f64> = (0..1000).map(|i| (i as f64 + 0.5) / 1000.0).collect();
        for (c, got) in coverage_curve(&pit) {
            assert!((got - c).abs() <= 0.0011, "{c}: {got}");
        }
    }
}
