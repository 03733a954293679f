//! Memorisation: how close each generated map lies to its nearest neighbour in the training
//! set, against how close held-out real maps lie to it.
//!
//! The distance is the RMS pixel difference, minimised over the training maps and over the 8
//! rotations and reflections of the square (the augmentations a model may have trained with);
//! periodic shifts are not searched (a generator that copies a training map shifted by a few
//! pixels would pass). A generated map is a copy when it is closer to the training set than
//! half the 1st percentile of the held-out maps' distances; the set passes when at most 1 % of
//! its maps are copies. Without a separate training set, the real set is the training set and
//! its reference distances are leave-one-out.

use super::ensemble::Verdict;
use super::pdf::quantile;
use crate::backend::cpu::matmul::gemm;
use crate::backend::MatmulDims;
use ndarray::{s, Array2, ArrayView2, ArrayView3, Axis};
use serde::Serialize;

/// The largest fraction of generated maps that may be copies.
pub const MAX_COPY_FRACTION: f64 = 0.01;

/// The k-th of the 8 symmetries of the square: k mod 4 quarter turns, then a reflection if k ≥ 4.
pub fn dihedral(map: ArrayView2<f32>, k: usize) -> Array2<f32> {
    let mut v = map;
    for _ in 0..k % 4 {
        v = v.reversed_axes();
        v.invert_axis(Axis(1));
    }
    if k >= 4 {
        v.invert_axis(Axis(0));
    }
    v.as_standard_layout().into_owned()
}

/// For each query map, the RMS distance to the nearest `train` map under the 8 symmetries.
/// With `leave_one_out` (queries and train the same set), a map is not compared with itself.
pub fn nearest_distances(queries: ArrayView3<f32>, train: ArrayView3<f32>, leave_one_out: bool) -> Vec<f64> {
    let (nq, h, w) = queries.dim();
    let nt = train.len_of(Axis(0));
    let px = h * w;
    let train = train.as_standard_layout();
    let t = train.as_slice().expect("standard layout");
    let t_norm: Vec<f64> = t.chunks(px).map(|m| m.iter().map(|&v| (v as f64) * (v as f64)).sum()).collect();
    let mut best = vec![f64::INFINITY; nq];
    const CHUNK: usize = 64; // query maps per product: 512 rows of 8 symmetries
    for q0 in (0..nq).step_by(CHUNK) {
        let q1 = (q0 + CHUNK).min(nq);
        let rows = (q1 - q0) * 8;
        let mut a = Vec::with_capacity(rows * px);
        for m in queries.slice(s![q0..q1, .., ..]).outer_iter() {
            for k in 0..8 {
                a.extend(dihedral(m, k).iter());
            }
        }
        let a_norm: Vec<f64> = a.chunks(px).map(|m| m.iter().map(|&v| (v as f64) * (v as f64)).sum()).collect();
        let mut dot = vec![0.0f32; rows * nt];
        let dims = MatmulDims {
            m: rows,
            k: px,
            n: nt,
            trans_a: false,
            trans_b: true,
        };
        gemm(&a, t, &mut dot, dims, 0.0, true);
        for r in 0..rows {
            let q = q0 + r / 8;
            for j in 0..nt {
                if leave_one_out && j == q && r % 8 == 0 {
                    continue;
                }
                let d2 = (a_norm[r] + t_norm[j] - 2.0 * dot[r * nt + j] as f64).max(0.0);
                best[q] = best[q].min(d2);
            }
        }
    }
    best.iter().map(|d2| (d2 / px as f64).sqrt()).collect()
}

#[derive(Clone, Debug, Serialize)]
pub struct Memorisation {
    /// What the reference distances are.
    pub reference: String,
    /// Nearest-neighbour distance of each generated map.
    pub generated_nn: Vec<f64>,
    /// Nearest-neighbour distance of each reference (real) map.
    pub reference_nn: Vec<f64>,
    pub copy_threshold: f64,
    pub copies: usize,
    /// median(generated_nn) / median(reference_nn): ≪ 1 if samples crowd around training maps.
    pub median_ratio: f64,
    pub verdict: Verdict,
}

/// The memorisation test. `held_out`: real maps the model did not train on; without them the
/// training set serves, leave-one-out.
pub fn memorisation(generated: ArrayView3<f32>, train: ArrayView3<f32>, held_out: Option<ArrayView3<f32>>) -> Memorisation {
    let generated_nn = nearest_distances(generated, train, false);
    let (reference, reference_nn) = match held_out {
        Some(h) => ("held-out real maps against the training set", nearest_distances(h, train, false)),
        None => (
            "real maps against the other real maps (leave-one-out)",
            nearest_distances(train, train, true),
        ),
    };
    let median = |v: &[f64]| {
        let mut s = v.to_vec();
        s.sort_unstable_by(f64::total_cmp);
        quantile(&s, 0.5)
    };
    let mut sorted_ref = reference_nn.clone();
    sorted_ref.sort_unstable_by(f64::total_cmp);
    let copy_threshold = 0.5 * quantile(&sorted_ref, 0.01);
    let copies = generated_nn.iter().filter(|&&d| d < copy_threshold).count();
    let fraction = copies as f64 / generated_nn.len().max(1) as f64;
    Memorisation {
        reference: reference.to_string(),
        median_ratio: median(&generated_nn) / median(&reference_nn),
        copy_threshold,
        copies,
        verdict: Verdict::at_most(
            fraction,
            MAX_COPY_FRACTION,
            format!(
                "at most {} % of generated maps closer to a training map than half the reference 1st percentile",
                MAX_COPY_FRACTION * 100.0
            ),
        ),
        generated_nn,
        reference_nn,
    }
}
