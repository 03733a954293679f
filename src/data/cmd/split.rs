//! Train/validation/test splits **by simulation** (the 15 maps of a simulation share their
//! parameters, so a split by map would test on what was trained on), saved as JSON in a run
//! directory so that a resumed or evaluated run sees the same split.

use crate::data::atomic::write_atomic;
use crate::data::cmd::dataset::CmdDataset;
use crate::data::grf::substream;
use crate::error::{Error, Result};
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One of the three parts of a split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Train,
    Valid,
    Test,
}

/// Simulation indices of each part, sorted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Split {
    pub seed: u64,
    pub fractions: [f64; 3],
    pub n_sims: usize,
    pub train: Vec<usize>,
    pub valid: Vec<usize>,
    pub test: Vec<usize>,
}

/// The CMD convention: 90 % training, 5 % validation, 5 % test.
pub const CMD_FRACTIONS: [f64; 3] = [0.9, 0.05, 0.05];

impl Split {
    /// Shuffles the simulations with the seed and cuts them by `fractions` (rounded; at least
    /// one simulation in each part).
    pub fn by_simulation(n_sims: usize, fractions: [f64; 3], seed: u64) -> Result<Self> {
        if n_sims < 3 {
            return Err(Error::Other(format!(
                "{n_sims} simulation(s): a train/validation/test split needs at least 3 (45 maps)"
            )));
        }
        let total: f64 = fractions.iter().sum();
        if fractions.iter().any(|f| f.is_nan() || *f <= 0.0) || !total.is_finite() {
            return Err(Error::Other(format!("split fractions {fractions:?} must be positive")));
        }
        let mut sims: Vec<usize> = (0..n_sims).collect();
        sims.shuffle(&mut Xoshiro256PlusPlus::seed_from_u64(substream(seed, 0x5011)));
        let n_valid = ((fractions[1] / total * n_sims as f64).round() as usize).max(1);
        let n_test = ((fractions[2] / total * n_sims as f64).round() as usize).max(1);
        let n_train = n_sims.saturating_sub(n_valid + n_test).max(1);
        let n_valid = n_sims - n_train - n_test;
        let part = |r: std::ops::Range<usize>| {
            let mut v = sims[r].to_vec();
            v.sort_unstable();
            v
        };
        Ok(Split {
            seed,
            fractions,
            n_sims,
            train: part(0..n_train),
            valid: part(n_train..n_train + n_valid),
            test: part(n_train + n_valid..n_sims),
        })
    }

    pub fn sims(&self, part: Part) -> &[usize] {
        match part {
            Part::Train => &self.train,
            Part::Valid => &self.valid,
            Part::Test => &self.test,
        }
    }

    /// The maps of a part, in simulation order.
    pub fn maps(&self, part: Part) -> Vec<usize> {
        self.sims(part).iter().flat_map(|&s| CmdDataset::maps_of_sim(s)).collect()
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(|e| Error::Other(e.to_string()))?;
        write_atomic(path, text.as_bytes())
    }

    /// Reads a saved split and checks that it is one of a set of `n_sims` simulations.
    pub fn load(path: &Path, n_sims: usize) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        let s: Split = serde_json::from_str(&text).map_err(|e| Error::Other(format!("{}: not a split file: {e}", path.display())))?;
        let mut all: Vec<usize> = s.train.iter().chain(&s.valid).chain(&s.test).copied().collect();
        all.sort_unstable();
        if s.n_sims != n_sims || all != (0..n_sims).collect::<Vec<_>>() {
            return Err(Error::Other(format!(
                "{}: this split is of {} simulations, but the data set has {n_sims}; use the data the run was made with",
                path.display(),
                s.n_sims
            )));
        }
        Ok(s)
    }
}
