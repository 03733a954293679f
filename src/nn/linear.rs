use super::init::{add_weight_and_bias, Init};
use super::ParamStore;
use crate::autodiff::Var;
use crate::backend::Backend;
use crate::error::Result;

/// A fully connected layer X = h Vᵀ + T (see `ops/linear.rs`), weights `<name>.weight` [out, in]
/// and thresholds `<name>.bias` [out].
#[derive(Clone, Debug)]
pub struct Linear {
    pub weight: String,
    pub bias: Option<String>,
    pub fan_in: usize,
    pub fan_out: usize,
}

impl Linear {
    /// Weights from `init` (biases from PyTorch's default U(±1/√fan_in)), seeded by name.
    pub fn new<B: Backend>(
        store: &mut ParamStore<B>,
        name: &str,
        fan_in: usize,
        fan_out: usize,
        bias: bool,
        init: Init,
        seed: u64,
    ) -> Result<Self> {
        let (weight, bias) = add_weight_and_bias(store, name, &[fan_out, fan_in], bias.then_some((fan_out, fan_in)), init, seed)?;
        Ok(Linear {
            weight,
            bias,
            fan_in,
            fan_out,
        })
    }
    pub fn forward<'t, B: Backend>(&self, store: &ParamStore<B>, x: Var<'t, B>) -> Result<Var<'t, B>> {
        let tape = x.tape();
        let w = store.var(tape, &self.weight)?;
        let b = self.bias.as_ref().map(|n| store.var(tape, n)).transpose()?;
        x.linear(w, b)
    }
}
