//! Group normalisation (Wu & He 2018; derivation in notes/groupnorm.md). The C channels of
//! [N, C, H, W] fall into G groups of C/G consecutive channels; each sample's group is
//! normalised over its M = (C/G)·H·W values, then scaled and shifted per channel:
//!   ĥ = (h − μ_{n,g}) / √(σ²_{n,g} + ε),   H = γ_c ĥ + β_c.
//! G = C is instance norm, G = 1 layer norm over (C, H, W). No statistic crosses samples, so
//! training and evaluation compute the same thing and there are no running statistics: what
//! a DDPM wants, whose batches mix noise levels and whose samples are drawn one by one.
//!
//! The backward is the compact three-term form of batch norm with the sums taken over each
//! (sample, group) and h = γ_c g the gradient arriving at ĥ:
//!   ∂E/∂h = 1 / (M √(σ² + ε)) · (M h − Σ h − ĥ Σ h ĥ),  ∂E/∂γ_c = Σ g ĥ,  ∂E/∂β_c = Σ g,
//! for which the forward saves μ and 1/√(σ² + ε) of every (sample, group).

use crate::autodiff::{BackwardCtx, BackwardRule, Var};
use crate::backend::{Backend, GroupNormDims};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// The sizes of a group norm of x [N, C, H, W] (or [N, C]) with γ [C] in G groups.
pub fn groupnorm_dims(x: &[usize], gamma: &[usize], groups: usize, eps: f64) -> Result<GroupNormDims> {
    let (n, c, plane) = match x.len() {
        2 => (x[0], x[1], 1),
        4 => (x[0], x[1], x[2] * x[3]),
        _ => return Err(Error::shape("groupnorm", x, gamma, "expected input [N, C, H, W] or [N, C]")),
    };
    if gamma != [c] {
        return Err(Error::shape("groupnorm", x, gamma, "γ and β must be [C]"));
    }
    if groups == 0 || !c.is_multiple_of(groups) {
        return Err(Error::invalid(
            "groupnorm",
            format!("{groups} groups do not divide {c} channels; choose a divisor of {c}"),
        ));
    }
    if eps.is_nan() || eps <= 0.0 {
        return Err(Error::invalid("groupnorm", format!("eps must be positive, got {eps}")));
    }
    let d = GroupNormDims { n, c, groups, plane, eps };
    if d.count() < 2 {
        return Err(Error::shape(
            "groupnorm",
            x,
            gamma,
            "each group needs more than one value (one channel of one pixel has no variance)",
        ));
    }
    Ok(d)
}

struct GroupNorm<B: Backend> {
    dims: GroupNormDims,
    /// μ and 1/√(σ² + ε) of every (sample, group), from the forward.
    mean: B::Storage,
    inv_std: B::Storage,
}

impl<B: Backend> BackwardRule<B> for GroupNorm<B> {
    fn name(&self) -> &str {
        "groupnorm"
    }
    fn detail(&self) -> String {
        format!("G={} M={}", self.dims.groups, self.dims.count())
    }
    fn backward(&self, c: &BackwardCtx<'_, B>) -> Result<Vec<Option<Tensor<B>>>> {
        let (x, gamma) = (c.inputs[0], c.inputs[1]);
        let (gx, gg, gb) =
            c.backend
                .groupnorm_backward(x.storage(), c.grad.storage(), gamma.storage(), &self.mean, &self.inv_std, self.dims)?;
        let cs = vec![self.dims.c];
        Ok(vec![
            c.needs[0].then(|| Tensor::from_storage(gx, x.shape().to_vec())),
            c.needs[1].then(|| Tensor::from_storage(gg, cs.clone())),
            c.needs[2].then(|| Tensor::from_storage(gb, cs)),
        ])
    }
}

/// H = γ_c ĥ + β_c with ĥ normalised per (sample, group of `groups`).
pub fn groupnorm<'t, B: Backend>(x: Var<'t, B>, gamma: Var<'t, B>, beta: Var<'t, B>, groups: usize, eps: f64) -> Result<Var<'t, B>> {
    let d = groupnorm_dims(&x.shape(), &gamma.shape(), groups, eps)?;
    if beta.shape() != [d.c] {
        return Err(Error::shape("groupnorm", &x.shape(), &beta.shape(), "β must be [C]"));
    }
    let be = x.backend();
    let (y, mean, inv_std) = be.groupnorm_forward(x.value().storage(), gamma.value().storage(), beta.value().storage(), d)?;
    let rule = GroupNorm::<B> { dims: d, mean, inv_std };
    x.tape.record(rule, &[x, gamma, beta], Tensor::from_storage(y, x.shape()))
}

impl<'t, B: Backend> Var<'t, B> {
    /// Group normalisation with per-channel γ and β (see [`groupnorm`]).
    pub fn groupnorm(self, gamma: Var<'t, B>, beta: Var<'t, B>, groups: usize, eps: f64) -> Result<Self> {
        groupnorm(self, gamma, beta, groups, eps)
    }
}
