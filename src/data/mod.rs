//! Data: the linear power spectrum, Gaussian random fields, the Quijote-like lognormal
//! simulator, density slices on disk and their transform to a model's [−1, 1], and (to come)
//! the CAMELS Multifield Dataset simulator and loader. Plain `ndarray` code, no tape.

pub mod fourier;
pub mod grf;
pub mod params;
pub mod quijote;
pub mod slices;
pub mod spectrum;
pub mod synthetic;
pub mod transform;
