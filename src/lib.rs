//! # cosmograd
//!
//! A from-scratch numerical engine with hand-written reverse-mode autodiff, on which
//! cosmology models are written directly. Layers, top to bottom (data flows down, never up):
//! `cli` → `models` → [`nn`] → [`ops`] + [`autodiff`] → [`backend`].
//!
//! ```
//! use cosmograd::prelude::*;
//!
//! let tape = Tape::new(Cpu::<f64>::default());
//! let x = tape.leaf(Tensor::from_f64(tape.backend(), &[1.0, -2.0, 3.0], &[3]).unwrap());
//! let loss = x.square().unwrap().sum().unwrap(); // E = Σ x²
//! let grads = tape.backward(loss).unwrap();
//! let g = grads.wrt(x).unwrap().to_vec_f64(tape.backend()).unwrap();
//! assert_eq!(g, vec![2.0, -4.0, 6.0]); // ∂E/∂x = 2x
//! ```

// Ops are methods named like the arithmetic they record (`a.add(b)?`); they return `Result`,
// so the std operator traits do not fit. Backend transfers take `&self` (a GPU needs its device).
#![allow(clippy::should_implement_trait, clippy::wrong_self_convention)]

pub mod autodiff;
pub mod backend;
pub mod cli;
pub mod data;
pub mod error;
pub mod eval;
pub mod models;
pub mod nn;
pub mod ops;
pub mod teach;
pub mod tensor;

pub use error::{Error, Result};

/// The names most programs need.
pub mod prelude {
    pub use crate::autodiff::{Grads, Tape, Var};
    pub use crate::backend::{Backend, Cpu};
    pub use crate::error::{Error, Result};
    pub use crate::ops::{GmmOptions, Reduction};
    pub use crate::tensor::Tensor;
}
