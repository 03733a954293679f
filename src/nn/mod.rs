//! Layers, parameters, initialisers, optimisers and checkpoints.
//!
//! A layer owns the *names* of its parameters; the values live in a [`ParamStore`]. A forward
//! pass registers the parameters it uses on the tape (`store.var(tape, name)`), so one store
//! serves any number of tapes, and an optimiser updates the store from the gradients by name.

pub mod checkpoint;
mod dropout;
pub mod init;
mod linear;
pub mod optim;
mod store;

// Image layers.
mod batchnorm;
mod conv2d;
mod conv_transpose2d;
mod groupnorm;
mod pool;
mod upsample;

pub use dropout::Dropout;
pub use init::Init;
pub use linear::Linear;
pub use optim::{Adam, AdamConfig, LrSchedule, Optim, Optimizer, Sgd, SgdConfig, StepReport, UpdateRule};
pub use store::ParamStore;

pub use batchnorm::{BatchNorm, BatchNorm1d, BatchNorm2d};
pub use conv2d::{Conv2d, ConvParams};
pub use conv_transpose2d::ConvTranspose2d;
pub use groupnorm::GroupNorm;
pub use pool::{AvgPool2d, GlobalAvgPool2d, MaxPool2d};
pub use upsample::Upsample;
