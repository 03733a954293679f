//! Batch normalisation (thesis §4; derivation in notes/batchnorm.md), per channel c of
//! [N, C, H, W] over the M = N·H·W values (or per feature of [N, F] over the M = N rows):
//!   ĥ = (h − μ_B) / √(σ²_B + ε),   H = γ ĥ + β
//! (erratum: the thesis's eq. 43 applies γ, β to h instead of ĥ).
//!
//! Training mode uses the batch statistics; its backward is the compact three-term form
//!   ∂E/∂h = γ / (M √(σ²_B + ε)) · (M g − Σ g − ĥ Σ g ĥ),  ∂E/∂γ = Σ g ĥ,  ∂E/∂β = Σ g,
//! for which the forward saves μ_B and 1/√(σ²_B + ε). It also returns the batch statistics
//! so that a layer can update its running mean and (unbiased) variance with momentum m:
//!   r ← (1 − m) r + m · stat   (PyTorch's convention; Keras's momentum is 1 − m).
//! Evaluation mode uses the running statistics, composed from broadcast ops (whose gradients
//! are those of an affine map).

use crate::autodiff::{BackwardCtx, BackwardRule, Var};
use crate::backend::{Backend, BatchNormDims, Bcast, BinaryOp, UnaryOp};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// The per-channel statistics of one training batch.
pub struct BatchStats<B: Backend> {
    pub mean: Tensor<B>,
    /// The unbiased variance (divided by M − 1), as running statistics store it.
    pub var: Tensor<B>,
}

fn dims(x: &[usize], gamma: &[usize], eps: f64) -> Result<BatchNormDims> {
    let (n, c, plane) = match x.len() {
        2 => (x[0], x[1], 1),
        4 => (x[0], x[1], x[2] * x[3]),
        _ => return Err(Error::shape("batchnorm", x, gamma, "expected input [N, C, H, W] or [N, F]")),
    };
    if gamma != [c] {
        return Err(Error::shape("batchnorm", x, gamma, "γ, β and the running statistics must be [C]"));
    }
    if eps.is_nan() || eps <= 0.0 {
        return Err(Error::invalid("batchnorm", format!("eps must be positive, got {eps}")));
    }
    Ok(BatchNormDims { n, c, plane, eps })
}

struct BatchNorm<B: Backend> {
    dims: BatchNormDims,
    /// μ_B and 1/√(σ²_B + ε) from the forward.
    mean: B::Storage,
    inv_std: B::Storage,
}

impl<B: Backend> BackwardRule<B> for BatchNorm<B> {
    fn name(&self) -> &str {
        "batchnorm"
    }
    fn detail(&self) -> String {
        format!("C={} M={}", self.dims.c, self.dims.count())
    }
    fn backward(&self, c: &BackwardCtx<'_, B>) -> Result<Vec<Option<Tensor<B>>>> {
        let (x, gamma) = (c.inputs[0], c.inputs[1]);
        let (gx, gg, gb) =
            c.backend
                .batchnorm_backward(x.storage(), c.grad.storage(), gamma.storage(), &self.mean, &self.inv_std, self.dims)?;
        let cs = vec![self.dims.c];
        Ok(vec![
            c.needs[0].then(|| Tensor::from_storage(gx, x.shape().to_vec())),
            c.needs[1].then(|| Tensor::from_storage(gg, cs.clone())),
            c.needs[2].then(|| Tensor::from_storage(gb, cs)),
        ])
    }
}

/// Training mode: normalises with the batch statistics and returns them too. The alias of
/// [`Var::batchnorm_train`].
pub fn batchnorm_train<'t, B: Backend>(
    x: Var<'t, B>,
    gamma: Var<'t, B>,
    beta: Var<'t, B>,
    eps: f64,
) -> Result<(Var<'t, B>, BatchStats<B>)> {
    let d = dims(&x.shape(), &gamma.shape(), eps)?;
    if beta.shape() != [d.c] {
        return Err(Error::shape("batchnorm", &x.shape(), &beta.shape(), "β must be [C]"));
    }
    if d.count() < 2 {
        return Err(Error::shape(
            "batchnorm",
            &x.shape(),
            &gamma.shape(),
            "training needs more than one value per channel",
        ));
    }
    let be = x.backend();
    let (y, mean, inv_std) = be.batchnorm_forward(x.value().storage(), gamma.value().storage(), beta.value().storage(), d)?;
    // Unbiased variance for the running statistics: (inv_std⁻² − ε) · M/(M − 1).
    let m = d.count() as f64;
    let var = be.unary(UnaryOp::AddScalar(-eps), &be.unary(UnaryOp::Powf(-2.0), &inv_std)?)?;
    let var = be.unary(UnaryOp::MulScalar(m / (m - 1.0)), &var)?;
    let stats = BatchStats {
        mean: Tensor::from_storage(mean.clone(), vec![d.c]),
        var: Tensor::from_storage(var, vec![d.c]),
    };
    let rule = BatchNorm::<B> { dims: d, mean, inv_std };
    let y = x.tape.record(rule, &[x, gamma, beta], Tensor::from_storage(y, x.shape()))?;
    Ok((y, stats))
}

/// Evaluation mode: normalises with given (running) statistics, γ (ĥ) + β with
/// ĥ = (h − mean) / √(var + ε). The alias of [`Var::batchnorm_eval`].
pub fn batchnorm_eval<'t, B: Backend>(
    x: Var<'t, B>,
    gamma: Var<'t, B>,
    beta: Var<'t, B>,
    mean: Var<'t, B>,
    var: Var<'t, B>,
    eps: f64,
) -> Result<Var<'t, B>> {
    let s = x.shape();
    let d = dims(&s, &gamma.shape(), eps)?;
    for v in [beta, mean, var] {
        if v.shape() != [d.c] {
            return Err(Error::shape(
                "batchnorm",
                &s,
                &v.shape(),
                "γ, β and the running statistics must be [C]",
            ));
        }
    }
    let per_channel: Vec<usize> = if s.len() == 4 { vec![1, d.c, 1, 1] } else { vec![1, d.c] };
    let r = |v: Var<'t, B>| v.reshape(&per_channel);
    let xhat = x.sub(r(mean)?)?.div(r(var)?.add_scalar(eps)?.sqrt()?)?;
    xhat.mul(r(gamma)?)?.add(r(beta)?)
}

/// r ← (1 − momentum) r + momentum · stat, on the backend.
pub fn running_update<B: Backend>(be: &B, running: &Tensor<B>, stat: &Tensor<B>, momentum: f64) -> Result<Tensor<B>> {
    let n = running.numel();
    let kept = be.unary(UnaryOp::MulScalar(1.0 - momentum), running.storage())?;
    let new = be.unary(UnaryOp::MulScalar(momentum), stat.storage())?;
    let sum = be.binary(BinaryOp::Add, &kept, Bcast::full(n), &new, Bcast::full(n), n)?;
    Ok(Tensor::from_storage(sum, running.shape().to_vec()))
}

impl<'t, B: Backend> Var<'t, B> {
    /// Batch normalisation of `self` with the batch statistics (see [`batchnorm_train`]).
    pub fn batchnorm_train(self, gamma: Self, beta: Self, eps: f64) -> Result<(Self, BatchStats<B>)> {
        batchnorm_train(self, gamma, beta, eps)
    }
    /// Batch normalisation of `self` with given statistics (see [`batchnorm_eval`]).
    pub fn batchnorm_eval(self, gamma: Self, beta: Self, mean: Self, var: Self, eps: f64) -> Result<Self> {
        batchnorm_eval(self, gamma, beta, mean, var, eps)
    }
}
