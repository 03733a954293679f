//! Models written from the source reports (DESIGN.md, "Models written from the source
//! reports"), built from the layers of [`crate::nn`] and generic over the backend.

pub mod mdn_cnn;

pub use mdn_cnn::{MdnCnn, MdnCnnConfig, MixtureParams};
