//! a ∘ b for ∘ ∈ {+, −, ×, ÷}, with the broadcasts of [`broadcast_maps`](super::broadcast_maps).
//!
//! Backward, with g = ∂E/∂out and Σ_bc the sum over the positions an operand was broadcast to
//! (`Backend::reduce_bcast`):
//!
//! | op | ∂E/∂a | ∂E/∂b |
//! |---|---|---|
//! | a + b | Σ_bc g | Σ_bc g |
//! | a − b | Σ_bc g | −Σ_bc g |
//! | a × b | Σ_bc g b | Σ_bc g a |
//! | a ÷ b | Σ_bc g / b | −Σ_bc g · out / b |

use super::broadcast_maps;
use crate::autodiff::{BackwardCtx, BackwardRule, Var};
use crate::backend::{Backend, Bcast, BinaryOp, UnaryOp};
use crate::error::Result;
use crate::tensor::Tensor;

struct Binary {
    op: BinaryOp,
    a_map: Bcast,
    b_map: Bcast,
}

impl<B: Backend> BackwardRule<B> for Binary {
    fn name(&self) -> &str {
        op_name(self.op)
    }
    fn backward(&self, c: &BackwardCtx<'_, B>) -> Result<Vec<Option<Tensor<B>>>> {
        let be = c.backend;
        let len = c.output.numel();
        let full = Bcast::full(len);
        let (a, b, g) = (c.inputs[0].storage(), c.inputs[1].storage(), c.grad.storage());
        // g ∘ operand, read through the operand's map.
        let times = |op, x: &B::Storage, m| be.binary(op, g, full, x, m, len);
        let ga = c.needs[0]
            .then(|| match self.op {
                BinaryOp::Add | BinaryOp::Sub => Ok(g.clone()),
                BinaryOp::Mul => times(BinaryOp::Mul, b, self.b_map),
                BinaryOp::Div => times(BinaryOp::Div, b, self.b_map),
            })
            .transpose()?;
        let gb = c.needs[1]
            .then(|| match self.op {
                BinaryOp::Add => Ok(g.clone()),
                BinaryOp::Sub => be.unary(UnaryOp::Neg, g),
                BinaryOp::Mul => times(BinaryOp::Mul, a, self.a_map),
                BinaryOp::Div => {
                    let q = be.binary(BinaryOp::Div, c.output.storage(), full, b, self.b_map, len)?;
                    be.unary(UnaryOp::Neg, &be.binary(BinaryOp::Mul, g, full, &q, full, len)?)
                }
            })
            .transpose()?;
        let fold = |g: Option<B::Storage>, m: Bcast, t: &Tensor<B>| {
            g.map(|g| Ok(Tensor::from_storage(be.reduce_bcast(&g, m, len)?, t.shape().to_vec())))
                .transpose()
        };
        Ok(vec![fold(ga, self.a_map, c.inputs[0])?, fold(gb, self.b_map, c.inputs[1])?])
    }
}

fn op_name(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "add",
        BinaryOp::Sub => "sub",
        BinaryOp::Mul => "mul",
        BinaryOp::Div => "div",
    }
}

/// Records a ∘ b.
pub fn binary<'t, B: Backend>(op: BinaryOp, a: Var<'t, B>, b: Var<'t, B>) -> Result<Var<'t, B>> {
    let name = op_name(op);
    let (ta, tb) = (a.value(), b.value());
    let (shape, a_map, b_map) = broadcast_maps(name, ta.shape(), tb.shape())?;
    let len = shape.iter().product();
    let out = a.backend().binary(op, ta.storage(), a_map, tb.storage(), b_map, len)?;
    a.tape
        .record(Binary { op, a_map, b_map }, &[a, b], Tensor::from_storage(out, shape))
}

impl<'t, B: Backend> Var<'t, B> {
    pub fn add(self, other: Self) -> Result<Self> {
        binary(BinaryOp::Add, self, other)
    }
    pub fn sub(self, other: Self) -> Result<Self> {
        binary(BinaryOp::Sub, self, other)
    }
    pub fn mul(self, other: Self) -> Result<Self> {
        binary(BinaryOp::Mul, self, other)
    }
    pub fn div(self, other: Self) -> Result<Self> {
        binary(BinaryOp::Div, self, other)
    }
}
