//! Models written from the source reports (DESIGN.md, "Models written from the source
//! reports"), built from the layers of [`crate::nn`] and generic over the backend.

pub mod ddpm;
pub mod mdn_cnn;
pub mod unet;

pub use ddpm::{Ddpm, DdpmConfig, Sampler, Schedule};
pub use mdn_cnn::{MdnCnn, MdnCnnConfig, MixtureParams};
pub use unet::{UNet, UNetConfig};
