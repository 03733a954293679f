//! Pointwise maps y = f(x) and their backward rule ∂E/∂x = ∂E/∂y · f'(x).
//!
//! One rule, [`Map`], serves every pointwise function: the backend's `unary_backward` kernel
//! evaluates f'(x) from x and the saved output y (for exp, sigmoid and tanh the derivative is
//! cheapest from y: eˣ, y(1 − y), 1 − y²). The formulas, side by side, are in
//! `backend/cpu/elementwise.rs` (`apply` and `derivative`).

use crate::autodiff::{BackwardCtx, BackwardRule, Var};
use crate::backend::{Backend, UnaryOp};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// The backward rule of a pointwise map. Saves nothing: x and y are on the tape.
pub struct Map {
    pub name: &'static str,
    pub op: UnaryOp,
}

impl<B: Backend> BackwardRule<B> for Map {
    fn name(&self) -> &str {
        self.name
    }
    fn detail(&self) -> String {
        match self.op {
            UnaryOp::Powf(p) => format!("p={p}"),
            UnaryOp::LeakyRelu(a) => format!("α={a}"),
            UnaryOp::AddScalar(c) | UnaryOp::MulScalar(c) => format!("c={c}"),
            _ => String::new(),
        }
    }
    fn pointwise(&self) -> bool {
        true
    }
    fn backward(&self, c: &BackwardCtx<'_, B>) -> Result<Vec<Option<Tensor<B>>>> {
        // ∂E/∂x_i = ∂E/∂y_i · f'(x_i)
        let g = c
            .backend
            .unary_backward(self.op, c.inputs[0].storage(), c.output.storage(), c.grad.storage())?;
        Ok(vec![Some(Tensor::from_storage(g, c.output.shape().to_vec()))])
    }
}

/// Records y = f(x) for a pointwise f.
pub fn map<'t, B: Backend>(name: &'static str, op: UnaryOp, x: Var<'t, B>) -> Result<Var<'t, B>> {
    let t = x.value();
    let y = x.backend().unary(op, t.storage())?;
    x.tape.record(Map { name, op }, &[x], Tensor::from_storage(y, t.shape().to_vec()))
}

impl<'t, B: Backend> Var<'t, B> {
    /// −x.
    pub fn neg(self) -> Result<Self> {
        map("neg", UnaryOp::Neg, self)
    }
    /// eˣ; f'(x) = eˣ = y.
    pub fn exp(self) -> Result<Self> {
        map("exp", UnaryOp::Exp, self)
    }
    /// ln x; f'(x) = 1/x.
    pub fn log(self) -> Result<Self> {
        map("log", UnaryOp::Log, self)
    }
    /// √x; f'(x) = 1/(2y).
    pub fn sqrt(self) -> Result<Self> {
        map("sqrt", UnaryOp::Sqrt, self)
    }
    /// xᵖ; f'(x) = p xᵖ⁻¹.
    pub fn powf(self, p: f64) -> Result<Self> {
        if !p.is_finite() {
            return Err(Error::invalid("powf", format!("exponent must be finite, got {p}")));
        }
        map("powf", UnaryOp::Powf(p), self)
    }
    /// x²; f'(x) = 2x.
    pub fn square(self) -> Result<Self> {
        map("square", UnaryOp::Square, self)
    }
    /// |x|; f'(x) = sign(x) (0 at 0).
    pub fn abs(self) -> Result<Self> {
        map("abs", UnaryOp::Abs, self)
    }
    /// x + c; f'(x) = 1.
    pub fn add_scalar(self, c: f64) -> Result<Self> {
        map("add_scalar", UnaryOp::AddScalar(c), self)
    }
    /// c·x; f'(x) = c.
    pub fn mul_scalar(self, c: f64) -> Result<Self> {
        map("mul_scalar", UnaryOp::MulScalar(c), self)
    }
}
