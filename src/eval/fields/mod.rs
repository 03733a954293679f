//! Statistics of 2-D fields (science.md §6), validated on fields whose truth is known, one
//! file per statistic; `comparison.rs` judges a generated set against a real one with all of
//! them, `diagnostics.rs` gives a training loop the cheap ones. Sets of maps are N × H × W
//! `f32` arrays (as on disk and in the models); every statistic computes in `f64`.
//! Definitions and estimator choices: `notes/fields.md`.

pub mod clusters;
pub mod comparison;
pub mod diagnostics;
pub mod ensemble;
pub mod figures;
pub mod ks;
pub mod map_moments;
pub mod memorisation;
pub mod minkowski;
pub mod pdf;
pub mod peaks;
pub mod power_spectrum;
pub mod spectra;

pub use comparison::{compare_fields, CompareOptions, FieldComparison};
pub use diagnostics::{batch_diagnostics, BatchDiagnostics};
pub use power_spectrum::{power_spectrum, PlaneBins, PowerSpectrum};
