//! The mean and the variance of each map, and whether two sets share their distributions
//! (two-sample KS on independent maps, so the p-value means what it says). The source
//! report's DDPM produced maps of the wrong mean: this is the statistic that catches it.

use super::ensemble::Verdict;
use super::ks::{ks_test, KsTest};
use ndarray::ArrayView3;
use serde::Serialize;

/// The KS p-value below which two sets of per-map values are judged different.
pub const KS_P_MIN: f64 = 0.01;

/// Per-map mean and variance of every map.
pub fn map_moments(maps: ArrayView3<f32>) -> (Vec<f64>, Vec<f64>) {
    maps.outer_iter()
        .map(|m| {
            let n = m.len() as f64;
            let mean = m.iter().map(|&v| v as f64).sum::<f64>() / n;
            let var = m.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
            (mean, var)
        })
        .unzip()
}

/// One per-map quantity in both sets.
#[derive(Clone, Debug, Serialize)]
pub struct MomentComparison {
    /// Mean and standard deviation over the maps of each set.
    pub real_mean: f64,
    pub real_sd: f64,
    pub generated_mean: f64,
    pub generated_sd: f64,
    pub ks: KsTest,
    pub verdict: Verdict,
}

fn describe(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let sd = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt();
    (m, sd)
}

/// Compares one per-map quantity (`what` names it in the verdict).
pub fn compare_values(generated: &[f64], real: &[f64], what: &str) -> MomentComparison {
    let ((rm, rsd), (gm, gsd)) = (describe(real), describe(generated));
    let ks = ks_test(generated, real);
    MomentComparison {
        real_mean: rm,
        real_sd: rsd,
        generated_mean: gm,
        generated_sd: gsd,
        ks,
        verdict: Verdict::above(ks.p, KS_P_MIN, format!("two-sample KS of the {what}: p > {KS_P_MIN}")),
    }
}
