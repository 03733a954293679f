//! Clipping by global norm: all gradients are scaled by one factor so that their joint L2
//! norm ‖g‖ = √(Σ_params Σ_i g_i²) is at most `max_norm`. The factor is passed to the update
//! kernels as `grad_scale`, so the gradients themselves are never rewritten.

use crate::backend::Backend;
use crate::error::Result;
use crate::tensor::Tensor;

/// √(Σ g²) over the given gradients, summed in f64: one batched reduction over all of them
/// and one read-back (on a device, not one per parameter).
pub fn global_grad_norm<'a, B: Backend>(be: &B, grads: impl IntoIterator<Item = &'a Tensor<B>>) -> Result<f64> {
    let storages: Vec<&B::Storage> = grads.into_iter().map(|g| g.storage()).collect();
    Ok(be.sum_squares(&storages)?.iter().sum::<f64>().sqrt())
}

/// PyTorch's `clip_grad_norm_` factor: min(1, max_norm / (norm + 1e-6)). The 1e-6 keeps a
/// zero gradient finite.
pub fn clip_scale(norm: f64, max_norm: f64) -> f64 {
    (max_norm / (norm + 1e-6)).min(1.0)
}
