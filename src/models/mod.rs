//! Models written from the source reports (DESIGN.md, "Models written from the source
//! reports"), built from the layers of [`crate::nn`] and generic over the backend.
//!
//! MDNs for parameter inference: `mdn_cnn.rs` (the thesis's network), `mdn_periodic.rs` (a
//! stronger one for periodic maps), their shared `mixture_head.rs`, and `mdn.rs` (either trunk
//! behind one type, described by a JSON architecture record). The DDPM for density fields:
//! `unet.rs` (the noise predictor) and `ddpm.rs` (schedule, loss, samplers); the GAN:
//! `gan.rs` (the report's MLP GAN and a DCGAN).

pub mod ddpm;
pub mod gan;
pub mod mdn;
pub mod mdn_cnn;
pub mod mdn_periodic;
pub mod mixture_head;
pub mod unet;

pub use ddpm::{Ddpm, DdpmConfig, Sampler, Schedule};
pub use gan::{Discriminator, Gan, GanArch, GanArchitecture, Generator};
pub use mdn::{ArchKind, Mdn, MdnArchitecture, Target};
pub use mdn_cnn::{MdnCnn, MdnCnnConfig};
pub use mdn_periodic::{MdnPeriodic, MdnPeriodicConfig};
pub use mixture_head::{MixtureHead, MixtureParams};
pub use unet::{UNet, UNetConfig};
