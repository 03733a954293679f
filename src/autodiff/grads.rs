use super::{ParamKey, Var};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use std::collections::HashMap;

/// The gradients a backward pass produced: ∂E/∂v for the leaves (inputs and parameters) and,
/// if the tape was told to retain them, for every intermediate value.
pub struct Grads<B: Backend> {
    pub(crate) grads: Vec<Option<Tensor<B>>>,
    pub(crate) params: HashMap<ParamKey, usize>,
}

impl<B: Backend> Grads<B> {
    /// ∂E/∂v, or `None` where no path leads from v to the loss.
    pub fn get(&self, v: Var<'_, B>) -> Option<&Tensor<B>> {
        self.grads.get(v.id).and_then(|g| g.as_ref())
    }
    /// ∂E/∂v, as an error if v did not receive one.
    pub fn wrt(&self, v: Var<'_, B>) -> Result<&Tensor<B>> {
        self.get(v).ok_or_else(|| {
            Error::Tape(format!(
                "no gradient for node {}: it does not require grad, or the loss does not depend on it",
                v.id
            ))
        })
    }
    /// The gradient of the parameter registered under `name`, if one store (or none) used that
    /// name on the tape; with two stores sharing a name use [`Grads::param_of`]
    /// (`ParamStore::grad` does).
    pub fn param(&self, name: &str) -> Option<&Tensor<B>> {
        let mut hits = self.params.iter().filter(|(k, _)| k.name == name);
        match (hits.next(), hits.next()) {
            (Some((_, &id)), None) => self.grads[id].as_ref(),
            _ => None,
        }
    }
    /// The gradient of parameter `name` of the store numbered `store`.
    pub fn param_of(&self, store: u64, name: &str) -> Option<&Tensor<B>> {
        let key = ParamKey {
            store,
            name: name.to_string(),
        };
        self.params.get(&key).and_then(|&id| self.grads[id].as_ref())
    }
    /// [`Grads::param`] as a `Result`: an error naming the parameter when it has no gradient
    /// (never used on the tape, not reaching the loss, or a name two stores share).
    pub fn try_param(&self, name: &str) -> Result<&Tensor<B>> {
        self.param(name).ok_or_else(|| {
            Error::Tape(format!(
                "no gradient for parameter `{name}`: it was not used on this tape, the loss does not depend on it, or two stores share the name (use param_of)"
            ))
        })
    }
    /// Names of the parameters that received a gradient.
    pub fn param_names(&self) -> impl Iterator<Item = &str> {
        self.params
            .iter()
            .filter(|(_, &id)| self.grads[id].is_some())
            .map(|(k, _)| k.name.as_str())
    }
    pub fn by_id(&self, id: usize) -> Option<&Tensor<B>> {
        self.grads.get(id).and_then(|g| g.as_ref())
    }
}
