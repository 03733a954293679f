//! Losses: mean squared error (the thesis's square loss E = ½ Σ (Y − y)², up to the ½ and the
//! mean), binary cross-entropy on probabilities (the report's GAN: sigmoid + BCE) and on logits
//! (stable), and categorical cross-entropy.
//!
//! The pointwise losses ℓ(p, t) and their derivatives ∂ℓ/∂p sit side by side in
//! `backend/cpu/loss.rs`:
//!   squared error   ℓ = (p − t)²                         ∂ℓ/∂p = 2 (p − t)
//!   BCE             ℓ = −[t ln p + (1 − t) ln(1 − p)]     ∂ℓ/∂p = (p − t) / (p (1 − p))
//!   BCE on logits   ℓ = max(x,0) − x t + ln(1 + e^{−|x|}) ∂ℓ/∂x = σ(x) − t
//! The mean divides by n, so each element's gradient carries 1/n. Every loss also has a
//! gradient with respect to its target t (as in PyTorch; amortised inference and adversarial
//! checks use it): −∂ℓ/∂p for the squared error, ℓ(p, 1) − ℓ(p, 0) for the BCEs (affine in t).

use crate::autodiff::{BackwardCtx, BackwardRule, Var};
use crate::backend::{AxisDims, Backend, Bcast, BinaryOp, LossKind, UnaryOp};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// How per-element losses are combined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Reduction {
    #[default]
    Mean,
    Sum,
    /// One loss per element, in the input's shape.
    None,
}

struct PointwiseLoss {
    kind: LossKind,
    reduction: Reduction,
}

fn loss_name(kind: LossKind) -> &'static str {
    match kind {
        LossKind::SquaredError => "mse",
        LossKind::BceProb => "bce",
        LossKind::BceLogits => "bce_with_logits",
    }
}

impl<B: Backend> BackwardRule<B> for PointwiseLoss {
    fn name(&self) -> &str {
        loss_name(self.kind)
    }
    fn backward(&self, c: &BackwardCtx<'_, B>) -> Result<Vec<Option<Tensor<B>>>> {
        let be = c.backend;
        let (p, t) = (c.inputs[0], c.inputs[1]);
        let n = p.numel();
        // The upstream gradient per element: g/n (mean), g (sum) or g_i (none).
        let (g, map) = match self.reduction {
            Reduction::Mean => (be.unary(UnaryOp::MulScalar(1.0 / n as f64), c.grad.storage())?, Bcast::scalar()),
            Reduction::Sum => (c.grad.storage().clone(), Bcast::scalar()),
            Reduction::None => (c.grad.storage().clone(), Bcast::full(n)),
        };
        let gp = be.pointwise_loss_backward(self.kind, p.storage(), t.storage(), &g, map)?;
        let gt = if c.needs[1] {
            Some(match self.kind {
                // ∂ℓ/∂t = −2 (p − t) = −∂ℓ/∂p.
                LossKind::SquaredError => be.unary(UnaryOp::Neg, &gp)?,
                // Both BCEs are affine in t, ℓ(p, t) = t ℓ(p, 1) + (1 − t) ℓ(p, 0), so
                // ∂ℓ/∂t = ℓ(p, 1) − ℓ(p, 0): −[ln p − ln(1 − p)] with the same ln floors as the
                // forward (probabilities), −x (logits). The loss kernel computes both ends.
                LossKind::BceProb | LossKind::BceLogits => {
                    let (one, zero) = (be.fill(n, 1.0)?, be.fill(n, 0.0)?);
                    let l1 = be.pointwise_loss(self.kind, p.storage(), &one)?;
                    let l0 = be.pointwise_loss(self.kind, p.storage(), &zero)?;
                    let d = be.binary(BinaryOp::Sub, &l1, Bcast::full(n), &l0, Bcast::full(n), n)?;
                    be.binary(BinaryOp::Mul, &g, map, &d, Bcast::full(n), n)?
                }
            })
        } else {
            None
        };
        Ok(vec![
            c.needs[0].then(|| Tensor::from_storage(gp, p.shape().to_vec())),
            gt.map(|g| Tensor::from_storage(g, t.shape().to_vec())),
        ])
    }
}

fn pointwise<'t, B: Backend>(kind: LossKind, pred: Var<'t, B>, target: Var<'t, B>, reduction: Reduction) -> Result<Var<'t, B>> {
    let name = loss_name(kind);
    let (p, t) = (pred.value(), target.value());
    if p.shape() != t.shape() {
        return Err(Error::shape(
            name,
            p.shape(),
            t.shape(),
            "prediction and target must have the same shape",
        ));
    }
    let n = p.numel();
    // The mean of no losses is 0/0; `mean()` of an empty tensor is an error, and so is this.
    if n == 0 && reduction == Reduction::Mean {
        return Err(empty_batch(name, p.shape()));
    }
    let be = pred.backend();
    let per = be.pointwise_loss(kind, p.storage(), t.storage())?;
    let (value, shape) = match reduction {
        Reduction::None => (per, p.shape().to_vec()),
        Reduction::Sum | Reduction::Mean => {
            let s = be.sum_axis(&per, AxisDims { outer: 1, n, inner: 1 })?;
            let s = if reduction == Reduction::Mean {
                be.unary(UnaryOp::MulScalar(1.0 / n as f64), &s)?
            } else {
                s
            };
            (s, vec![])
        }
    };
    pred.tape.record(
        PointwiseLoss { kind, reduction },
        &[pred, target],
        Tensor::from_storage(value, shape),
    )
}

fn empty_batch(op: &'static str, shape: &[usize]) -> Error {
    Error::invalid(
        op,
        format!("the batch is empty (shape {shape:?}): a mean over no samples is undefined; skip empty batches"),
    )
}

/// Mean squared error, mean over all elements of (p − t)²: the alias of
/// `pred.mse(target, Reduction::Mean)` ([`Var::mse`]).
pub fn mse<'t, B: Backend>(pred: Var<'t, B>, target: Var<'t, B>) -> Result<Var<'t, B>> {
    pointwise(LossKind::SquaredError, pred, target, Reduction::Mean)
}

/// Binary cross-entropy on probabilities p ∈ (0, 1); ln p is floored at −100 as in PyTorch.
/// The alias of [`Var::bce`].
pub fn bce<'t, B: Backend>(p: Var<'t, B>, target: Var<'t, B>, reduction: Reduction) -> Result<Var<'t, B>> {
    pointwise(LossKind::BceProb, p, target, reduction)
}

/// Binary cross-entropy on logits x (p = σ(x)), stable for any x. The alias of
/// [`Var::bce_with_logits`].
pub fn bce_with_logits<'t, B: Backend>(x: Var<'t, B>, target: Var<'t, B>, reduction: Reduction) -> Result<Var<'t, B>> {
    pointwise(LossKind::BceLogits, x, target, reduction)
}

/// Squared error with a chosen reduction: the alias of [`Var::mse`].
pub fn squared_error<'t, B: Backend>(pred: Var<'t, B>, target: Var<'t, B>, reduction: Reduction) -> Result<Var<'t, B>> {
    pointwise(LossKind::SquaredError, pred, target, reduction)
}

/// Categorical cross-entropy of logits [N, C] against class indices, averaged over N:
/// E = −(1/N) Σ_i ln softmax(x_i)_{t_i}. Composed from log_softmax, a product with the
/// one-hot labels and a sum, so its gradient, (softmax(x) − onehot)/N, comes from theirs.
pub fn cross_entropy<'t, B: Backend>(logits: Var<'t, B>, labels: &[usize]) -> Result<Var<'t, B>> {
    let s = logits.shape();
    if s.len() != 2 || s[0] != labels.len() {
        return Err(Error::shape(
            "cross_entropy",
            &s,
            &[labels.len()],
            "expected logits [N, C] and N labels",
        ));
    }
    let (n, c) = (s[0], s[1]);
    if n == 0 {
        return Err(empty_batch("cross_entropy", &s));
    }
    let mut onehot = vec![0.0; n * c];
    for (i, &l) in labels.iter().enumerate() {
        if l >= c {
            return Err(Error::invalid(
                "cross_entropy",
                format!("label {l} at row {i} is not below the class count {c}"),
            ));
        }
        onehot[i * c + l] = 1.0;
    }
    let t = logits.tape.input_f64(&onehot, &[n, c])?;
    cross_entropy_soft(logits, t)
}

/// Cross-entropy against target distributions t [N, C] (rows summing to 1).
pub fn cross_entropy_soft<'t, B: Backend>(logits: Var<'t, B>, target: Var<'t, B>) -> Result<Var<'t, B>> {
    let (sl, st) = (logits.shape(), target.shape());
    if sl.len() != 2 || sl != st {
        return Err(Error::shape(
            "cross_entropy",
            &sl,
            &st,
            "expected logits [N, C] and target distributions of the same shape",
        ));
    }
    let n = sl[0];
    if n == 0 {
        return Err(empty_batch("cross_entropy", &sl));
    }
    logits.log_softmax()?.mul(target)?.sum()?.mul_scalar(-1.0 / n as f64)
}

/// The losses as methods of the prediction (`pred.mse(target, Reduction::Mean)?`); the free
/// functions above are their aliases.
impl<'t, B: Backend> Var<'t, B> {
    /// Squared error (p − t)², reduced by `reduction` (`Mean` is PyTorch's `MSELoss()`).
    pub fn mse(self, target: Self, reduction: Reduction) -> Result<Self> {
        pointwise(LossKind::SquaredError, self, target, reduction)
    }
    /// Binary cross-entropy of probabilities `self` against `target` (see [`bce`]).
    pub fn bce(self, target: Self, reduction: Reduction) -> Result<Self> {
        pointwise(LossKind::BceProb, self, target, reduction)
    }
    /// Binary cross-entropy of logits `self` against `target` (see [`bce_with_logits`]).
    pub fn bce_with_logits(self, target: Self, reduction: Reduction) -> Result<Self> {
        pointwise(LossKind::BceLogits, self, target, reduction)
    }
    /// Cross-entropy of logits [N, C] against class indices, mean over N (see [`cross_entropy`]).
    pub fn cross_entropy(self, labels: &[usize]) -> Result<Self> {
        cross_entropy(self, labels)
    }
    /// Cross-entropy of logits [N, C] against target distributions (see [`cross_entropy_soft`]).
    pub fn cross_entropy_soft(self, target: Self) -> Result<Self> {
        cross_entropy_soft(self, target)
    }
}
