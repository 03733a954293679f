//! softmax and log_softmax along the last axis (thesis eq. 47, with the sum over p = 1…P:
//! erratum in notes/errata.md), max-subtracted so no exponential overflows.
//!
//! Both save their output y for the backward (g = ∂E/∂y):
//!   softmax:      ∂E/∂x_j = y_j (g_j − Σ_i g_i y_i)      (∂y_i/∂x_j = y_i (δ_ij − y_j))
//!   log_softmax:  ∂E/∂x_j = g_j − e^{y_j} Σ_i g_i        (∂y_i/∂x_j = δ_ij − softmax_j)

use crate::autodiff::{BackwardCtx, BackwardRule, Var};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

struct Softmax {
    rows: usize,
    cols: usize,
    log: bool,
}

impl<B: Backend> BackwardRule<B> for Softmax {
    fn name(&self) -> &str {
        if self.log {
            "log_softmax"
        } else {
            "softmax"
        }
    }
    fn backward(&self, c: &BackwardCtx<'_, B>) -> Result<Vec<Option<Tensor<B>>>> {
        // The output y is the saved value the formula needs (it is this node's value).
        let g = c
            .backend
            .softmax_rows_backward(c.output.storage(), c.grad.storage(), self.rows, self.cols, self.log)?;
        Ok(vec![Some(Tensor::from_storage(g, c.output.shape().to_vec()))])
    }
}

fn softmax<'t, B: Backend>(x: Var<'t, B>, log: bool) -> Result<Var<'t, B>> {
    let s = x.shape();
    let cols = *s.last().ok_or_else(|| Error::invalid("softmax", "needs at least one dimension"))?;
    if cols == 0 {
        return Err(Error::invalid("softmax", format!("last axis is empty in shape {s:?}")));
    }
    let rows = x.numel() / cols;
    let y = x.backend().softmax_rows(x.value().storage(), rows, cols, log)?;
    x.tape.record(Softmax { rows, cols, log }, &[x], Tensor::from_storage(y, s))
}

impl<'t, B: Backend> Var<'t, B> {
    /// Softmax along the last axis.
    pub fn softmax(self) -> Result<Self> {
        softmax(self, false)
    }
    /// ln softmax along the last axis, computed directly (never as ln of a softmax).
    pub fn log_softmax(self) -> Result<Self> {
        softmax(self, true)
    }
}
