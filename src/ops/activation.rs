//! Activation functions (thesis eqs. 44–46), each h = f(X) with its derivative f'(X):
//!
//! | f | forward h = f(X) | backward ∂E/∂X = ∂E/∂h · f'(X) |
//! |---|---|---|
//! | relu | max(0, X) | 1 if X > 0 else 0 |
//! | leaky_relu(α) | X if X > 0 else αX | 1 if X > 0 else α |
//! | sigmoid | 1 / (1 + e^{−X}) | h (1 − h) |
//! | tanh | (eˣ − e^{−X}) / (eˣ + e^{−X}) | 1 − h² |
//! | softplus | ln(1 + eˣ) | σ(X) |
//! | silu | X σ(X) | σ(X) (1 + X (1 − σ(X))) |
//!
//! NaN propagates through every one of them, in the value and the gradient (f'(NaN) = NaN),
//! so the guard sees it; see notes/activation.md, "NaN in, NaN out".
//!
//! The kernels are `apply`/`derivative` in `backend/cpu/elementwise.rs`; the rule is
//! [`Map`](super::unary::Map). Derivation: `notes/activation.md`.

use super::unary::map;
use crate::autodiff::Var;
use crate::backend::{Backend, UnaryOp};
use crate::error::Result;

impl<'t, B: Backend> Var<'t, B> {
    pub fn relu(self) -> Result<Self> {
        map("relu", UnaryOp::Relu, self)
    }
    pub fn leaky_relu(self, alpha: f64) -> Result<Self> {
        map("leaky_relu", UnaryOp::LeakyRelu(alpha), self)
    }
    pub fn sigmoid(self) -> Result<Self> {
        map("sigmoid", UnaryOp::Sigmoid, self)
    }
    pub fn tanh(self) -> Result<Self> {
        map("tanh", UnaryOp::Tanh, self)
    }
    pub fn softplus(self) -> Result<Self> {
        map("softplus", UnaryOp::Softplus, self)
    }
    /// SiLU (swish) X·σ(X), the activation of the DDPM's U-Net.
    pub fn silu(self) -> Result<Self> {
        map("silu", UnaryOp::Silu, self)
    }
}
