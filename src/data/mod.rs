//! Data: the linear power spectrum, Gaussian random fields, and (to come) the synthetic
//! simulators and the CAMELS Multifield Dataset loader. Plain `ndarray` code, no tape.

pub mod fourier;
pub mod grf;
pub mod spectrum;
