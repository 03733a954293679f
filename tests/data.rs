//! Integration tests of `data/` and the field statistics of `eval/fields`: one binary, one
//! module per area.

#[path = "data/cli.rs"]
mod cli;
#[path = "data/cli_fields.rs"]
mod cli_fields;
#[path = "data/cmd.rs"]
mod cmd;
#[path = "data/field_comparison.rs"]
mod field_comparison;
#[path = "data/field_shapes.rs"]
mod field_shapes;
#[path = "data/field_theory.rs"]
mod field_theory;
#[path = "data/fisher.rs"]
mod fisher;
#[path = "data/fourier.rs"]
mod fourier;
#[path = "common/golden_json.rs"]
#[allow(dead_code)]
mod golden_json;
#[path = "data/grf.rs"]
mod grf;
#[path = "data/ks.rs"]
mod ks;
#[path = "data/power_spectrum.rs"]
mod power_spectrum;
#[path = "data/quijote.rs"]
mod quijote;
#[path = "data/simulate.rs"]
mod simulate;
#[path = "data/slices.rs"]
mod slices;
#[path = "data/spectrum.rs"]
mod spectrum;

/// A fresh directory under the system's temporary directory, unique to this process and name.
pub fn scratch_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("cosmograd-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
