//! The six CAMELS parameters: names, prior ranges, scaling, parsing, and the designs of the
//! simulation sets (Latin hypercube, cosmic variance, one parameter at a time).
//!
//! Order and names are those of the CMD parameter files (science.md §3): Ω_m, σ_8, A_SN1,
//! A_AGN1, A_SN2, A_AGN2. The A's are sampled log-uniformly, so their natural coordinate is
//! ln A (the Fisher matrix and the optional target scaling use it).

use crate::data::grf::substream;
use crate::error::{Error, Result};
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};

/// How many parameters a CMD simulation has.
pub const N_PARAMS: usize = 6;

/// Names as in the Fisher JSON and the prediction CSVs.
pub const NAMES: [&str; N_PARAMS] = ["Omega_m", "sigma_8", "A_SN1", "A_AGN1", "A_SN2", "A_AGN2"];

/// The LH prior ranges of CAMELS (science.md §3).
pub const RANGES: [(f64, f64); N_PARAMS] = [(0.1, 0.5), (0.6, 1.0), (0.25, 4.0), (0.25, 4.0), (0.5, 2.0), (0.5, 2.0)];

/// Whether a parameter is sampled log-uniformly (the four feedback amplitudes).
pub const LOG_UNIFORM: [bool; N_PARAMS] = [false, false, true, true, true, true];

/// The fiducial point: (Ω_m, σ_8) = (0.3, 0.8), every A = 1.
pub const FIDUCIAL: [f64; N_PARAMS] = [0.3, 0.8, 1.0, 1.0, 1.0, 1.0];

/// Maps per simulation in the CMD (3 axes × 5 slabs).
pub const MAPS_PER_SIM: usize = 15;

/// The index of a parameter by name (case-insensitive; `Om`, `s8` accepted), or an error
/// listing the names.
pub fn index_of(name: &str) -> Result<usize> {
    let n = name.trim().to_ascii_lowercase();
    let alias = match n.as_str() {
        "om" | "omegam" | "omega_m" => Some(0),
        "s8" | "sigma8" | "sigma_8" => Some(1),
        _ => None,
    };
    alias
        .or_else(|| NAMES.iter().position(|p| p.to_ascii_lowercase() == n))
        .ok_or_else(|| Error::Other(format!("unknown parameter `{name}`; the CMD parameters are {}", NAMES.join(", "))))
}

/// The natural coordinate of parameter i: ln A for the A's, the value itself otherwise.
pub fn to_natural(i: usize, v: f64) -> f64 {
    if LOG_UNIFORM[i] {
        v.ln()
    } else {
        v
    }
}

/// The inverse of [`to_natural`].
pub fn from_natural(i: usize, u: f64) -> f64 {
    if LOG_UNIFORM[i] {
        u.exp()
    } else {
        u
    }
}

/// The standard deviation of the prior in the natural coordinate: range/√12 (ln range for A's).
pub fn prior_sd(i: usize) -> f64 {
    let (lo, hi) = RANGES[i];
    (to_natural(i, hi) - to_natural(i, lo)) / 12f64.sqrt()
}

/// Parses `--at` values: six comma-separated numbers in the order of [`NAMES`], checked against
/// the CMD ranges.
pub fn parse_point(s: &str) -> Result<[f64; N_PARAMS]> {
    let vals: Vec<&str> = s.split(',').map(str::trim).collect();
    let bad = || {
        Error::Other(format!(
            "`{s}`: expected six comma-separated numbers {} (e.g. 0.3,0.8,1,1,1,1)",
            NAMES.join(",")
        ))
    };
    if vals.len() != N_PARAMS {
        return Err(bad());
    }
    let mut out = [0.0; N_PARAMS];
    for (o, v) in out.iter_mut().zip(vals) {
        *o = v.parse::<f64>().map_err(|_| bad())?;
    }
    check_in_range(&out)?;
    Ok(out)
}

/// Every value finite and inside the CMD ranges.
pub fn check_in_range(theta: &[f64; N_PARAMS]) -> Result<()> {
    for (i, &v) in theta.iter().enumerate() {
        let (lo, hi) = RANGES[i];
        if !(v >= lo && v <= hi) {
            return Err(Error::Other(format!("{} = {v} is outside the CMD range [{lo}, {hi}]", NAMES[i])));
        }
    }
    Ok(())
}

/// Which design a simulation set follows (the CAMELS set names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetKind {
    /// Latin hypercube over the prior ranges (the A's log-uniform).
    Lh,
    /// Cosmic variance: every simulation at one point.
    Cv,
    /// One parameter at a time, the others at the centre point.
    OneP,
}

impl SetKind {
    /// The name in CMD file names.
    pub fn name(self) -> &'static str {
        match self {
            SetKind::Lh => "LH",
            SetKind::Cv => "CV",
            SetKind::OneP => "1P",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s.to_ascii_uppercase().as_str() {
            "LH" => Ok(SetKind::Lh),
            "CV" => Ok(SetKind::Cv),
            "1P" => Ok(SetKind::OneP),
            _ => Err(Error::Other(format!("unknown set `{s}`; use LH, CV or 1P"))),
        }
    }
}

/// The parameters of each simulation of a set.
///
/// - LH: a Latin hypercube of `sims` points (each parameter's range cut into `sims` equal
///   strata, in its natural coordinate, one point per stratum, strata paired at random);
///   with `at` given, every simulation sits at `at` instead.
/// - CV: every simulation at `at` (the fiducial point unless given).
/// - 1P: `sims / 6` values per parameter, evenly spaced over its range (in the natural
///   coordinate, ends included), the other five at `at`; parameters in file order. `sims`
///   must be a multiple of 6.
pub fn design(kind: SetKind, sims: usize, at: Option<[f64; N_PARAMS]>, seed: u64) -> Result<Vec<[f64; N_PARAMS]>> {
    if sims == 0 {
        return Err(Error::Other("a set needs at least one simulation (--sims)".into()));
    }
    if let Some(a) = &at {
        check_in_range(a)?;
    }
    let centre = at.unwrap_or(FIDUCIAL);
    match kind {
        SetKind::Lh if at.is_some() => Ok(vec![centre; sims]),
        SetKind::Cv => Ok(vec![centre; sims]),
        SetKind::Lh => {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(substream(seed, 0x4c48));
            let mut out = vec![[0.0; N_PARAMS]; sims];
            for i in 0..N_PARAMS {
                let mut strata: Vec<usize> = (0..sims).collect();
                strata.shuffle(&mut rng);
                let (lo, hi) = (to_natural(i, RANGES[i].0), to_natural(i, RANGES[i].1));
                for (row, &s) in out.iter_mut().zip(&strata) {
                    let u = (s as f64 + rng.random::<f64>()) / sims as f64;
                    row[i] = from_natural(i, lo + u * (hi - lo)).clamp(RANGES[i].0, RANGES[i].1);
                }
            }
            Ok(out)
        }
        SetKind::OneP => {
            if !sims.is_multiple_of(N_PARAMS) || sims < 2 * N_PARAMS {
                return Err(Error::Other(format!(
                    "a 1P set varies each of the 6 parameters in turn: --sims must be a multiple of 6, at least 12 (got {sims}; CAMELS uses 66)"
                )));
            }
            let per = sims / N_PARAMS;
            let mut out = Vec::with_capacity(sims);
            for i in 0..N_PARAMS {
                let (lo, hi) = (to_natural(i, RANGES[i].0), to_natural(i, RANGES[i].1));
                for j in 0..per {
                    let mut row = centre;
                    row[i] = from_natural(i, lo + (hi - lo) * j as f64 / (per - 1) as f64).clamp(RANGES[i].0, RANGES[i].1);
                    out.push(row);
                }
            }
            Ok(out)
        }
    }
}
