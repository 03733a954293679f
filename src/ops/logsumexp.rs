//! logsumexp along an axis: y = ln Σ_j exp(x_j), computed as m + ln Σ_j exp(x_j − m) with
//! m = max_j x_j so that no exponential overflows (`Backend::logsumexp_axis`).
//!
//! ∂y/∂x_j = exp(x_j) / Σ_i exp(x_i) = exp(x_j − y) = softmax_j, so the backward is
//!   ∂E/∂x_j = g · exp(x_j − y)
//! with g = ∂E/∂y copied along the reduced axis (`expand_axis`). The saved output y is the
//! only statistic the backward needs. Derivation: notes/logsumexp.md.

use super::reduce::axis_dims;
use crate::autodiff::{BackwardCtx, BackwardRule, Var};
use crate::backend::{AxisDims, Backend, Bcast, BinaryOp, UnaryOp};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

struct LogSumExp {
    dims: AxisDims,
}

impl<B: Backend> BackwardRule<B> for LogSumExp {
    fn name(&self) -> &str {
        "logsumexp"
    }
    fn backward(&self, c: &BackwardCtx<'_, B>) -> Result<Vec<Option<Tensor<B>>>> {
        let be = c.backend;
        let len = c.inputs[0].numel();
        let full = Bcast::full(len);
        let y = be.expand_axis(c.output.storage(), self.dims)?;
        let g = be.expand_axis(c.grad.storage(), self.dims)?;
        let d = be.binary(BinaryOp::Sub, c.inputs[0].storage(), full, &y, full, len)?;
        let softmax = be.unary(UnaryOp::Exp, &d)?;
        let dx = be.binary(BinaryOp::Mul, &g, full, &softmax, full, len)?;
        Ok(vec![Some(Tensor::from_storage(dx, c.inputs[0].shape().to_vec()))])
    }
}

/// ln Σ exp(x) along `axis`, which is removed (or kept as size 1 with `keepdim`), as
/// `torch.logsumexp(x, dim, keepdim)`. An empty axis is an error (its value would be −∞).
pub fn logsumexp<'t, B: Backend>(x: Var<'t, B>, axis: usize, keepdim: bool) -> Result<Var<'t, B>> {
    let s = x.shape();
    let (dims, out_shape) = axis_dims("logsumexp", &s, Some(axis), keepdim)?;
    if dims.n == 0 {
        return Err(Error::invalid("logsumexp", format!("axis {axis} of shape {s:?} is empty")));
    }
    let y = x.backend().logsumexp_axis(x.value().storage(), dims)?;
    x.tape.record(LogSumExp { dims }, &[x], Tensor::from_storage(y, out_shape))
}

impl<'t, B: Backend> Var<'t, B> {
    /// ln Σ exp(x) along `axis` without overflow (see [`logsumexp`]).
    pub fn logsumexp(self, axis: usize, keepdim: bool) -> Result<Self> {
        logsumexp(self, axis, keepdim)
    }
}
