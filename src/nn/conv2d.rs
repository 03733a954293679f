use super::init::{add_weight_and_bias, Init};
use super::ParamStore;
use crate::autodiff::{Tape, Var};
use crate::backend::Backend;
use crate::error::Result;
use crate::ops::Conv2dOptions;

/// The parameters a convolution layer owns: weights `<name>.weight` and, optionally,
/// thresholds `<name>.bias` [c_out].
#[derive(Clone, Debug)]
pub struct ConvParams {
    pub weight: String,
    pub bias: Option<String>,
    pub c_in: usize,
    pub c_out: usize,
    pub kernel: (usize, usize),
}

impl ConvParams {
    /// Weights of `shape` from `init`; the bias from PyTorch's default U(±1/√fan_in); both
    /// seeded by name.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new<B: Backend>(
        store: &mut ParamStore<B>,
        name: &str,
        shape: [usize; 4],
        (c_in, c_out): (usize, usize),
        bias_fan_in: Option<usize>,
        init: Init,
        seed: u64,
    ) -> Result<Self> {
        let (weight, bias) = add_weight_and_bias(store, name, &shape, bias_fan_in.map(|f| (c_out, f)), init, seed)?;
        Ok(ConvParams {
            weight,
            bias,
            c_in,
            c_out,
            kernel: (shape[2], shape[3]),
        })
    }
    /// The weight and bias registered on `tape`.
    pub fn vars<'t, B: Backend>(&self, store: &ParamStore<B>, tape: &'t Tape<B>) -> Result<(Var<'t, B>, Option<Var<'t, B>>)> {
        let w = store.var(tape, &self.weight)?;
        let b = self.bias.as_ref().map(|n| store.var(tape, n)).transpose()?;
        Ok((w, b))
    }
}

/// A 2-D convolution layer (see `ops/conv2d.rs`): weights [out, in, kh, kw], bias [out].
#[derive(Clone, Debug)]
pub struct Conv2d {
    pub params: ConvParams,
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
        let fan_in = bias.then_some(c_in * kernel.0 * kernel.1);
        let params = ConvParams::new(store, name, shape, (c_in, c_out), fan_in, init, seed)?;
        Ok(Conv2d { params, options })
    }
    pub fn forward<'t, B: Backend>(&self, store: &ParamStore<B>, x: Var<'t, B>) -> Result<Var<'t, B>> {
        let (w, b) = self.params.vars(store, x.tape())?;
        x.conv2d(w, b, self.options)
    }
}
