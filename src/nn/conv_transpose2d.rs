use super::conv2d::ConvParams;
use super::init::Init;
use super::ParamStore;
use crate::autodiff::Var;
use crate::backend::Backend;
use crate::error::Result;
use crate::ops::ConvTranspose2dOptions;

/// A transposed convolution layer (see `ops/conv_transpose2d.rs`): weights [in, out, kh, kw]
/// (PyTorch's layout), bias [out].
#[derive(Clone, Debug)]
pub struct ConvTranspose2d {
    pub params: ConvParams,
    pub options: ConvTranspose2dOptions,
}

impl ConvTranspose2d {
    /// Weights from `init` with fan_in = out·kh·kw (PyTorch's, read off the [in, out, …]
    /// layout), biases from U(±1/√fan_in), seeded by name.
    #[allow(clippy::too_many_arguments)]
    pub fn new<B: Backend>(
        store: &mut ParamStore<B>,
        name: &str,
        c_in: usize,
        c_out: usize,
        kernel: (usize, usize),
        options: ConvTranspose2dOptions,
        bias: bool,
        init: Init,
        seed: u64,
    ) -> Result<Self> {
        let shape = [c_in, c_out, kernel.0, kernel.1];
        let fan_in = bias.then_some(c_out * kernel.0 * kernel.1);
        let params = ConvParams::new(store, name, shape, (c_in, c_out), fan_in, init, seed)?;
        Ok(ConvTranspose2d { params, options })
    }
    pub fn forward<'t, B: Backend>(&self, store: &ParamStore<B>, x: Var<'t, B>) -> Result<Var<'t, B>> {
        let (w, b) = self.params.vars(store, x.tape())?;
        x.conv_transpose2d(w, b, self.options)
    }
}
