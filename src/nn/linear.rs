use super::init::{seed_for, Init};
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
        let weight = format!("{name}.weight");
        let b = store.backend().clone();
        store.add(&weight, init.tensor(&b, &[fan_out, fan_in], None, seed_for(seed, &weight))?)?;
        let bias = if bias {
            let bname = format!("{name}.bias");
            store.add(
                &bname,
                Init::LecunUniform.tensor(&b, &[fan_out], Some(fan_in), seed_for(seed, &bname))?,
            )?;
            Some(bname)
        } else {
            None
        };
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
