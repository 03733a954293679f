//! The three Minkowski functionals of the excursion set {x > t} of a periodic map, per unit
//! area (lengths and areas in pixels):
//!
//! - V0, the area fraction: the fraction of pixels above t;
//! - V1 = boundary length / (4 area): the contour x = t traced by marching squares, pixel
//!   centres as the corners of the cells and the crossing on each cell edge placed by linear
//!   interpolation;
//! - V2 = Euler characteristic / area (components minus holes): counted from the 2×2 blocks
//!   of pixels (Gray's bit quads), +¼ for a block with one pixel above t, −¼ for three, and
//!   for the two diagonal patterns ∓½ as the block's centre value (the mean of its four
//!   pixels, the bilinear interpolant) is above or below t — the same choice marching squares
//!   makes in those cells, so V1 and V2 describe one and the same excursion set.
//!
//! For a Gaussian field of variance σ_0² and gradient variance σ_1² = ⟨|∇x|²⟩ these tend to
//! (science.md §6, ν = t/σ_0): V0 = ½ erfc(ν/√2), V1 = (σ_1/(8√2 σ_0)) e^{−ν²/2},
//! V2 = (2π)^{−3/2} (σ_1²/(2σ_0²)) ν e^{−ν²/2}; the tests hold the estimators to these.

use super::ensemble::{mean_z_scores, BinStats, Verdict};
use ndarray::{ArrayView2, ArrayView3, Axis};
use rayon::prelude::*;
use serde::Serialize;

/// V0, V1, V2 at each threshold.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Minkowski {
    pub v0: Vec<f64>,
    pub v1: Vec<f64>,
    pub v2: Vec<f64>,
}

/// The corners of a marching-squares cell, counter-clockwise from (0, 0): the pixel and its
/// right, upper-right and upper neighbours. Edge i joins corner i to corner i + 1.
const CORNERS: [(f64, f64); 4] = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)];

/// Where the contour crosses edge i (whose two corners lie on either side of t).
fn crossing(v: &[f64; 4], i: usize, t: f64) -> (f64, f64) {
    let j = (i + 1) % 4;
    let s = (t - v[i]) / (v[j] - v[i]);
    let (p, q) = (CORNERS[i], CORNERS[j]);
    (p.0 + s * (q.0 - p.0), p.1 + s * (q.1 - p.1))
}

fn distance(a: (f64, f64), b: (f64, f64)) -> f64 {
    (a.0 - b.0).hypot(a.1 - b.1)
}

/// The contour length and the Euler-characteristic contribution of one cell.
fn cell(v: &[f64; 4], t: f64) -> (f64, f64) {
    let above = v.map(|x| x > t);
    let count = above.iter().filter(|&&a| a).count();
    let (mut crossings, mut n) = ([0usize; 4], 0);
    for i in 0..4 {
        if above[i] != above[(i + 1) % 4] {
            crossings[n] = i;
            n += 1;
        }
    }
    match n {
        0 => (0.0, 0.0),
        2 => {
            let len = distance(crossing(v, crossings[0], t), crossing(v, crossings[1], t));
            let euler = match count {
                1 => 0.25,
                3 => -0.25,
                _ => 0.0,
            };
            (len, euler)
        }
        _ => {
            // A saddle: corners 0, 2 on one side, 1, 3 on the other. If the centre is above t
            // the upper corners connect through it and the contour cuts off each lower corner;
            // otherwise it cuts off each upper corner. Corner c touches edges c − 1 and c.
            let connected = v.iter().sum::<f64>() / 4.0 > t;
            let len = (0..4)
                .filter(|&c| above[c] != connected)
                .map(|c| distance(crossing(v, (c + 3) % 4, t), crossing(v, c, t)))
                .sum();
            (len, if connected { -0.5 } else { 0.5 })
        }
    }
}

/// The functionals of one periodic map at each threshold (in the map's units).
pub fn minkowski_functionals(map: ArrayView2<f64>, thresholds: &[f64]) -> Minkowski {
    let (h, w) = map.dim();
    let area = (h * w) as f64;
    let mut out = Minkowski {
        v0: vec![0.0; thresholds.len()],
        v1: vec![0.0; thresholds.len()],
        v2: vec![0.0; thresholds.len()],
    };
    for (k, &t) in thresholds.iter().enumerate() {
        let (mut above, mut length, mut euler) = (0usize, 0.0, 0.0);
        for y in 0..h {
            let y1 = (y + 1) % h;
            for x in 0..w {
                let x1 = (x + 1) % w;
                let v = [map[[y, x]], map[[y, x1]], map[[y1, x1]], map[[y1, x]]];
                above += (v[0] > t) as usize;
                let (l, e) = cell(&v, t);
                length += l;
                euler += e;
            }
        }
        out.v0[k] = above as f64 / area;
        out.v1[k] = length / (4.0 * area);
        out.v2[k] = euler / area;
    }
    out
}

/// Per map, V0, V1 and V2 at thresholds μ + ν σ, concatenated into one row (V0 at every ν,
/// then V1, then V2).
pub fn minkowski_rows(maps: ArrayView3<f32>, mu: f64, sigma: f64, nu: &[f64]) -> Vec<Vec<f64>> {
    let thresholds: Vec<f64> = nu.iter().map(|v| mu + v * sigma).collect();
    (0..maps.len_of(Axis(0)))
        .into_par_iter()
        .map(|i| maps.index_axis(Axis(0), i))
        .map(|m| {
            let f = minkowski_functionals(m.mapv(f64::from).view(), &thresholds);
            [f.v0, f.v1, f.v2].concat()
        })
        .collect()
}

#[derive(Clone, Debug, Serialize)]
pub struct MinkowskiComparison {
    /// Thresholds in units of the real set's σ about its mean.
    pub nu: Vec<f64>,
    /// Rows: V0 at every ν, then V1, then V2 (each a mean over maps with its scatter).
    pub real: BinStats,
    pub generated: BinStats,
    pub z: Vec<f64>,
    /// The largest |difference| of each functional over ν, as a fraction of the real set's
    /// largest |V_i| (the measure the tests use against theory).
    pub max_deviation: [f64; 3],
    pub verdict: Verdict,
}

/// Compares V0, V1, V2 at thresholds μ + ν σ (μ, σ of the real set).
pub fn compare_minkowski(generated: ArrayView3<f32>, real: ArrayView3<f32>, mu: f64, sigma: f64, nu: &[f64]) -> MinkowskiComparison {
    let rs = BinStats::from_rows(&minkowski_rows(real, mu, sigma, nu));
    let gs = BinStats::from_rows(&minkowski_rows(generated, mu, sigma, nu));
    let z = mean_z_scores(&gs, &rs);
    let n = nu.len();
    let max_deviation = [0, 1, 2].map(|f| {
        let range = f * n..(f + 1) * n;
        let scale = rs.mean[range.clone()].iter().fold(0.0f64, |a, v| a.max(v.abs()));
        let dev = range.map(|i| (gs.mean[i] - rs.mean[i]).abs()).fold(0.0, f64::max);
        if scale > 0.0 {
            dev / scale
        } else {
            dev
        }
    });
    MinkowskiComparison {
        nu: nu.to_vec(),
        verdict: Verdict::bins(&z, "Minkowski functional at every threshold"),
        real: rs,
        generated: gs,
        z,
        max_deviation,
    }
}
