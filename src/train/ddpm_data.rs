//! The data of a DDPM run: which density slices (a file, or a Quijote-like set generated for
//! the run and cached), which of them are held out for the validation loss, and the contrast
//! transform (`data::transform`) that maps δ into the [−1, 1] range the network works in —
//! fitted on the training fields, saved with the run, inverted for every sample written.

use crate::data::slices::{load_slices, LoadOptions, Units};
use crate::data::transform::ContrastTransform;
use crate::error::{Error, Result};
use crate::eval::map_grid::{save_map_panels, ColourScale, MapPanel};
use ndarray::{s, Array3, ArrayView3, Axis};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A Quijote-like set simulated for a run (`cosmograd simulate quijote` with these settings).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GeneratedSpec {
    pub n: usize,
    pub size: usize,
    pub seed: u64,
}

/// Where a run's fields come from and how they were split and transformed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataSpec {
    /// The `.npy` file read (for a generated set, its cached copy).
    pub path: PathBuf,
    /// The units of the file, which samples are written back in.
    pub units: Units,
    /// Side of the maps, h⁻¹Mpc.
    pub box_size: f64,
    /// Set when the fields were simulated for the run.
    pub generated: Option<GeneratedSpec>,
    /// Fields read (the first `total` of the file).
    pub total: usize,
    /// The last `val` of them are held out for the validation loss.
    pub val: usize,
    /// s(x) = (x − a)/(x + a) on x = 1 + δ, a fitted on the training fields.
    pub transform: ContrastTransform,
}

/// The opened data of a run: the fields in the network's units (s ∈ [−1, 1)).
pub struct RunData {
    pub train: Array3<f32>,
    pub val: Array3<f32>,
    /// The training fields' ln(1 + δ) 1 %–99 % range (the colour scale of sample grids).
    pub log_range: (f64, f64),
    pub warnings: Vec<String>,
}

/// The cache directory of generated sets: `--cache`, else `$COSMOGRAD_CACHE`, else
/// `~/.cache/cosmograd`.
pub fn cache_dir(flag: Option<&Path>) -> PathBuf {
    if let Some(p) = flag {
        return p.to_path_buf();
    }
    if let Some(p) = std::env::var_os("COSMOGRAD_CACHE").filter(|v| !v.is_empty()) {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    home.join(".cache").join("cosmograd")
}

/// Where a generated set is cached.
pub fn generated_path(cache: &Path, g: &GeneratedSpec) -> PathBuf {
    cache
        .join(format!("quijote-{}px-n{}-seed{}", g.size, g.n, g.seed))
        .join("slices.npy")
}

/// How many fields to hold out of `total` for validation: `fraction` of them, at least one,
/// and at most half.
pub fn validation_count(total: usize, fraction: f64) -> Result<usize> {
    if !(fraction.is_finite() && fraction > 0.0 && fraction < 0.5) {
        return Err(Error::Other(format!("--val-fraction must lie in (0, 0.5), got {fraction}")));
    }
    if total < 2 {
        return Err(Error::Other(format!(
            "the data holds {total} field(s); a run needs at least 2 (one to train on, one to validate)"
        )));
    }
    Ok(((total as f64 * fraction).round() as usize).clamp(1, total / 2))
}

/// Reads the fields of `path` (δ or 1 + δ as the sidecar or `units` says), checks them
/// against the model's size, splits off the validation fields and fits the transform on the
/// rest. Returns the spec (for `config.json`) and the data.
pub fn open(
    path: &Path,
    units: Option<Units>,
    size: Option<usize>,
    limit: Option<usize>,
    val_fraction: f64,
    generated: Option<GeneratedSpec>,
) -> Result<(DataSpec, RunData)> {
    let opts = LoadOptions {
        units,
        box_size: None,
        size,
        limit,
    };
    let set = load_slices(path, &opts)?;
    let total = set.len();
    let val = validation_count(total, val_fraction)?;
    let train_delta = set.delta.slice(s![..total - val, .., ..]);
    let transform = ContrastTransform::fit(train_delta)?;
    let spec = DataSpec {
        path: set.path.clone(),
        units: set.units,
        box_size: set.box_size,
        generated,
        total,
        val,
        transform,
    };
    let data = transformed(&spec, set.delta.view(), set.warnings)?;
    Ok((spec, data))
}

/// Reopens a run's data exactly as it was split and transformed (for `--resume`).
pub fn reopen(spec: &DataSpec, size: usize) -> Result<RunData> {
    let opts = LoadOptions {
        units: Some(spec.units),
        box_size: Some(spec.box_size),
        size: Some(size),
        limit: Some(spec.total),
    };
    let set = load_slices(&spec.path, &opts)?;
    if set.len() != spec.total {
        return Err(Error::Other(format!(
            "{} now holds {} fields, but the run was trained on {}; it cannot be resumed with other data",
            spec.path.display(),
            set.len(),
            spec.total
        )));
    }
    transformed(spec, set.delta.view(), set.warnings)
}

fn transformed(spec: &DataSpec, delta: ArrayView3<f32>, warnings: Vec<String>) -> Result<RunData> {
    let n = spec.total - spec.val;
    let s = spec.transform.forward_maps(delta);
    let mut logs: Vec<f64> = delta
        .slice(s![..n, .., ..])
        .iter()
        .step_by(7)
        .map(|&d| (1.0 + d as f64).max(1e-6).ln())
        .collect();
    logs.sort_by(f64::total_cmp);
    let q = |p: f64| logs[((logs.len() - 1) as f64 * p) as usize];
    Ok(RunData {
        train: s.slice(s![..n, .., ..]).to_owned(),
        val: s.slice(s![n.., .., ..]).to_owned(),
        log_range: (q(0.01), q(0.99)),
        warnings,
    })
}

/// δ of fields in the network's units (values outside [−1, 1) are clamped first; returns how
/// many were).
pub fn to_delta(spec: &DataSpec, s: ArrayView3<f32>) -> (Array3<f32>, usize) {
    spec.transform.inverse_maps(s)
}

/// A PNG of `maps` (δ) as ln(1 + δ) on the colour range of the training fields.
pub fn save_grid(path: &Path, delta: ArrayView3<f32>, log_range: (f64, f64), title: &str) -> Result<()> {
    let log_density = |v: f32| (1.0 + v as f64).max(1e-6).ln();
    let shown = delta.len_of(Axis(0)).min(16);
    save_map_panels(
        path,
        &[MapPanel {
            title: format!("{title}, ln(1 + δ)"),
            maps: delta.outer_iter().take(shown).collect(),
            cols: 4,
        }],
        &ColourScale {
            range: log_range,
            value: &log_density,
        },
        3,
    )
}
