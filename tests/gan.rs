//! The GAN of the DDPM/GAN report and the DCGAN: networks, whole steps against PyTorch, the
//! training loop (resume, diagnostics) and the `train gan` / `sample gan` commands.

#[path = "gan/cli.rs"]
mod cli;
#[path = "gan/common.rs"]
mod common;
#[path = "gan/golden.rs"]
mod golden;
#[path = "gan/model.rs"]
mod model;
#[path = "gan/training.rs"]
mod training;

#[path = "common/golden_json.rs"]
mod golden_json;
pub use golden_json::*;
