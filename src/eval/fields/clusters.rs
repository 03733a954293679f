//! Cluster counts: the connected components of the thresholded map {x > t}, two pixels
//! connected when they touch by a side or a corner (8-connectivity) across the periodic edges
//! too. This is the source report's graph analysis (every pixel a node linked to its
//! neighbours, links cut below a threshold), made a number per threshold. At high thresholds
//! the components are isolated blobs without holes, so their density approaches the Euler
//! characteristic density V2 (science.md §6), which the tests check against the Gaussian formula.

use super::ensemble::{mean_z_scores, BinStats, Verdict};
use ndarray::{ArrayView2, ArrayView3, Axis};
use rayon::prelude::*;
use serde::Serialize;

/// Union–find with path halving and union by size.
struct Components {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl Components {
    fn new(n: usize) -> Self {
        Components {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
        }
    }
    fn root(&mut self, mut i: u32) -> u32 {
        while self.parent[i as usize] != i {
            let grand = self.parent[self.parent[i as usize] as usize];
            self.parent[i as usize] = grand;
            i = grand;
        }
        i
    }
    fn join(&mut self, a: u32, b: u32) {
        let (mut a, mut b) = (self.root(a), self.root(b));
        if a == b {
            return;
        }
        if self.size[a as usize] < self.size[b as usize] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b as usize] = a;
        self.size[a as usize] += self.size[b as usize];
    }
}

/// The number of clusters of {x > t} at each threshold, and their mean size in pixels
/// (0 where there are none).
pub fn cluster_counts(map: ArrayView2<f64>, thresholds: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let (h, w) = map.dim();
    let idx = |y: usize, x: usize| (y * w + x) as u32;
    let (mut counts, mut sizes) = (vec![], vec![]);
    for &t in thresholds {
        let mut c = Components::new(h * w);
        let mut above = 0usize;
        for y in 0..h {
            let up = (y + h - 1) % h;
            for x in 0..w {
                if map[[y, x]] <= t {
                    continue;
                }
                above += 1;
                // Each neighbouring pair is visited once, from the later pixel of the pair:
                // left, and the three above (wrapping at the edges).
                let (left, right) = ((x + w - 1) % w, (x + 1) % w);
                for (j, i) in [(y, left), (up, left), (up, x), (up, right)] {
                    if map[[j, i]] > t {
                        c.join(idx(y, x), idx(j, i));
                    }
                }
            }
        }
        let mut roots = 0usize;
        for y in 0..h {
            for x in 0..w {
                if map[[y, x]] > t && c.root(idx(y, x)) == idx(y, x) {
                    roots += 1;
                }
            }
        }
        counts.push(roots as f64);
        sizes.push(if roots > 0 { above as f64 / roots as f64 } else { 0.0 });
    }
    (counts, sizes)
}

#[derive(Clone, Debug, Serialize)]
pub struct ClusterComparison {
    /// Thresholds in units of the real set's σ about its mean.
    pub nu: Vec<f64>,
    /// Clusters per map at each threshold.
    pub real: BinStats,
    pub generated: BinStats,
    pub z: Vec<f64>,
    /// Mean cluster size in pixels at each threshold (mean over maps).
    pub real_mean_size: Vec<f64>,
    pub generated_mean_size: Vec<f64>,
    pub verdict: Verdict,
}

fn rows(maps: ArrayView3<f32>, thresholds: &[f64]) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    (0..maps.len_of(Axis(0)))
        .into_par_iter()
        .map(|i| maps.index_axis(Axis(0), i))
        .map(|m| cluster_counts(m.mapv(f64::from).view(), thresholds))
        .unzip()
}

/// Compares cluster counts per map at thresholds μ + ν σ (μ, σ of the real set).
pub fn compare_clusters(generated: ArrayView3<f32>, real: ArrayView3<f32>, mu: f64, sigma: f64, nu: &[f64]) -> ClusterComparison {
    let thresholds: Vec<f64> = nu.iter().map(|v| mu + v * sigma).collect();
    let (rc, rsz) = rows(real, &thresholds);
    let (gc, gsz) = rows(generated, &thresholds);
    let (rs, gs) = (BinStats::from_rows(&rc), BinStats::from_rows(&gc));
    let z = mean_z_scores(&gs, &rs);
    ClusterComparison {
        nu: nu.to_vec(),
        verdict: Verdict::bins(&z, "cluster count at every threshold"),
        real: rs,
        generated: gs,
        z,
        real_mean_size: BinStats::from_rows(&rsz).mean,
        generated_mean_size: BinStats::from_rows(&gsz).mean,
    }
}
