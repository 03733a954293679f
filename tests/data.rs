//! Integration tests of `data/` and the field statistics of `eval/fields`: one binary, one
//! module per area.

#[path = "data/fourier.rs"]
mod fourier;
#[path = "common/golden_json.rs"]
#[allow(dead_code)]
mod golden_json;
#[path = "data/grf.rs"]
mod grf;
#[path = "data/power_spectrum.rs"]
mod power_spectrum;
#[path = "data/spectrum.rs"]
mod spectrum;
