//! CMD file names and parameter files (science.md §3).
//!
//! Maps: `Maps_<field>_<suite>_<set>_z=0.00.npy` (older releases: `z=0.0`). Parameters:
//! `params_<set>_<suite>.txt` (older: `params_<suite>.txt`), one row per simulation, six
//! whitespace-separated numbers Ω_m σ_8 A_SN1 A_AGN1 A_SN2 A_AGN2.

use crate::data::params::N_PARAMS;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The fields of the CMD 2-D maps.
pub const FIELDS: [&str; 13] = [
    "Mgas", "Vgas", "T", "P", "Z", "HI", "ne", "B", "MgFe", "Mcdm", "Vcdm", "Mstar", "Mtot",
];

/// The suites (N-body suites are `Nbody_<suite>`), and the synthetic one.
pub const SUITES: [&str; 4] = ["IllustrisTNG", "SIMBA", "Astrid", "Synthetic"];

/// The canonical spelling of a field name (case-insensitive), or an error listing them.
pub fn field_name(name: &str) -> Result<&'static str> {
    FIELDS
        .iter()
        .find(|f| f.eq_ignore_ascii_case(name.trim()))
        .copied()
        .ok_or_else(|| Error::Other(format!("unknown field `{name}`; the CMD fields are {}", FIELDS.join(", "))))
}

/// The canonical spelling of a suite name, or an error listing them.
pub fn suite_name(name: &str) -> Result<String> {
    let n = name.trim();
    let (prefix, base) = match n.get(..6) {
        Some(p) if p.eq_ignore_ascii_case("nbody_") => ("Nbody_", &n[6..]),
        _ => ("", n),
    };
    match SUITES.iter().find(|s| s.eq_ignore_ascii_case(base)) {
        Some(s) if !(prefix == "Nbody_" && *s == "Synthetic") => Ok(format!("{prefix}{s}")),
        _ => Err(Error::Other(format!(
            "unknown suite `{name}`; the CMD suites are {} (and Nbody_<suite> for their N-body twins)",
            SUITES.join(", ")
        ))),
    }
}

/// The maps file of a field: the current name, else the older `z=0.0` one; if neither
/// exists, an error that names both and lists the maps files the directory does hold.
pub fn maps_path(dir: &Path, field: &str, suite: &str, set: &str) -> Result<PathBuf> {
    let names = [
        format!("Maps_{field}_{suite}_{set}_z=0.00.npy"),
        format!("Maps_{field}_{suite}_{set}_z=0.0.npy"),
    ];
    find_first(dir, &names, "Maps_", "maps")
}

/// The parameter file of a set: `params_<set>_<suite>.txt`, else the older `params_<suite>.txt`.
pub fn params_path(dir: &Path, suite: &str, set: &str) -> Result<PathBuf> {
    let names = [format!("params_{set}_{suite}.txt"), format!("params_{suite}.txt")];
    find_first(dir, &names, "params_", "parameter")
}

fn find_first(dir: &Path, names: &[String], prefix: &str, what: &str) -> Result<PathBuf> {
    for n in names {
        let p = dir.join(n);
        if p.is_file() {
            return Ok(p);
        }
    }
    let mut present: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(format!("reading the data directory {}", dir.display()), e))?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.starts_with(prefix))
        .collect();
    present.sort();
    Err(Error::Other(format!(
        "no {what} file {} in {}; it has {}",
        names.join(" or "),
        dir.display(),
        if present.is_empty() {
            format!("no {prefix}* files")
        } else {
            present.join(", ")
        }
    )))
}

/// Reads a parameter file: rows of six numbers (blank lines and `#` comments skipped).
pub fn read_params(path: &Path) -> Result<Vec<[f64; N_PARAMS]>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let vals: Vec<f64> = line
            .split_whitespace()
            .map(|v| v.parse::<f64>())
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| Error::Other(format!("{} line {}: `{line}` is not a row of numbers", path.display(), i + 1)))?;
        if vals.len() != N_PARAMS || vals.iter().any(|v| !v.is_finite()) {
            return Err(Error::Other(format!(
                "{} line {}: expected 6 finite numbers (Ω_m σ_8 A_SN1 A_AGN1 A_SN2 A_AGN2), found `{line}`",
                path.display(),
                i + 1
            )));
        }
        rows.push(std::array::from_fn(|j| vals[j]));
    }
    if rows.is_empty() {
        return Err(Error::Other(format!("{}: no parameter rows", path.display())));
    }
    Ok(rows)
}
