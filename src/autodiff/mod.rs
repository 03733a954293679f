//! The tape: define-by-run reverse-mode automatic differentiation.
//!
//! Every op appends a [`Node`] holding its output value, its inputs and a [`BackwardRule`];
//! [`Tape::backward`] walks the nodes in reverse and calls each rule with the gradient that
//! arrived at its output, summing contributions where a value feeds several consumers.

pub mod dot;
pub mod gradcheck;
mod grads;
mod tape;
pub mod trace;
mod var;

pub use dot::DotOutput;
pub use grads::Grads;
pub use tape::{BackwardCtx, BackwardObserver, BackwardRule, Node, NodeKind, Tape};
pub use trace::Trace;
pub use var::Var;
