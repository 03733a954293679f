//! The data of an MDN run: which CMD files (or which cached synthetic set), how they are
//! split and preprocessed, and the adapter from the CMD loader (`data::cmd`) to the
//! [`MapSet`] the training loop reads.

use super::mdn::MapSet;
use super::run_dir::RunDir;
use crate::error::{Error, Result};
use crate::eval::mixture::Scale;
use crate::models::{MdnArchitecture, Target};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Checkpoint metadata key of the preprocessing record (JSON: files, log10, mean, std, size).
pub const PREPROCESSING_KEY: &str = "mdn.preprocessing";

/// A synthetic CMD-like set generated for the run (and cached, keyed by these settings).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyntheticSpec {
    pub sims: usize,
    pub size: usize,
    pub seed: u64,
}

/// Where a run's maps come from and how they are split.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataSpec {
    /// The directory of the CMD files.
    pub dir: PathBuf,
    /// Fields, stacked as channels in this order.
    pub fields: Vec<String>,
    pub suite: Option<String>,
    pub set: String,
    /// The side of the maps the model sees.
    pub size: Option<usize>,
    /// Use only the first `sims` simulations.
    pub sims: Option<usize>,
    /// Fractions of simulations for training, validation and test.
    pub split: [f64; 3],
    pub split_seed: u64,
    /// Set when the directory is a generated synthetic set (the Cramér–Rao bound is known).
    pub synthetic: Option<SyntheticSpec>,
    /// Where synthetic sets are cached.
    pub cache: Option<PathBuf>,
}

/// An opened data set: the three splits and what the checkpoint must record about them.
pub struct OpenData {
    pub train: Box<dyn MapSet>,
    pub val: Box<dyn MapSet>,
    pub test: Box<dyn MapSet>,
    pub total_maps: usize,
    pub total_sims: usize,
    /// How a stored map becomes the network's input (JSON, see [`PREPROCESSING_KEY`]).
    pub preprocessing: serde_json::Value,
    /// Per-target Cramér–Rao bound for one map at a simulation's parameters (synthetic data).
    pub crb: Option<Box<dyn Fn(&[f64]) -> Result<Vec<f64>>>>,
}

/// The CMD parameter names, in the order of the parameter files.
pub const NAMES: [&str; 6] = ["Omega_m", "sigma_8", "A_SN1", "A_AGN1", "A_SN2", "A_AGN2"];
/// The LH prior ranges.
const RANGES: [(f64, f64); 6] = [(0.1, 0.5), (0.6, 1.0), (0.25, 4.0), (0.25, 4.0), (0.5, 2.0), (0.5, 2.0)];
/// The feedback amplitudes are log-uniform: scaled in ln A.
const LOG_UNIFORM: [bool; 6] = [false, false, true, true, true, true];

/// `Omega_m,sigma_8,…` → the targets, each min–max scaled over its prior range (in ln A for
/// the log-uniform amplitudes).
pub fn parse_targets(s: &str) -> Result<Vec<Target>> {
    let mut out: Vec<Target> = Vec::new();
    for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let i = NAMES
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))
            .ok_or_else(|| Error::Other(format!("unknown target `{name}`; the CMD parameters are {}", NAMES.join(", "))))?;
        if out.iter().any(|t| t.name == NAMES[i]) {
            return Err(Error::Other(format!("--targets names {} twice", NAMES[i])));
        }
        let (lo, hi) = RANGES[i];
        out.push(Target {
            name: NAMES[i].to_string(),
            scale: if LOG_UNIFORM[i] {
                Scale::Log { lo, hi }
            } else {
                Scale::Linear { lo, hi }
            },
        });
    }
    if out.is_empty() {
        return Err(Error::Other(format!("--targets is empty; name some of {}", NAMES.join(", "))));
    }
    Ok(out)
}

/// Fills in what the command line left open (the synthetic set's cache directory, the map
/// size).
pub fn resolve(spec: DataSpec) -> Result<DataSpec> {
    let _ = &spec;
    Err(Error::Other("the CMD loader is not merged into this branch yet".into()))
}

/// Checks that the data can be read, before anything is written.
pub fn check(spec: &DataSpec) -> Result<()> {
    let _ = spec;
    Ok(())
}

/// Opens the splits of a run: a fresh run draws and writes its split; an existing one reads it.
pub fn open(spec: &DataSpec, arch: &MdnArchitecture, run: &RunDir, moved_to: Option<&Path>, existing: bool) -> Result<OpenData> {
    let _ = (spec, arch, run, moved_to, existing);
    Err(Error::Other("the CMD loader is not merged into this branch yet".into()))
}
