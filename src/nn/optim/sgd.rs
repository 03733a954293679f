use super::{Optim, ParamState, UpdateRule};
use crate::backend::{Backend, SgdStep};
use crate::error::Result;
use crate::tensor::Tensor;

/// The state tensor SGD keeps per parameter.
pub const SGD_SLOTS: &[&str] = &["velocity"];

/// SGD's hyper-parameters other than the learning rate (which comes from the schedule).
#[derive(Clone, Copy, Debug, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct SgdConfig {
    /// μ in v ← μ v + g (0: plain SGD).
    pub momentum: f64,
    /// L2 penalty added to the gradient: g ← g + wd · p.
    pub weight_decay: f64,
    /// Nesterov momentum: p ← p − lr (g + μ v).
    pub nesterov: bool,
}

/// Stochastic gradient descent, PyTorch's `SGD` (dampening 0): one slot, the velocity.
pub type Sgd<B> = Optim<B, SgdConfig>;

impl<B: Backend> Optim<B, SgdConfig> {
    /// Plain SGD with a constant learning rate.
    pub fn new(lr: f64) -> Self {
        Sgd::with_config(lr, SgdConfig::default())
    }
    pub fn with_config(lr: f64, config: SgdConfig) -> Self {
        Optim::with_rule(lr, config)
    }
    /// SGD with momentum μ.
    pub fn momentum(lr: f64, momentum: f64) -> Self {
        Sgd::with_config(
            lr,
            SgdConfig {
                momentum,
                ..SgdConfig::default()
            },
        )
    }
}

impl<B: Backend> UpdateRule<B> for SgdConfig {
    fn kind(&self) -> &'static str {
        "sgd"
    }
    fn slot_names(&self) -> &'static [&'static str] {
        SGD_SLOTS
    }
    fn config(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
    fn update(&self, be: &B, param: &mut Tensor<B>, state: &mut ParamState<B>, grad: &Tensor<B>, lr: f64, grad_scale: f64) -> Result<()> {
        let h = SgdStep {
            lr,
            momentum: self.momentum,
            weight_decay: self.weight_decay,
            nesterov: self.nesterov,
            grad_scale,
        };
        be.sgd_update(param.storage_mut(), state.slots[0].storage_mut(), grad.storage(), h)
    }
}
