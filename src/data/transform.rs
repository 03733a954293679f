//! The map between density and the [−1, 1] range a generative model works in: the contrast
//! transform of Rodriguez et al. (2018), on the overdensity x = 1 + δ ≥ 0,
//!
//!   s(x) = 2x/(x + a) − 1 = (x − a)/(x + a) = tanh(½ ln(x/a)),      x(s) = a (1 + s)/(1 − s).
//!
//! It is a squashed log transform: for the typical pixel it is ½ ln(x/a), linear in the log
//! density (in which a lognormal field is Gaussian), while x = 0 (an empty cell, δ = −1) maps
//! to −1 and the densest peaks approach +1 instead of running off. `a` sets the density that
//! maps to 0; [`ContrastTransform::fit`] takes the median of 1 + δ of the training set, which
//! centres the data. Why this and not a plain log: `notes/ddpm.md`.
//!
//! Values a model produces outside [−1, 1) are clamped before the inverse (s = 1 maps to an
//! infinite density): [`ContrastTransform::inverse_maps`] says how many.

use crate::error::{Error, Result};
use ndarray::{Array3, ArrayView3};
use serde::{Deserialize, Serialize};

/// The largest s the inverse accepts: x(1 − 1e-6) ≈ 2·10⁶ a, far above any real density.
const S_MAX: f64 = 1.0 - 1e-6;

/// s(x) = 2x/(x + a) − 1 on x = 1 + δ, with its inverse.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContrastTransform {
    /// The overdensity that maps to s = 0.
    pub a: f64,
}

impl ContrastTransform {
    /// Checks a > 0.
    pub fn new(a: f64) -> Result<Self> {
        if !(a > 0.0 && a.is_finite()) {
            return Err(Error::invalid(
                "contrast transform",
                format!("a must be positive and finite, got {a}"),
            ));
        }
        Ok(ContrastTransform { a })
    }

    /// a = the median of 1 + δ over the set (of at most ~4M pixels, evenly strided beyond).
    pub fn fit(delta: ArrayView3<f32>) -> Result<Self> {
        let len = delta.len();
        if len == 0 {
            return Err(Error::invalid("contrast transform", "cannot fit a to an empty set"));
        }
        let stride = len.div_ceil(1 << 22);
        let mut x: Vec<f64> = delta.iter().step_by(stride).map(|&d| 1.0 + d as f64).collect();
        let mid = x.len() / 2;
        let (_, median, _) = x.select_nth_unstable_by(mid, f64::total_cmp);
        Self::new(*median).map_err(|_| {
            Error::invalid(
                "contrast transform",
                format!("the median overdensity of the set is {median}: at least half its pixels are empty; give a explicitly"),
            )
        })
    }

    /// s from δ.
    pub fn forward(&self, delta: f64) -> f64 {
        let x = (1.0 + delta).max(0.0);
        (x - self.a) / (x + self.a)
    }

    /// δ from s, with s clamped to [−1, 1 − 10⁻⁶].
    pub fn inverse(&self, s: f64) -> f64 {
        let s = s.clamp(-1.0, S_MAX);
        self.a * (1.0 + s) / (1.0 - s) - 1.0
    }

    /// s of every pixel.
    pub fn forward_maps(&self, delta: ArrayView3<f32>) -> Array3<f32> {
        delta.mapv(|d| self.forward(d as f64) as f32)
    }

    /// δ of every pixel, and how many values lay outside [−1, 1 − 10⁻⁶] (NaN counts as outside
    /// and becomes δ = −1).
    pub fn inverse_maps(&self, s: ArrayView3<f32>) -> (Array3<f32>, usize) {
        let mut outside = 0;
        let out = s.mapv(|v| {
            let v = v as f64;
            if !(-1.0..=S_MAX).contains(&v) {
                outside += 1;
            }
            self.inverse(if v.is_nan() { -1.0 } else { v }) as f32
        });
        (out, outside)
    }
}
