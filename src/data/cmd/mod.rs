//! The CAMELS Multifield Dataset (CMD) as distributed: `.npy` maps read memory-mapped and
//! parameter text files (science.md §3), and what training on them needs — a split by
//! simulation, normalisation from the training split, scaled targets, the 8 dihedral
//! augmentations and batches.
//!
//! ```no_run
//! use cosmograd::data::cmd::{CmdData, DatasetSpec, Part, Targets};
//! use std::path::Path;
//! let spec = DatasetSpec::parse("T", "IllustrisTNG", "LH")?;
//! let targets = Targets::parse("Omega_m,sigma_8", false)?;
//! let data = CmdData::prepare(Path::new("CMD/2D_maps/data"), &spec, Path::new("runs/a"), 0, targets, &|_| {})?;
//! for (epoch, batch) in data.batches(Part::Train, 32, Some(1), Some(1))?.enumerate() {
//!     let batch = batch?; // x: [32, 1, 256, 256], y: [32, 2]
//! #   let _ = (epoch, batch);
//! }
//! # Ok::<(), cosmograd::Error>(())
//! ```

pub mod augment;
pub mod batches;
pub mod dataset;
pub mod files;
pub mod maps;
pub mod normalise;
pub mod split;
pub mod targets;

pub use augment::Dihedral;
pub use batches::{Batch, Batches};
pub use dataset::{CmdDataset, DatasetSpec};
pub use normalise::Normaliser;
pub use split::{Part, Split, CMD_FRACTIONS};
pub use targets::Targets;

use crate::error::{Error, Result};
use std::path::Path;

/// The split file a run directory holds.
pub const SPLIT_FILE: &str = "split.json";
/// The normalisation file a run directory holds.
pub const NORMALISATION_FILE: &str = "normalisation.json";

/// A data set ready for training: opened, split, normalised, with its targets.
pub struct CmdData {
    pub dataset: CmdDataset,
    pub split: Split,
    pub normaliser: Normaliser,
    pub targets: Targets,
}

impl CmdData {
    /// Opens the data set in `data_dir`. If `run_dir` holds `split.json` and
    /// `normalisation.json` (a resumed or evaluated run) they are read and checked against the
    /// data; otherwise the simulations are split 90/5/5 with `split_seed`, the normalisation is
    /// fitted on the training maps (`progress` counts them), and both are written to `run_dir`.
    pub fn prepare(
        data_dir: &Path,
        spec: &DatasetSpec,
        run_dir: &Path,
        split_seed: u64,
        targets: Targets,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Self> {
        let dataset = CmdDataset::open(data_dir, spec)?;
        std::fs::create_dir_all(run_dir).map_err(|e| Error::io(format!("creating {}", run_dir.display()), e))?;
        let split_path = run_dir.join(SPLIT_FILE);
        let split = if split_path.exists() {
            let s = Split::load(&split_path, dataset.n_sims())?;
            if s.seed != split_seed {
                return Err(Error::Other(format!(
                    "{} was made with split seed {}, not {split_seed}; use that seed or another run directory",
                    split_path.display(),
                    s.seed
                )));
            }
            s
        } else {
            let s = Split::by_simulation(dataset.n_sims(), CMD_FRACTIONS, split_seed)?;
            s.save(&split_path)?;
            s
        };
        let norm_path = run_dir.join(NORMALISATION_FILE);
        let normaliser = if norm_path.exists() {
            Normaliser::load(&norm_path, &dataset)?
        } else {
            let n = Normaliser::fit(&dataset, &split.maps(Part::Train), progress)?;
            n.save(&norm_path)?;
            n
        };
        Ok(CmdData {
            dataset,
            split,
            normaliser,
            targets,
        })
    }

    /// Batches of one part of the split (see [`Batches::new`] for the seeds).
    pub fn batches(&self, part: Part, batch: usize, shuffle: Option<u64>, augment: Option<u64>) -> Result<Batches<'_>> {
        Batches::new(
            &self.dataset,
            &self.normaliser,
            &self.targets,
            &self.split.maps(part),
            batch,
            shuffle,
            augment,
        )
    }
}
