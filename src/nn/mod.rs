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

pub use dropout::Dropout;
pub use init::Init;
pub use linear::Linear;
pub use optim::{Adam, AdamConfig, LrSchedule, Optim, Optimizer, Sgd, SgdConfig, StepReport, UpdateRule};
pub use store::ParamStore;
