//! Density slices on disk: a `.npy` array (N, H, W) of the density contrast δ or of the
//! overdensity 1 + δ (`<f4` or `<f8`; (N, 1, H, W) is accepted too), with an optional JSON
//! sidecar beside it (`slices.npy` → `slices.json`) that records its units and box size.
//!
//! Whatever the file holds, a loaded set is δ as `f32` (what models train on), checked before
//! anything uses it: square maps, finite values, 1 + δ ≥ 0. Sets are written back in the
//! units they were read in ([`write_slices`]), so a model's samples land in the data's own
//! units.

use crate::error::{Error, Result};
use memmap2::Mmap;
use ndarray::{s, Array3, ArrayView3, ArrayViewD, Axis};
use ndarray_npy::{ViewNpyError, ViewNpyExt, WriteNpyExt};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::path::{Path, PathBuf};

/// What the numbers in a file are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Units {
    /// δ = ρ/ρ̄ − 1 ≥ −1.
    DensityContrast,
    /// 1 + δ = ρ/ρ̄ ≥ 0.
    Overdensity,
}

impl Units {
    /// δ from a value in these units.
    pub fn to_delta(self, v: f64) -> f64 {
        match self {
            Units::DensityContrast => v,
            Units::Overdensity => v - 1.0,
        }
    }
    /// A value in these units from δ.
    pub fn from_delta(self, delta: f64) -> f64 {
        match self {
            Units::DensityContrast => delta,
            Units::Overdensity => delta + 1.0,
        }
    }
}

/// The box size of Quijote, assumed when neither a sidecar nor the user gives one.
pub const DEFAULT_BOX_SIZE: f64 = 1000.0;

/// The part of a sidecar the loader reads (other keys are kept by whoever wrote them).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SliceMeta {
    #[serde(default)]
    pub units: Option<Units>,
    /// Side of the maps, h⁻¹Mpc.
    #[serde(default)]
    pub box_size: Option<f64>,
}

/// How to read a file.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// The units of a file without a sidecar (a sidecar's own units win). Neither: δ, with a
    /// warning (see [`DensitySlices::warnings`]).
    pub units: Option<Units>,
    /// The box size; overrides the sidecar's.
    pub box_size: Option<f64>,
    /// The map size a model needs (H = W = size).
    pub size: Option<usize>,
    /// Read only the first `limit` maps.
    pub limit: Option<usize>,
}

/// A loaded set: δ, N × H × W.
#[derive(Clone, Debug)]
pub struct DensitySlices {
    pub delta: Array3<f32>,
    /// The units the file holds (and samples should be written in).
    pub units: Units,
    pub box_size: f64,
    pub path: PathBuf,
    /// Things the user should know that are not errors (assumed units, a suspicious mean).
    pub warnings: Vec<String>,
}

impl DensitySlices {
    pub fn len(&self) -> usize {
        self.delta.len_of(Axis(0))
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Pixels a side.
    pub fn size(&self) -> usize {
        self.delta.len_of(Axis(1))
    }
}

/// `slices.npy` for a directory, the path itself otherwise.
pub fn resolve(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join("slices.npy")
    } else {
        path.to_path_buf()
    }
}

/// The sidecar of a `.npy` file: the same name with `.json`.
pub fn sidecar_path(npy: &Path) -> PathBuf {
    npy.with_extension("json")
}

/// Reads and checks a set of slices (a `.npy` file, or a directory holding `slices.npy`).
pub fn load_slices(path: &Path, opts: &LoadOptions) -> Result<DensitySlices> {
    let path = resolve(path);
    let shown = path.display().to_string();
    let meta = read_meta(&path)?;
    let mut warnings = vec![];
    let units = match (meta.units, opts.units) {
        (Some(u), _) | (None, Some(u)) => u,
        (None, None) => {
            warnings.push(format!(
                "{shown}: no sidecar and no units flag, so the values are taken as δ (pass --overdensity if they are 1 + δ)"
            ));
            Units::DensityContrast
        }
    };
    let box_size = opts.box_size.or(meta.box_size).unwrap_or(DEFAULT_BOX_SIZE);
    if !(box_size > 0.0 && box_size.is_finite()) {
        return Err(Error::Other(format!("{shown}: the box size must be positive, got {box_size}")));
    }
    let file = File::open(&path).map_err(|e| Error::io(format!("opening {shown}"), e))?;
    let len = file.metadata().map_err(|e| Error::io(format!("reading {shown}"), e))?.len();
    if len == 0 {
        return Err(Error::Other(format!(
            "{shown} is an empty file; expected a .npy array (N, H, W) of density slices"
        )));
    }
    // SAFETY: the map is read-only and dropped before this function returns; a file changed
    // by another process while it is read gives wrong numbers, which the checks below catch
    // only in part (the usual caveat of memory-mapped files).
    let mmap = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(format!("mapping {shown}"), e))?;
    let delta = read_array(&mmap, &shown, units, opts)?;
    let mean = delta.iter().map(|&v| v as f64).sum::<f64>() / delta.len() as f64;
    if units == Units::DensityContrast && mean > 0.5 {
        warnings.push(format!(
            "{shown}: read as δ, the maps' mean is {mean:.3}; if the file holds 1 + δ, pass --overdensity"
        ));
    }
    Ok(DensitySlices {
        delta,
        units,
        box_size,
        path,
        warnings,
    })
}

fn read_meta(npy: &Path) -> Result<SliceMeta> {
    let side = sidecar_path(npy);
    if !side.is_file() {
        return Ok(SliceMeta::default());
    }
    let text = std::fs::read_to_string(&side).map_err(|e| Error::io(format!("reading {}", side.display()), e))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::Other(format!(
            "{}: not a slices sidecar ({e}); it should be a JSON object with \"units\" (\"density_contrast\" or \"overdensity\") and \"box_size\"",
            side.display()
        ))
    })
}

/// The array of a mapped `.npy` file as δ, checked.
fn read_array(bytes: &[u8], shown: &str, units: Units, opts: &LoadOptions) -> Result<Array3<f32>> {
    let bad = |e: &dyn std::fmt::Display| Error::Other(format!("{shown}: not a readable .npy array of float32 or float64 ({e})"));
    // View the data in place (both dtypes), so that `limit` copies only what is used.
    match ArrayViewD::<f32>::view_npy(bytes) {
        Ok(v) => convert(v, shown, units, opts, |x| x as f64),
        Err(ViewNpyError::WrongDescriptor(_)) => match ArrayViewD::<f64>::view_npy(bytes) {
            Ok(v) => convert(v, shown, units, opts, |x| x),
            Err(e) => Err(bad(&e)),
        },
        Err(e) => Err(bad(&e)),
    }
}

fn convert<A: Copy>(view: ArrayViewD<A>, shown: &str, units: Units, opts: &LoadOptions, to_f64: impl Fn(A) -> f64) -> Result<Array3<f32>> {
    let shape = view.shape().to_vec();
    let view = match shape.len() {
        3 => view,
        4 if shape[1] == 1 => view.index_axis_move(Axis(1), 0),
        _ => {
            return Err(Error::Other(format!(
                "{shown}: expected an array of maps (N, H, W) (or (N, 1, H, W)), got shape {shape:?}"
            )))
        }
    };
    let view = view.into_dimensionality::<ndarray::Ix3>().expect("rank checked above");
    let (n, h, w) = view.dim();
    if n == 0 || h == 0 || w == 0 {
        return Err(Error::Other(format!("{shown}: holds no maps (shape {shape:?})")));
    }
    if h != w {
        return Err(Error::Other(format!(
            "{shown}: maps must be square (the statistics and models assume a periodic square), got {h}×{w}"
        )));
    }
    if let Some(size) = opts.size {
        if h != size {
            return Err(Error::Other(format!(
                "{shown}: maps are {h}×{h} but {size}×{size} are needed; resample or crop the data, or choose a model of this size"
            )));
        }
    }
    let n = opts.limit.map_or(n, |l| l.min(n));
    let view = view.slice_move(s![..n, .., ..]);
    let mut out = Array3::<f32>::zeros((n, h, w));
    let mut nonfinite = 0usize;
    let mut first_bad: Option<((usize, usize, usize), f64)> = None;
    let mut negative: Option<((usize, usize, usize), f64)> = None;
    for ((idx, o), &v) in out.indexed_iter_mut().zip(view.iter()) {
        let x = to_f64(v);
        if !x.is_finite() {
            nonfinite += 1;
            first_bad.get_or_insert((idx, x));
            continue;
        }
        let delta = units.to_delta(x);
        // 1 + δ ≥ 0: below it by more than f32 rounding is not a density.
        if delta < -1.0 - 1e-6 && negative.is_none() {
            negative = Some((idx, x));
        }
        *o = delta as f32;
    }
    if let Some(((i, y, x), v)) = first_bad {
        return Err(Error::Other(format!(
            "{shown}: {nonfinite} non-finite values, the first in map {i} at pixel (y {y}, x {x}): {v}; remove or repair those maps"
        )));
    }
    if let Some(((i, y, x), v)) = negative {
        let msg = match units {
            Units::Overdensity => format!(
                "{shown}: read as 1 + δ (overdensity), map {i} has {v} at pixel (y {y}, x {x}), and an overdensity cannot be negative; if the file holds δ, pass --density-contrast"
            ),
            Units::DensityContrast => format!(
                "{shown}: read as δ (density contrast), map {i} has {v} < −1 at pixel (y {y}, x {x}), and δ ≥ −1 for any density; convert the file to δ or 1 + δ first (a log density is neither)"
            ),
        };
        return Err(Error::Other(msg));
    }
    Ok(out)
}

/// Writes δ as `.npy` in the given units (`<f4`) and a sidecar (`units`, `box_size` and the
/// keys of `extra`, which must be a JSON object or null). Creates the parent directory.
pub fn write_slices(path: &Path, delta: ArrayView3<f32>, units: Units, box_size: f64, extra: serde_json::Value) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    }
    let data = delta.mapv(|d| units.from_delta(d as f64) as f32);
    let shown = path.display();
    let file = File::create(path).map_err(|e| Error::io(format!("creating {shown}"), e))?;
    data.write_npy(std::io::BufWriter::new(file))
        .map_err(|e| Error::Other(format!("writing {shown}: {e}")))?;
    let mut meta = serde_json::to_value(SliceMeta {
        units: Some(units),
        box_size: Some(box_size),
    })
    .expect("plain data");
    match extra {
        serde_json::Value::Object(map) => meta.as_object_mut().expect("an object").extend(map),
        serde_json::Value::Null => {}
        other => {
            return Err(Error::Other(format!(
                "slices sidecar: extra metadata must be a JSON object, got {other}"
            )))
        }
    }
    let side = sidecar_path(path);
    let text = serde_json::to_string_pretty(&meta).expect("plain data");
    std::fs::write(&side, text + "\n").map_err(|e| Error::io(format!("writing {}", side.display()), e))
}
