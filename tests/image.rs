//! Integration tests of the image kernels: one binary, one module per area.

#[path = "image/errors.rs"]
mod errors;
#[path = "image/golden.rs"]
mod golden;
#[path = "common/golden_json.rs"]
#[allow(dead_code)]
mod golden_json;
#[path = "image/kernels.rs"]
mod kernels;
#[path = "image/layers.rs"]
mod layers;
