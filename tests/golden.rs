//! cosmograd against numbers PyTorch computed in float64 (tests/golden/make_golden_core.py
//! writes the JSON files beside it). The engine runs on Cpu<f64>; agreement is to ~1e-10.

#[path = "golden/core_ops.rs"]
mod core_ops;
#[path = "golden/optim.rs"]
mod optim;

#[path = "common/golden_json.rs"]
mod golden_json;
pub use golden_json::*;
