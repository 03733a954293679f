//! Optimisers over a [`ParamStore`]: [`Sgd`] (momentum, Nesterov, weight decay), [`Adam`] and
//! AdamW ([`Adam::adamw`]), with global-norm clipping and a learning-rate schedule.
//!
//! The arithmetic of an update is a backend kernel (`Backend::adam_update`, `sgd_update`), so
//! parameters and their state never leave the device. An optimiser only decides which
//! parameters to update (those of the store that received a gradient, by name), the learning
//! rate (from its [`LrSchedule`]) and the gradient scale (from clipping), and keeps the state.
//!
//! Semantics follow PyTorch's `SGD`, `Adam`, `AdamW` and `clip_grad_norm_`; the golden tests
//! compare several steps of each against numbers PyTorch computed.

mod adam;
mod clip;
mod schedule;
mod sgd;

pub use adam::{Adam, AdamConfig, ADAM_SLOTS};
pub use clip::{clip_scale, global_grad_norm};
pub use schedule::{Constant, LrSchedule, StepDecay, WarmupCosine};
pub use sgd::{Sgd, SgdConfig, SGD_SLOTS};

use super::ParamStore;
use crate::autodiff::Grads;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use std::collections::BTreeMap;

/// The state an optimiser keeps for one parameter: its slot tensors (Adam's m and v, SGD's
/// velocity; same shape as the parameter, on the backend) and how many updates this parameter
/// has received. Bias correction counts the parameter's own updates, as PyTorch does, so a
/// parameter that sat out some steps (no gradient) is corrected correctly.
pub struct ParamState<B: Backend> {
    pub step: u64,
    /// In the order of [`Optimizer::slot_names`].
    pub slots: Vec<Tensor<B>>,
}

/// Everything an optimiser must remember between steps (and what a checkpoint saves).
pub struct OptimState<B: Backend> {
    /// Completed calls to [`Optimizer::step`]; the schedule reads it.
    pub step: u64,
    /// Per parameter name, created on the parameter's first update.
    pub params: BTreeMap<String, ParamState<B>>,
}

impl<B: Backend> Default for OptimState<B> {
    fn default() -> Self {
        OptimState {
            step: 0,
            params: BTreeMap::new(),
        }
    }
}

/// The learning-rate schedule, clipping threshold and state that every optimiser has.
pub struct OptimCore<B: Backend> {
    pub state: OptimState<B>,
    pub schedule: Box<dyn LrSchedule>,
    /// Clip the global gradient norm to this value (PyTorch's `clip_grad_norm_`).
    pub max_grad_norm: Option<f64>,
}

impl<B: Backend> OptimCore<B> {
    pub fn new(lr: f64) -> Self {
        OptimCore {
            state: OptimState::default(),
            schedule: Box::new(Constant(lr)),
            max_grad_norm: None,
        }
    }
}

/// The arithmetic of one optimiser: its state slots and the kernel call that updates one
/// parameter. `state.step` already counts this update; `grad_scale` multiplies the gradient
/// inside the kernel.
pub trait UpdateRule<B: Backend>: std::fmt::Debug + 'static {
    /// `sgd`, `adam` or `adamw` (recorded in checkpoints).
    fn kind(&self) -> &'static str;
    /// Names of the per-parameter state tensors (checkpoint keys `optim/<param>/<slot>`).
    fn slot_names(&self) -> &'static [&'static str];
    /// The hyper-parameters as a JSON object (checkpoint metadata `optim.config`).
    fn config(&self) -> serde_json::Value;
    fn update(&self, be: &B, param: &mut Tensor<B>, state: &mut ParamState<B>, grad: &Tensor<B>, lr: f64, grad_scale: f64) -> Result<()>;
}

/// An optimiser made of an update rule (its hyper-parameters, e.g. [`AdamConfig`]) and the
/// schedule, clipping and state every optimiser has. [`Sgd`] and [`Adam`] are this type.
pub struct Optim<B: Backend, R> {
    pub rule: R,
    core: OptimCore<B>,
}

impl<B: Backend, R: UpdateRule<B>> Optim<B, R> {
    /// The rule with a constant learning rate `lr`.
    pub fn with_rule(lr: f64, rule: R) -> Self {
        Optim {
            rule,
            core: OptimCore::new(lr),
        }
    }
}

impl<B: Backend, R: UpdateRule<B>> Optimizer<B> for Optim<B, R> {
    fn kind(&self) -> &'static str {
        self.rule.kind()
    }
    fn slot_names(&self) -> &'static [&'static str] {
        self.rule.slot_names()
    }
    fn config(&self) -> serde_json::Value {
        let mut v = serde_json::json!({ "kind": self.rule.kind() });
        if let (Some(m), Some(rule)) = (v.as_object_mut(), self.rule.config().as_object()) {
            m.extend(rule.clone());
            m.insert("schedule".into(), self.core.schedule.to_json());
            m.insert("max_grad_norm".into(), self.core.max_grad_norm.into());
        }
        v
    }
    fn core(&self) -> &OptimCore<B> {
        &self.core
    }
    fn core_mut(&mut self) -> &mut OptimCore<B> {
        &mut self.core
    }
    fn update(&self, be: &B, param: &mut Tensor<B>, state: &mut ParamState<B>, grad: &Tensor<B>, lr: f64, grad_scale: f64) -> Result<()> {
        self.rule.update(be, param, state, grad, lr, grad_scale)
    }
}

/// What one optimiser step did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepReport {
    /// The step's number, counting from 1.
    pub step: u64,
    pub lr: f64,
    /// The global L2 norm of the gradients before clipping.
    pub grad_norm: f64,
    /// The factor clipping applied to every gradient (1 when not clipped).
    pub grad_scale: f64,
    /// How many parameters received a gradient and were updated.
    pub updated: usize,
}

/// An optimiser: updates the parameters of a store from the gradients of a backward pass.
pub trait Optimizer<B: Backend> {
    /// `sgd`, `adam` or `adamw` (recorded in checkpoints).
    fn kind(&self) -> &'static str;
    /// Names of the per-parameter state tensors (checkpoint keys `optim/<param>/<slot>`).
    fn slot_names(&self) -> &'static [&'static str];
    /// The settings as a JSON object, readable without cosmograd (checkpoint metadata
    /// `optim.config`): `kind`, the rule's hyper-parameters (`beta1`, `beta2`, `eps`,
    /// `weight_decay`, `decoupled` for Adam; `momentum`, `weight_decay`, `nesterov` for SGD),
    /// `schedule` (`{"type": "constant", "lr": …}`, or `null` for a closure) and
    /// `max_grad_norm` (`null` without clipping).
    fn config(&self) -> serde_json::Value;
    /// [`Optimizer::config`] as one line of JSON, for logs.
    fn describe(&self) -> String {
        self.config().to_string()
    }
    fn core(&self) -> &OptimCore<B>;
    fn core_mut(&mut self) -> &mut OptimCore<B>;
    /// One parameter's update through the backend kernel. `state.step` already counts this
    /// update; `grad_scale` multiplies the gradient inside the kernel.
    fn update(&self, be: &B, param: &mut Tensor<B>, state: &mut ParamState<B>, grad: &Tensor<B>, lr: f64, grad_scale: f64) -> Result<()>;

    /// Completed steps.
    fn steps(&self) -> u64 {
        self.core().state.step
    }
    fn state(&self) -> &OptimState<B> {
        &self.core().state
    }
    /// The learning rate the next step will use.
    fn current_lr(&self) -> f64 {
        self.core().schedule.lr(self.core().state.step)
    }

    /// Updates every parameter of `store` that has a gradient in `grads` (gradients of other
    /// stores' parameters, e.g. the generator's while training a GAN's discriminator, are
    /// ignored). Gradients are first scaled so that their global norm is at most
    /// `max_grad_norm`. A non-finite gradient norm leaves every parameter unchanged and is an
    /// error, so one bad batch cannot silently turn the weights into NaN.
    fn step(&mut self, store: &mut ParamStore<B>, grads: &Grads<B>) -> Result<StepReport> {
        let be = store.backend().clone();
        let mut names = Vec::new();
        for (name, p) in store.params() {
            if let Some(g) = store.grad(grads, name) {
                if g.shape() != p.shape() {
                    return Err(Error::shape(
                        "optimizer",
                        p.shape(),
                        g.shape(),
                        format!("gradient of `{name}` has another shape than the parameter"),
                    ));
                }
                names.push(name.clone());
            }
        }
        let grad_norm = global_grad_norm(&be, names.iter().filter_map(|n| store.grad(grads, n)))?;
        if !grad_norm.is_finite() {
            return Err(Error::invalid(
                "optimizer",
                format!(
                    "the global gradient norm is {grad_norm}; parameters were left unchanged. \
                     Run with COSMOGRAD_GUARD=1 to name where the non-finite value first appeared (the op \
                     that produced it, or the input or parameter that entered the tape with it), \
                     or lower the learning rate"
                ),
            ));
        }
        let grad_scale = self.core().max_grad_norm.map_or(1.0, |m| clip_scale(grad_norm, m));
        let lr = self.current_lr();
        // A bad clip threshold or schedule must not turn descent into ascent or write NaN.
        if !(grad_scale.is_finite() && grad_scale >= 0.0) {
            return Err(Error::invalid(
                "optimizer",
                format!("clip scale {grad_scale} (max_grad_norm must be a positive number)"),
            ));
        }
        if !(lr.is_finite() && lr >= 0.0) {
            return Err(Error::invalid(
                "optimizer",
                format!(
                    "learning rate {lr} at step {} (a schedule must give a finite lr ≥ 0)",
                    self.core().state.step
                ),
            ));
        }
        let nslots = self.slot_names().len();
        for name in &names {
            let grad = store.grad(grads, name).expect("listed above");
            let param = store.get_mut(name)?;
            // Taken out while the kernel runs, so that `self.update` can borrow self.
            let mut st = match self.core_mut().state.params.remove(name) {
                Some(st) => st,
                None => ParamState {
                    step: 0,
                    slots: (0..nslots).map(|_| Tensor::zeros(&be, param.shape())).collect::<Result<_>>()?,
                },
            };
            st.step += 1;
            let done = self.update(&be, param, &mut st, grad, lr, grad_scale);
            self.core_mut().state.params.insert(name.clone(), st);
            done?;
        }
        let core = self.core_mut();
        core.state.step += 1;
        Ok(StepReport {
            step: core.state.step,
            lr,
            grad_norm,
            grad_scale,
            updated: names.len(),
        })
    }

    /// Uses `schedule` for the learning rate from now on.
    fn with_schedule(mut self, schedule: impl LrSchedule + 'static) -> Self
    where
        Self: Sized,
    {
        self.core_mut().schedule = Box::new(schedule);
        self
    }
    /// Clips the global gradient norm to `max_norm` before every update.
    fn with_clip(mut self, max_norm: f64) -> Self
    where
        Self: Sized,
    {
        self.core_mut().max_grad_norm = Some(max_norm);
        self
    }
}

/// The state slots of an optimiser kind as checkpoints name it (`sgd`, `adam`, `adamw`), so
/// that a checkpoint's optimiser tensors can be checked without an optimiser at hand.
pub fn slot_names_of(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "sgd" => Some(SGD_SLOTS),
        "adam" | "adamw" => Some(ADAM_SLOTS),
        _ => None,
    }
}

/// An optimiser by name, for command lines and configs: `sgd` (with `momentum`), `adam` (L2
/// weight decay) or `adamw` (decoupled weight decay), PyTorch's defaults otherwise.
pub fn by_name<B: Backend>(name: &str, lr: f64, momentum: f64, weight_decay: f64) -> Result<Box<dyn Optimizer<B>>> {
    if !(lr.is_finite() && lr > 0.0) {
        return Err(Error::invalid(
            "optimizer",
            format!("learning rate must be a positive number, got {lr}"),
        ));
    }
    Ok(match name {
        "sgd" => Box::new(Sgd::with_config(
            lr,
            SgdConfig {
                momentum,
                weight_decay,
                nesterov: false,
            },
        )),
        "adam" => Box::new(Adam::with_config(
            lr,
            AdamConfig {
                weight_decay,
                ..AdamConfig::default()
            },
        )),
        "adamw" => Box::new(Adam::adamw(lr, weight_decay)),
        other => {
            return Err(Error::invalid(
                "optimizer",
                format!("unknown optimiser `{other}`; choose sgd, adam or adamw"),
            ))
        }
    })
}
