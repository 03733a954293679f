//! Learning-rate schedules: the learning rate as a function of the number of completed steps
//! (0 for the first update), as PyTorch's schedulers count.

use std::f64::consts::PI;

/// step → learning rate. Any `Fn(u64) -> f64` is one.
pub trait LrSchedule: Send + Sync {
    fn lr(&self, step: u64) -> f64;
    /// The schedule as JSON (`{"type": "constant", "lr": 0.01}`) for checkpoint metadata and
    /// logs; `null` for a schedule that cannot describe itself (a closure).
    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
}

impl<F: Fn(u64) -> f64 + Send + Sync> LrSchedule for F {
    fn lr(&self, step: u64) -> f64 {
        self(step)
    }
}

/// `{"type": name, ...fields}` for a schedule's fields.
fn tagged(name: &str, fields: impl serde::Serialize) -> serde_json::Value {
    let mut v = serde_json::to_value(fields).unwrap_or(serde_json::Value::Null);
    if let Some(m) = v.as_object_mut() {
        m.insert("type".into(), name.into());
    }
    v
}

/// The same learning rate for every step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Constant(pub f64);

impl LrSchedule for Constant {
    fn lr(&self, _: u64) -> f64 {
        self.0
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "type": "constant", "lr": self.0 })
    }
}

/// lr · γ^⌊step / every⌋ (PyTorch's `StepLR`).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StepDecay {
    pub lr: f64,
    pub gamma: f64,
    /// Steps between decays (0 is read as 1).
    pub every: u64,
}

impl LrSchedule for StepDecay {
    fn lr(&self, step: u64) -> f64 {
        self.lr * self.gamma.powf((step / self.every.max(1)) as f64)
    }
    fn to_json(&self) -> serde_json::Value {
        tagged("step_decay", self)
    }
}

/// Linear warm-up from lr/warmup to lr over `warmup` steps, then a half cosine from lr down to
/// `min_lr` at step `total`, and `min_lr` after that.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WarmupCosine {
    pub lr: f64,
    pub min_lr: f64,
    pub warmup: u64,
    pub total: u64,
}

impl LrSchedule for WarmupCosine {
    fn lr(&self, step: u64) -> f64 {
        if step < self.warmup {
            return self.lr * (step + 1) as f64 / self.warmup as f64;
        }
        let span = self.total.saturating_sub(self.warmup).max(1) as f64;
        let t = ((step - self.warmup) as f64 / span).min(1.0);
        self.min_lr + 0.5 * (self.lr - self.min_lr) * (1.0 + (PI * t).cos())
    }
    fn to_json(&self) -> serde_json::Value {
        tagged("warmup_cosine", self)
    }
}
