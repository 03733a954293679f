//! The one-point (pixel) PDF of two sets on shared bins, with distances between them.
//!
//! Bins: the real set's pixel quantiles j/B (j = 1 … B−1) as inner edges, so each bin holds
//! 1/B of the real pixels and every bin is equally well measured, from the voids to the
//! densest peaks; the outer bins are open. Each map's fraction of pixels per bin is a row of
//! [`BinStats`], and bins are compared with their map-to-map errors (pixels of one map are
//! correlated, so a χ² on pixel counts would overstate the evidence by orders of magnitude).
//! The tails are compared the same way, as the fraction of pixels beyond the real set's
//! 0.1 %, 1 %, 99 % and 99.9 % quantiles. KS D and Wasserstein-1 on the pooled pixels are
//! reported as distances (no p-value: pixels are not independent).

use super::ensemble::{max_abs, mean_z_scores, z_score, BinStats, Verdict, Z_MAX};
use super::ks::{ks_statistic_sorted, sorted, wasserstein1_sorted};
use ndarray::ArrayView3;
use serde::Serialize;

/// The quantiles of the real set whose tails are compared.
pub const TAIL_QUANTILES: [f64; 4] = [0.001, 0.01, 0.99, 0.999];

/// The fraction of pixels beyond one quantile of the real set.
#[derive(Clone, Debug, Serialize)]
pub struct Tail {
    /// The real set's quantile (below it for q < ½, above it otherwise).
    pub quantile: f64,
    pub threshold: f64,
    pub real: f64,
    pub generated: f64,
    pub z: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct PdfComparison {
    /// B + 1 edges; the outer two are the pooled minimum and maximum (for drawing: the outer
    /// bins are open).
    pub edges: Vec<f64>,
    /// Per map, the fraction of its pixels in each bin.
    pub real: BinStats,
    pub generated: BinStats,
    pub z: Vec<f64>,
    /// Σ z² / B over the bins (≈ 1 for consistent sets, correlations between bins aside).
    pub chi2_per_bin: f64,
    /// KS distance of the pooled pixels.
    pub ks_d: f64,
    /// Wasserstein-1 of the pooled pixels, in the data's units and in units of σ_real.
    pub wasserstein1: f64,
    pub wasserstein1_sigma: f64,
    pub tails: Vec<Tail>,
    pub verdict: Verdict,
}

/// The pixels of a set, sorted.
fn pooled(maps: ArrayView3<f32>) -> Vec<f64> {
    sorted(&maps.iter().map(|&v| v as f64).collect::<Vec<_>>())
}

/// The q-quantile of sorted values (the order statistic at ⌊q (n − 1)⌋).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[((q * (sorted.len() - 1) as f64).floor() as usize).min(sorted.len() - 1)]
}

/// Compares the pixel PDFs with `bins` equal-count bins of the real set (both sets non-empty).
pub fn compare_pdfs(generated: ArrayView3<f32>, real: ArrayView3<f32>, bins: usize) -> PdfComparison {
    let bins = bins.max(2);
    let (g_all, r_all) = (pooled(generated), pooled(real));
    let mut inner: Vec<f64> = (1..bins).map(|j| quantile(&r_all, j as f64 / bins as f64)).collect();
    inner.dedup(); // ties (e.g. many empty cells at δ = −1) would leave empty bins
    let nb = inner.len() + 1;
    let rows = |maps: ArrayView3<f32>| -> Vec<Vec<f64>> {
        maps.outer_iter()
            .map(|m| {
                let mut row = vec![0.0; nb];
                let w = 1.0 / m.len() as f64;
                for &v in m.iter() {
                    row[inner.partition_point(|&e| e <= v as f64)] += w;
                }
                row
            })
            .collect()
    };
    let (rs, gs) = (BinStats::from_rows(&rows(real)), BinStats::from_rows(&rows(generated)));
    let z = mean_z_scores(&gs, &rs);
    let tails: Vec<Tail> = TAIL_QUANTILES
        .iter()
        .map(|&q| {
            let t = quantile(&r_all, q);
            let beyond = |maps: ArrayView3<f32>| -> BinStats {
                let rows: Vec<Vec<f64>> = maps
                    .outer_iter()
                    .map(|m| {
                        let c = m.iter().filter(|&&v| if q < 0.5 { (v as f64) < t } else { v as f64 > t }).count();
                        vec![c as f64 / m.len() as f64]
                    })
                    .collect();
                BinStats::from_rows(&rows)
            };
            let (r, g) = (beyond(real), beyond(generated));
            Tail {
                quantile: q,
                threshold: t,
                real: r.mean[0],
                generated: g.mean[0],
                z: z_score(g.mean[0], g.se(0), r.mean[0], r.se(0)),
            }
        })
        .collect();
    let mut all_z = z.clone();
    all_z.extend(tails.iter().map(|t| t.z));
    let sigma = {
        let n = r_all.len() as f64;
        let m = r_all.iter().sum::<f64>() / n;
        (r_all.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n).sqrt()
    };
    let w1 = wasserstein1_sorted(&g_all, &r_all);
    let mut edges = vec![g_all[0].min(r_all[0])];
    edges.extend(&inner);
    edges.push(g_all[g_all.len() - 1].max(r_all[r_all.len() - 1]));
    PdfComparison {
        edges,
        chi2_per_bin: z.iter().map(|v| v * v).sum::<f64>() / nb as f64,
        real: rs,
        generated: gs,
        z,
        ks_d: ks_statistic_sorted(&g_all, &r_all),
        wasserstein1: w1,
        wasserstein1_sigma: w1 / sigma,
        tails,
        verdict: Verdict::at_most(
            max_abs(&all_z),
            Z_MAX,
            format!("every PDF bin and tail fraction within {Z_MAX} standard errors (largest |z|)"),
        ),
    }
}
