//! Statistics of 2-D fields (science.md §6), validated on fields whose truth is known.

pub mod power_spectrum;

pub use power_spectrum::{power_spectrum, PlaneBins, PowerSpectrum};
