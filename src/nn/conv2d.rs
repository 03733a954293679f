use super::init::{add_weight_and_bias, Init};
use super::ParamStore;
use crate::autodiff::Var;
use crate::backend::Backend;
use crate::error::Result;
use crate::ops::Conv2dOptions;

/// A 2-D convolution layer (see `ops/conv2d.rs`): weights `<name>.weight` [out, in, kh, kw],
/// thresholds `<name>.bias` [out].
#[derive(Clone, Debug)]
pub struct Conv2d {
    pub weight: String,
    pub bias: Option<String>,
    pub c_in: usize,
    pub c_out: usize,
    pub kernel: (usize, usize),
    pub options: Conv2dOptions,
}

impl Conv2d {
    /// Weights from `init` (biases from PyTorch's default U(±1/√fan_in)), seeded by name.
    #[allow(clippy::too_many_arguments)]
    pub fn new<B: Backend>(
        store: &mut ParamStore<B>,
        name: &str,
        c_in: usize,
        c_out: usize,
        kernel: (usize, usize),
        options: Conv2dOptions,
        bias: bool,
        init: Init,
        seed: u64,
    ) -> Result<Self> {
        let shape = [c_out, c_in, kernel.0, kernel.1];
        let bias = bias.then_some((c_out, c_in * kernel.0 * kernel.1));
        let (weight, bias) = add_weight_and_bias(store, name, &shape, bias, init, seed)?;
        Ok(Conv2d {
            weight,
            bias,
            c_in,
            c_out,
            kernel,
            options,
        })
    }
    pub fn forward<'t, B: Backend>(&self, store: &ParamStore<B>, x: Var<'t, B>) -> Result<Var<'t, B>> {
        let tape = x.tape();
        let w = store.var(tape, &self.weight)?;
        let b = self.bias.as_ref().map(|n| store.var(tape, n)).transpose()?;
        x.conv2d(w, b, self.options)
    }
}
