use super::Var;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use std::collections::HashMap;

/// The gradients a backward pass produced: ∂E/∂v for the leaves (inputs and parameters) and,
/// if the tape was told to retain them, for every intermediate value.
pub struct Grads<B: Backend> {
    pub(crate) grads: Vec<Option<Tensor<B>>>,
    pub(crate) params: HashMap<String, usize>,
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
    /// The gradient of the parameter registered under `name`.
    pub fn param(&self, name: &str) -> Option<&Tensor<B>> {
        self.params.get(name).and_then(|&id| self.grads[id].as_ref())
    }
    /// Names of the parameters that received a gradient.
    pub fn param_names(&self) -> impl Iterator<Item = &str> {
        self.params
            .iter()
            .filter(|(_, &id)| self.grads[id].is_some())
            .map(|(n, _)| n.as_str())
    }
    pub fn by_id(&self, id: usize) -> Option<&Tensor<B>> {
        self.grads.get(id).and_then(|g| g.as_ref())
    }
}
