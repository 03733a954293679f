//! Training loops and what they share: run directories (`run_dir.rs`), seeded orders,
//! augmentations, progress bars and metrics (`shared.rs`); the MDN's loop (`mdn.rs`) and its
//! evaluation (`mdn_eval.rs`); the DDPM's loop (`ddpm.rs`); the GAN's steps (`gan_step.rs`) and
//! loop with its mode-collapse diagnostics (`gan.rs`).

pub mod ddpm;
pub mod ddpm_data;
pub mod fields_data;
pub mod gan;
pub mod gan_step;
pub mod mdn;
pub mod mdn_data;
pub mod mdn_eval;
pub mod run_dir;
pub mod shared;

pub use run_dir::RunDir;
