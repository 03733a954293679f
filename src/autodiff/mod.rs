//! The tape: define-by-run reverse-mode automatic differentiation.
//!
//! Every op appends a [`Node`] holding its output value, its inputs and a [`BackwardRule`];
//! [`Tape::backward`] walks the nodes in reverse and calls each rule with the gradient that
//! arrived at its output, summing contributions where a value feeds several consumers.
//! How it works, step by step: `notes/autodiff.md`.
//!
//! Looking inside a backward pass:
//! - [`Tape::backward_traced`] (or `COSMOGRAD_TRACE=1` with [`Tape::backward`]) returns a
//!   [`Trace`]: every node in reverse order with its op, shapes, the gradient arriving and each
//!   gradient produced, and the contributions summed where a value has several consumers;
//! - [`Tape::to_dot`] / [`Tape::write_dot_png`] draw the tape as a Graphviz picture;
//! - [`gradcheck::gradcheck`] compares the tape with finite differences in f64 for any function
//!   of yours and prints the worst elements as a table ([`gradcheck::Report::table`]).
//!
//! # Adding your own op
//!
//! An op is a forward computation plus a [`BackwardRule`]; both can live outside this crate.
//! Compute the forward value with the backend's kernels, keep in the rule whatever the
//! backward needs, and [`Tape::record`] the result. The rule receives ∂E/∂output and returns
//! ∂E/∂input for each input (`None` where [`BackwardCtx::needs`] says no gradient is wanted).
//! Then check it with [`gradcheck::gradcheck`]. `examples/custom_op.rs` does this for SiLU;
//! `notes/custom_ops.md` walks through it. A minimal op, y = x³ with ∂E/∂x = ∂E/∂y · 3x²:
//!
//! ```
//! use cosmograd::autodiff::gradcheck::{gradcheck, CheckInput, GradcheckOptions};
//! use cosmograd::autodiff::{BackwardCtx, BackwardRule, Var};
//! use cosmograd::backend::{Backend, Bcast, BinaryOp, UnaryOp};
//! use cosmograd::tensor::Tensor;
//!
//! struct Cube;
//! impl<B: Backend> BackwardRule<B> for Cube {
//!     fn name(&self) -> &str {
//!         "cube"
//!     }
//!     fn backward(&self, c: &BackwardCtx<'_, B>) -> cosmograd::Result<Vec<Option<Tensor<B>>>> {
//!         let (be, n) = (c.backend, c.grad.numel());
//!         let three_x2 = be.unary(UnaryOp::MulScalar(3.0), &be.unary(UnaryOp::Square, c.inputs[0].storage())?)?;
//!         let g = be.binary(BinaryOp::Mul, c.grad.storage(), Bcast::full(n), &three_x2, Bcast::full(n), n)?;
//!         Ok(vec![Some(Tensor::from_storage(g, c.grad.shape().to_vec()))])
//!     }
//! }
//!
//! fn cube<'t, B: Backend>(x: Var<'t, B>) -> cosmograd::Result<Var<'t, B>> {
//!     let y = x.backend().unary(UnaryOp::Powf(3.0), x.value().storage())?;
//!     x.tape().record(Cube, &[x], Tensor::from_storage(y, x.shape()))
//! }
//!
//! let x = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[3]), vec![0.5, -1.0, 2.0]).unwrap();
//! let report = gradcheck(|_t, v| cube(v[0]), &[CheckInput::wrt("x", x)], GradcheckOptions::default()).unwrap();
//! assert!(report.passed(), "{}", report.table());
//! ```

pub mod dot;
pub mod gradcheck;
mod grads;
mod tape;
pub mod trace;
mod var;

pub use dot::DotOutput;
pub use grads::Grads;
pub use tape::{BackwardCtx, BackwardObserver, BackwardRule, Node, NodeKind, ParamKey, Tape};
pub use trace::Trace;
pub use var::Var;
