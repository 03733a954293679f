//! The default data of the density-field models: a Quijote-like set (`data::quijote`) generated
//! once and cached, so that `cosmograd train gan` (and any other field model) runs with no data
//! argument. The cached file is exactly what `cosmograd simulate quijote` writes.

use crate::data::quijote::{LognormalSlices, QuijoteSettings};
use crate::data::slices::{write_slices, Units};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The generated set's settings (they name its cache directory).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyntheticQuijote {
    /// Maps.
    pub n: usize,
    /// Pixels a side.
    pub size: usize,
    pub seed: u64,
}

impl SyntheticQuijote {
    /// Maps of the default set when the user gives no number.
    pub const DEFAULT_MAPS: usize = 4096;

    pub fn default_for(maps: Option<usize>, size: usize, seed: u64) -> Self {
        SyntheticQuijote {
            n: maps.unwrap_or(Self::DEFAULT_MAPS),
            size,
            seed,
        }
    }
}

/// `explicit`, else `$COSMOGRAD_CACHE`, else `~/.cache/cosmograd`, else a temporary directory.
pub fn cache_dir(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    if let Some(p) = std::env::var_os("COSMOGRAD_CACHE").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    match std::env::var_os("HOME").filter(|p| !p.is_empty()) {
        Some(home) => PathBuf::from(home).join(".cache").join("cosmograd"),
        None => std::env::temp_dir().join("cosmograd-cache"),
    }
}

/// The `slices.npy` of the generated set, generating it first if it is not cached.
pub fn cached_set(spec: &SyntheticQuijote, cache: Option<&Path>) -> Result<PathBuf> {
    if spec.n == 0 {
        return Err(Error::Other("--maps must be at least 1".into()));
    }
    let dir = cache_dir(cache).join(format!("quijote-{}px-{}maps-seed{}", spec.size, spec.n, spec.seed));
    let npy = dir.join("slices.npy");
    if npy.is_file() {
        return Ok(npy);
    }
    let settings = QuijoteSettings::with_size(spec.size);
    let sim = LognormalSlices::new(settings)?;
    let bar = crate::train::shared::progress_bar(true, spec.n as u64, 0, "maps");
    bar.set_message(format!("generating the Quijote-like set once, into {}", dir.display()));
    let delta = sim.simulate(spec.n, spec.seed, || bar.inc(1));
    bar.finish_and_clear();
    // Written under a temporary name and renamed, so an interrupted generation is never
    // mistaken for a finished set.
    let tmp = dir.join(format!("slices.tmp-{}.npy", std::process::id()));
    let meta = serde_json::json!({"simulator": "quijote-lognormal", "n": spec.n, "size": spec.size, "seed": spec.seed});
    write_slices(&tmp, delta.view(), Units::DensityContrast, settings.box_size, meta)?;
    let (side_tmp, side) = (crate::data::slices::sidecar_path(&tmp), crate::data::slices::sidecar_path(&npy));
    std::fs::rename(&side_tmp, &side).map_err(|e| Error::io(format!("cannot write {}", side.display()), e))?;
    std::fs::rename(&tmp, &npy).map_err(|e| Error::io(format!("cannot write {}", npy.display()), e))?;
    Ok(npy)
}
