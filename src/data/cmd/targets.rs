//! Regression targets: a chosen subset of the six parameters, min–max scaled to [0, 1] with
//! the CMD prior ranges (the A's optionally in ln A, where their prior is uniform).

use crate::data::params::{self, NAMES, N_PARAMS, RANGES};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Targets {
    /// Parameter indices (order of the CMD files), in the order of the network's outputs.
    pub indices: Vec<usize>,
    /// Scale the A's in ln A.
    pub log_a: bool,
}

impl Targets {
    /// From a comma-separated list of names (`Omega_m,sigma_8`; `all` for the six).
    pub fn parse(list: &str, log_a: bool) -> Result<Self> {
        let indices = if list.trim().eq_ignore_ascii_case("all") {
            (0..N_PARAMS).collect()
        } else {
            list.split(',')
                .filter(|s| !s.trim().is_empty())
                .map(params::index_of)
                .collect::<Result<Vec<_>>>()?
        };
        if indices.is_empty() {
            return Err(Error::Other(format!(
                "no targets given; choose from {} (or `all`)",
                NAMES.join(",")
            )));
        }
        if let Some((_, &dup)) = indices.iter().enumerate().find(|(i, v)| indices[..*i].contains(v)) {
            return Err(Error::Other(format!("target `{}` is listed twice", NAMES[dup])));
        }
        Ok(Targets { indices, log_a })
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.indices.iter().map(|&i| NAMES[i]).collect()
    }

    pub fn len(&self) -> usize {
        self.indices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    fn coordinate(&self, i: usize, v: f64) -> f64 {
        if self.log_a && params::LOG_UNIFORM[i] {
            v.ln()
        } else {
            v
        }
    }

    fn bounds(&self, i: usize) -> (f64, f64) {
        (self.coordinate(i, RANGES[i].0), self.coordinate(i, RANGES[i].1))
    }

    /// The scaled targets of a parameter row: (u − lo)/(hi − lo), u = θ or ln θ.
    pub fn scale(&self, theta: &[f64; N_PARAMS]) -> Vec<f64> {
        self.indices
            .iter()
            .map(|&i| {
                let (lo, hi) = self.bounds(i);
                (self.coordinate(i, theta[i]) - lo) / (hi - lo)
            })
            .collect()
    }

    /// Physical value of output j from its scaled value.
    pub fn unscale(&self, j: usize, s: f64) -> f64 {
        let i = self.indices[j];
        let (lo, hi) = self.bounds(i);
        let u = lo + s * (hi - lo);
        if self.log_a && params::LOG_UNIFORM[i] {
            u.exp()
        } else {
            u
        }
    }

    /// d(physical)/d(scaled) of output j at scaled value s: converts a standard deviation in
    /// scaled units into physical units (to first order).
    pub fn unscale_slope(&self, j: usize, s: f64) -> f64 {
        let i = self.indices[j];
        let (lo, hi) = self.bounds(i);
        if self.log_a && params::LOG_UNIFORM[i] {
            (hi - lo) * self.unscale(j, s)
        } else {
            hi - lo
        }
    }
}
