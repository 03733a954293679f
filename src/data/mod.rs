//! Data: the linear power spectrum, Fourier grids and Gaussian random fields; the CAMELS
//! parameters, the synthetic CMD simulator and the CAMELS Multifield Dataset loader; the
//! Quijote-like lognormal simulator, density slices on disk and their transform to a model's
//! [−1, 1]. Plain `ndarray` code, no tape.

pub mod atomic;
pub mod cmd;
pub mod fourier;
pub mod grf;
pub mod params;
pub mod quijote;
pub mod slices;
pub mod spectrum;
pub mod synthetic;
pub mod transform;
