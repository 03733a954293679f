use super::init::add_weight_and_bias;
use super::init::Init;
use super::ParamStore;
use crate::autodiff::Var;
use crate::backend::Backend;
use crate::error::Result;
use crate::ops::ConvTranspose2dOptions;

/// A transposed convolution layer (see `ops/conv_transpose2d.rs`): weights `<name>.weight`
/// [in, out, kh, kw] (PyTorch's layout), thresholds `<name>.bias` [out].
#[derive(Clone, Debug)]
pub struct ConvTranspose2d {
    pub weight: String,
    pub bias: Option<String>,
    pub c_in: usize,
    pub c_out: usize,
    pub kernel: (usize, usize),
    pub options: ConvTranspose2dOptions,
}

impl ConvTranspose2d {
    /// Weights from `init` with fan_in = out·kh·kw (PyTorch's, read off the [in, out, …] layout).
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
        // Weights [in, out, kh, kw]: the bias has one value per output channel, fan_in = out·kh·kw.
        let shape = [c_in, c_out, kernel.0, kernel.1];
        let bias = bias.then_some((c_out, c_out * kernel.0 * kernel.1));
        let (weight, bias) = add_weight_and_bias(store, name, &shape, bias, init, seed)?;
        Ok(ConvTranspose2d {
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
        x.conv_transpose2d(w, b, self.options)
    }
}
