//! Peak counts: the pixels strictly above all 8 neighbours (the grid is periodic, so a map's
//! edges wrap), binned by height ν = (x − μ)/σ, with μ, σ the real set's pixel mean and
//! standard deviation for both sets (so that a generator with the wrong amplitude shows up as
//! peaks at the wrong heights, not hidden by its own σ).

use super::ensemble::{mean_z_scores, BinStats, Verdict};
use ndarray::{ArrayView2, ArrayView3};
use serde::Serialize;

/// The heights of the local maxima of a periodic map, in row-major order of their pixels.
pub fn peak_heights(map: ArrayView2<f64>) -> Vec<f64> {
    let (h, w) = map.dim();
    let mut out = vec![];
    for y in 0..h {
        let (up, down) = ((y + h - 1) % h, (y + 1) % h);
        for x in 0..w {
            let (left, right) = ((x + w - 1) % w, (x + 1) % w);
            let v = map[[y, x]];
            let neighbours = [
                (up, left),
                (up, x),
                (up, right),
                (y, left),
                (y, right),
                (down, left),
                (down, x),
                (down, right),
            ];
            if neighbours.iter().all(|&(j, i)| v > map[[j, i]]) {
                out.push(v);
            }
        }
    }
    out
}

/// How many peaks of each map fall in each height bin. `inner` are the inner edges in units
/// of ν = (x − μ)/σ; the outer bins are open, so every peak is counted.
pub fn peak_counts(maps: ArrayView3<f32>, mu: f64, sigma: f64, inner: &[f64]) -> Vec<Vec<f64>> {
    maps.outer_iter()
        .map(|m| {
            let mut row = vec![0.0; inner.len() + 1];
            for v in peak_heights(m.mapv(f64::from).view()) {
                row[inner.partition_point(|&e| e <= (v - mu) / sigma)] += 1.0;
            }
            row
        })
        .collect()
}

#[derive(Clone, Debug, Serialize)]
pub struct PeakComparison {
    /// Inner bin edges in ν (the outer bins are open).
    pub nu_edges: Vec<f64>,
    /// Peaks per map in each bin.
    pub real: BinStats,
    pub generated: BinStats,
    pub z: Vec<f64>,
    /// Mean number of peaks per map.
    pub real_total: f64,
    pub generated_total: f64,
    pub verdict: Verdict,
}

/// Compares peak counts per map in height bins `inner` (ν units, μ and σ of the real set).
pub fn compare_peaks(generated: ArrayView3<f32>, real: ArrayView3<f32>, mu: f64, sigma: f64, inner: &[f64]) -> PeakComparison {
    let rs = BinStats::from_rows(&peak_counts(real, mu, sigma, inner));
    let gs = BinStats::from_rows(&peak_counts(generated, mu, sigma, inner));
    let z = mean_z_scores(&gs, &rs);
    PeakComparison {
        nu_edges: inner.to_vec(),
        real_total: rs.mean.iter().sum(),
        generated_total: gs.mean.iter().sum(),
        verdict: Verdict::bins(&z, "peak-count bin"),
        real: rs,
        generated: gs,
        z,
    }
}
