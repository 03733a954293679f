//! Differentiable ops: one file per op family, each forward beside its backward rule, so that
//! a reader sees the chain rule next to the computation it differentiates. Each file has a
//! derivation in `notes/` and gradient checks in `ops/cases.rs` (run by `cosmograd gradcheck`
//! and by the tests).
//!
//! Every op is a function taking `Var`s and also a method on [`Var`](crate::autodiff::Var);
//! shapes are checked before any kernel runs, with an error naming the op and the shapes.

pub mod activation;
pub mod arithmetic;
mod broadcast;
pub mod cases;
pub mod dropout;
pub mod gmm_nll;
pub mod linear;
pub mod logsumexp;
pub mod loss;
pub mod matmul;
pub mod reduce;
pub mod shape;
pub mod softmax;
pub mod unary;

// Image ops.
pub mod batchnorm;
pub mod conv2d;
pub mod conv_transpose2d;
pub mod groupnorm;
mod image_cases;
pub mod pad;
pub mod pool2d;
pub mod upsample;

pub use crate::backend::SigmaParam;
pub use broadcast::broadcast_maps;
pub use gmm_nll::GmmOptions;
pub use loss::Reduction;

pub use conv2d::{Conv2dOptions, PadMode, Padding};
pub use conv_transpose2d::ConvTranspose2dOptions;
pub use pad::PadFill;
