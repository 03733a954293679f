use super::ParamStore;
use crate::autodiff::Var;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::ops::groupnorm::groupnorm;
use crate::tensor::Tensor;

/// Group normalisation (see `ops/groupnorm.rs`) of [N, C, H, W] in `groups` groups: γ
/// `<name>.weight` (ones) and β `<name>.bias` (zeros), per channel. The same computation on
/// training and evaluation tapes: it has no running statistics.
#[derive(Clone, Debug)]
pub struct GroupNorm {
    pub gamma: String,
    pub beta: String,
    pub channels: usize,
    pub groups: usize,
    pub eps: f64,
}

impl GroupNorm {
    /// PyTorch's default ε = 1e-5.
    pub fn new<B: Backend>(store: &mut ParamStore<B>, name: &str, channels: usize, groups: usize) -> Result<Self> {
        if groups == 0 || !channels.is_multiple_of(groups) {
            return Err(Error::invalid(
                "groupnorm",
                format!("layer `{name}`: {groups} groups do not divide {channels} channels"),
            ));
        }
        let b = store.backend().clone();
        let l = GroupNorm {
            gamma: format!("{name}.weight"),
            beta: format!("{name}.bias"),
            channels,
            groups,
            eps: 1e-5,
        };
        store.add(&l.gamma, Tensor::full(&b, &[channels], 1.0)?)?;
        store.add(&l.beta, Tensor::zeros(&b, &[channels])?)?;
        Ok(l)
    }
    /// The largest number of groups not above `max_groups` that divides `channels` (10
    /// channels with at most 8 groups: 5 groups of 2).
    pub fn groups_for(channels: usize, max_groups: usize) -> usize {
        (1..=max_groups.min(channels).max(1))
            .rev()
            .find(|g| channels.is_multiple_of(*g))
            .unwrap_or(1)
    }
    pub fn forward<'t, B: Backend>(&self, store: &ParamStore<B>, x: Var<'t, B>) -> Result<Var<'t, B>> {
        let tape = x.tape();
        groupnorm(
            x,
            store.var(tape, &self.gamma)?,
            store.var(tape, &self.beta)?,
            self.groups,
            self.eps,
        )
    }
}
