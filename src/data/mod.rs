//! Data: the linear power spectrum, Fourier grids and Gaussian random fields; the CAMELS
//! parameters; the synthetic CMD simulator and the CAMELS Multifield Dataset loader. Plain
//! `ndarray` code, no tape.

pub mod atomic;
pub mod cmd;
pub mod fourier;
pub mod grf;
pub mod params;
pub mod spectrum;
pub mod synthetic;
