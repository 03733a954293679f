use super::{Optim, ParamState, UpdateRule};
use crate::backend::{AdamStep, Backend};
use crate::error::Result;
use crate::tensor::Tensor;

/// The state tensors Adam keeps per parameter: the first and second moment estimates.
pub const ADAM_SLOTS: &[&str] = &["m", "v"];

/// Adam's hyper-parameters other than the learning rate (which comes from the schedule).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AdamConfig {
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
    /// AdamW: weight decay shrinks the parameter directly (p ← p − lr·wd·p) instead of being
    /// added to the gradient, where Adam's normalisation would undo it.
    pub decoupled: bool,
}

impl Default for AdamConfig {
    /// PyTorch's defaults: β = (0.9, 0.999), ε = 1e-8, no weight decay.
    fn default() -> Self {
        AdamConfig {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled: false,
        }
    }
}

/// Adam with bias correction (PyTorch's `Adam`, or `AdamW` when `decoupled`): two slots, the
/// first and second moment estimates m and v.
pub type Adam<B> = Optim<B, AdamConfig>;

impl<B: Backend> Optim<B, AdamConfig> {
    /// Adam with PyTorch's defaults and a constant learning rate.
    pub fn new(lr: f64) -> Self {
        Adam::with_config(lr, AdamConfig::default())
    }
    /// AdamW (decoupled weight decay) with PyTorch's default β and ε.
    pub fn adamw(lr: f64, weight_decay: f64) -> Self {
        Adam::with_config(
            lr,
            AdamConfig {
                weight_decay,
                decoupled: true,
                ..AdamConfig::default()
            },
        )
    }
    pub fn with_config(lr: f64, config: AdamConfig) -> Self {
        Optim::with_rule(lr, config)
    }
}

impl<B: Backend> UpdateRule<B> for AdamConfig {
    fn kind(&self) -> &'static str {
        if self.decoupled {
            "adamw"
        } else {
            "adam"
        }
    }
    fn slot_names(&self) -> &'static [&'static str] {
        ADAM_SLOTS
    }
    fn config(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
    fn update(&self, be: &B, param: &mut Tensor<B>, state: &mut ParamState<B>, grad: &Tensor<B>, lr: f64, grad_scale: f64) -> Result<()> {
        let h = AdamStep {
            lr,
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
            weight_decay: self.weight_decay,
            decoupled: self.decoupled,
            step: state.step,
            grad_scale,
        };
        let (m, v) = state.slots.split_at_mut(1);
        be.adam_update(param.storage_mut(), m[0].storage_mut(), v[0].storage_mut(), grad.storage(), h)
    }
}
