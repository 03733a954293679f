//! Inverted dropout: in training, y = x ⊙ m with m_i = 0 with probability p and 1/(1 − p)
//! otherwise, so that E[y] = x and evaluation needs no rescaling; in evaluation, y = x.
//! Backward: ∂E/∂x = ∂E/∂y ⊙ m, with the mask m saved by the forward.
//!
//! The mask is drawn by the backend from (tape seed, call count), so a seeded tape replays the
//! same masks on every backend.

use crate::autodiff::{BackwardCtx, BackwardRule, Var};
use crate::backend::{Backend, Bcast, BinaryOp};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

struct Dropout<B: Backend> {
    p: f64,
    /// The mask the forward drew (0 or 1/(1 − p)).
    mask: B::Storage,
}

impl<B: Backend> BackwardRule<B> for Dropout<B> {
    fn name(&self) -> &str {
        "dropout"
    }
    fn detail(&self) -> String {
        format!("p={}", self.p)
    }
    fn backward(&self, c: &BackwardCtx<'_, B>) -> Result<Vec<Option<Tensor<B>>>> {
        let n = c.grad.numel();
        let g = c
            .backend
            .binary(BinaryOp::Mul, c.grad.storage(), Bcast::full(n), &self.mask, Bcast::full(n), n)?;
        Ok(vec![Some(Tensor::from_storage(g, c.grad.shape().to_vec()))])
    }
}

impl<'t, B: Backend> Var<'t, B> {
    /// Dropout with drop probability p ∈ [0, 1); the identity outside training mode.
    pub fn dropout(self, p: f64) -> Result<Self> {
        if !(0.0..1.0).contains(&p) {
            return Err(Error::invalid("dropout", format!("drop probability must be in [0, 1), got {p}")));
        }
        if !self.tape.is_training() || p == 0.0 {
            return Ok(self);
        }
        let be = self.backend();
        let x = self.value();
        let n = x.numel();
        let mask = be.dropout_mask(n, p, self.tape.next_seed())?;
        let y = be.binary(BinaryOp::Mul, x.storage(), Bcast::full(n), &mask, Bcast::full(n), n)?;
        self.tape
            .record(Dropout::<B> { p, mask }, &[self], Tensor::from_storage(y, x.shape().to_vec()))
    }
}
