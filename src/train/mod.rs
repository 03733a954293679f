//! Training loops and what they share: run directories (`run_dir.rs`), seeded orders,
//! augmentations, progress bars and metrics (`shared.rs`); the MDN's loop (`mdn.rs`) and its
//! evaluation (`mdn_eval.rs`); the DDPM's loop (`ddpm.rs`).

pub mod ddpm;
pub mod mdn;
pub mod mdn_data;
pub mod mdn_eval;
pub mod run_dir;
pub mod shared;

pub use run_dir::RunDir;
