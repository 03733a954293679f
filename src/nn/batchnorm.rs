use super::ParamStore;
use crate::autodiff::Var;
use crate::backend::Backend;
use crate::error::Result;
use crate::ops::batchnorm::{batchnorm_eval, batchnorm_train, running_update};
use crate::tensor::Tensor;

/// Batch normalisation (see `ops/batchnorm.rs`) per channel of [N, C, H, W] or per feature of
/// [N, F]: γ `<name>.weight` (ones), β `<name>.bias` (zeros), and the buffers
/// `<name>.running_mean` (zeros) and `<name>.running_var` (ones).
///
/// On a training tape it normalises with the batch statistics and queues the running-statistic
/// update on the tape (`store.apply_updates(&tape)` writes it); otherwise it uses
/// the running statistics.
#[derive(Clone, Debug)]
pub struct BatchNorm {
    pub gamma: String,
    pub beta: String,
    pub running_mean: String,
    pub running_var: String,
    pub channels: usize,
    /// PyTorch's convention: r ← (1 − momentum) r + momentum · batch statistic (Keras's
    /// momentum 0.99 is 0.01 here).
    pub momentum: f64,
    pub eps: f64,
}

/// The same layer for images [N, C, H, W] …
pub type BatchNorm2d = BatchNorm;
/// … and for features [N, F].
pub type BatchNorm1d = BatchNorm;

impl BatchNorm {
    /// PyTorch's defaults: momentum 0.1, ε = 1e-5.
    pub fn new<B: Backend>(store: &mut ParamStore<B>, name: &str, channels: usize) -> Result<Self> {
        let b = store.backend().clone();
        let l = BatchNorm {
            gamma: format!("{name}.weight"),
            beta: format!("{name}.bias"),
            running_mean: format!("{name}.running_mean"),
            running_var: format!("{name}.running_var"),
            channels,
            momentum: 0.1,
            eps: 1e-5,
        };
        store.add(&l.gamma, Tensor::full(&b, &[channels], 1.0)?)?;
        store.add(&l.beta, Tensor::zeros(&b, &[channels])?)?;
        store.add_buffer(&l.running_mean, Tensor::zeros(&b, &[channels])?)?;
        store.add_buffer(&l.running_var, Tensor::full(&b, &[channels], 1.0)?)?;
        Ok(l)
    }
    pub fn with_momentum(mut self, momentum: f64) -> Self {
        self.momentum = momentum;
        self
    }
    pub fn with_eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }
    pub fn forward<'t, B: Backend>(&self, store: &ParamStore<B>, x: Var<'t, B>) -> Result<Var<'t, B>> {
        let tape = x.tape();
        let gamma = store.var(tape, &self.gamma)?;
        let beta = store.var(tape, &self.beta)?;
        if !tape.is_training() {
            let mean = store.buffer_var(tape, &self.running_mean)?;
            let var = store.buffer_var(tape, &self.running_var)?;
            return batchnorm_eval(x, gamma, beta, mean, var, self.eps);
        }
        let (y, stats) = batchnorm_train(x, gamma, beta, self.eps)?;
        let be = tape.backend();
        // From the value this tape already updated, so that two passes compound as in PyTorch.
        for (name, stat) in [(&self.running_mean, &stats.mean), (&self.running_var, &stats.var)] {
            store.queue_update(tape, name, running_update(be, &store.current(tape, name)?, stat, self.momentum)?)?;
        }
        Ok(y)
    }
}
