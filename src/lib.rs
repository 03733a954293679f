//! # cosmograd
//!
//! A from-scratch numerical engine with hand-written reverse-mode autodiff, on which
//! cosmology models are written directly. Layers, top to bottom (data flows down, never up):
//! `cli` → [`train`] → `models` → [`nn`] → [`ops`] + [`autodiff`] → [`backend`].
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
//!
//! ## The surface in one example
//!
//! Every differentiable op is a method on [`Var`](autodiff::Var) (the free functions in
//! [`ops`] are thin aliases kept for existing code); options are builders; lookups that can
//! miss return `Result` ([`Grads::wrt`](autodiff::Grads::wrt),
//! [`Grads::try_param`](autodiff::Grads::try_param)); every op returns `Result`, so `?` works
//! in a function returning `cosmograd::Result`.
//!
//! ```
//! use cosmograd::prelude::*;
//!
//! fn main() -> Result<()> {
//!     let tape = Tape::new(Cpu::<f64>::default());
//!     let be = tape.backend();
//!     // A batch of two 1-channel 4×4 images, a 3×3 kernel and a target per image.
//!     let x = tape.input(Tensor::from_f64(be, &(0..32).map(|i| (i as f64 * 0.37).sin()).collect::<Vec<_>>(), &[2, 1, 4, 4])?);
//!     let w = tape.leaf(Tensor::from_f64(be, &[0.1, -0.2, 0.3, 0.0, 0.5, -0.1, 0.2, 0.1, -0.3], &[1, 1, 3, 3])?);
//!     let y = tape.input_f64(&[0.5, -0.5], &[2, 1])?;
//!
//!     // Periodic maps: circular padding by hand, then a valid convolution (the same as
//!     // `Conv2dOptions::default().padding(Padding::Same).mode(PadMode::Circular)`).
//!     let h = x.pad(&[(1, 1), (1, 1)], PadFill::Circular)?;
//!     let h = h.conv2d(w, None, Conv2dOptions::default().stride(1).padding(Padding::Valid))?;
//!     let h = h.relu()?.maxpool2d(2, 2)?; // [2, 1, 2, 2]
//!     let out = h.reshape(&[2, 4])?.logsumexp(1, true)?; // [2, 1], ln Σ exp per image
//!
//!     // Losses are methods too, with a reduction.
//!     let loss = out.mse(y, Reduction::Mean)?;
//!     let grads = tape.backward(loss)?;
//!     assert_eq!(grads.wrt(w)?.shape(), &[1, 1, 3, 3]);
//!     assert!(grads.wrt(x).is_err()); // data takes no gradient: an error, not a panic
//!     assert!(grads.try_param("nope").is_err());
//!
//!     // A vector–Jacobian product from a non-scalar output: `backward_seeded`.
//!     let tape = Tape::new(Cpu::<f64>::default());
//!     let a = tape.leaf(Tensor::from_f64(tape.backend(), &[1.0, 2.0, 3.0], &[3])?);
//!     let b = a.square()?;
//!     let seed = Tensor::from_f64(tape.backend(), &[1.0, 0.0, -1.0], &[3])?;
//!     let g = tape.backward_seeded(b, seed)?;
//!     assert_eq!(g.wrt(a)?.to_vec_f64(tape.backend())?, vec![2.0, 0.0, -6.0]);
//!     Ok(())
//! }
//! ```
//!
//! The mixture NLL and the BCEs take a gradient with respect to their targets as well:
//!
//! ```
//! use cosmograd::prelude::*;
//!
//! # fn main() -> Result<()> {
//! let tape = Tape::new(Cpu::<f64>::default());
//! let logits = tape.leaf(Tensor::from_f64(tape.backend(), &[0.2, -0.1], &[1, 2])?);
//! let means = tape.leaf(Tensor::from_f64(tape.backend(), &[0.0, 1.0], &[1, 2, 1])?);
//! let raw_sigma = tape.leaf(Tensor::from_f64(tape.backend(), &[0.3, -0.2], &[1, 2, 1])?);
//! let target = tape.leaf(Tensor::from_f64(tape.backend(), &[0.4], &[1, 1])?);
//! let opts = GmmOptions::default().sigma(SigmaParam::Softplus { floor: 1e-3 });
//! let nll = logits.gmm_nll(means, raw_sigma, target, opts)?.mean()?;
//! let g = tape.backward(nll)?;
//! // ∂E/∂y = −Σ_k ∂E/∂μ_k.
//! let gy = g.wrt(target)?.to_vec_f64(tape.backend())?[0];
//! let gm: f64 = g.wrt(means)?.to_vec_f64(tape.backend())?.iter().sum();
//! assert!((gy + gm).abs() < 1e-12);
//! # Ok(())
//! # }
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
pub mod train;

pub use error::{Error, Result};

/// The names most programs need.
pub mod prelude {
    pub use crate::autodiff::{Grads, Tape, Var};
    pub use crate::backend::SigmaParam;
    pub use crate::backend::{Backend, Cpu};
    pub use crate::error::{Error, Result};
    pub use crate::ops::{Conv2dOptions, ConvTranspose2dOptions, GmmOptions, PadFill, PadMode, Padding, Reduction};
    pub use crate::tensor::Tensor;
}
