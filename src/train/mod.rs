//! Training loops and what they share: run directories (`run_dir.rs`) and the MDN's loop
//! (`mdn.rs`) and its evaluation (`mdn_eval.rs`). The DDPM and GAN add theirs beside it.

pub mod mdn;
pub mod mdn_data;
pub mod mdn_eval;
pub mod run_dir;

pub use run_dir::RunDir;
