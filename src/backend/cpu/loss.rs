//! Per-element losses and their derivatives with respect to the prediction.

use super::{Element, PAR_MIN};
use crate::backend::{Bcast, LossKind};
use rayon::prelude::*;

/// PyTorch's clamps: ln p is floored at −100 and the BCE gradient's denominator p(1−p) at 1e-12.
const LOG_FLOOR: f64 = -100.0;

/// max(v, floor) that keeps NaN (PyTorch's `torch.maximum` semantics); `f64::max` would turn
/// a NaN prediction into a finite loss of 100.
#[inline(always)]
fn floor_at(v: f64, floor: f64) -> f64 {
    if v < floor {
        floor
    } else {
        v
    }
}
// PyTorch's floor is the f32 constant 1e-12 (1.0000000e-12 rounded to f32), even in float64.
const DENOM_FLOOR: f64 = 1e-12_f32 as f64;

#[inline(always)]
fn loss<E: Element>(kind: LossKind, p: E, t: E) -> E {
    let (p, t) = (p.f64(), t.f64());
    E::of(match kind {
        LossKind::SquaredError => (p - t) * (p - t),
        LossKind::BceProb => -(t * floor_at(p.ln(), LOG_FLOOR) + (1.0 - t) * floor_at((1.0 - p).ln(), LOG_FLOOR)),
        // max(x, 0) − x t + ln(1 + e^{−|x|}) = −[t ln σ(x) + (1 − t) ln(1 − σ(x))].
        LossKind::BceLogits => p.max(0.0) - p * t + (-p.abs()).exp().ln_1p(),
    })
}

/// ∂ℓ/∂p: 2(p − t); (p − t)/(p(1 − p)); σ(x) − t.
#[inline(always)]
fn dloss<E: Element>(kind: LossKind, p: E, t: E) -> E {
    let (p, t) = (p.f64(), t.f64());
    E::of(match kind {
        LossKind::SquaredError => 2.0 * (p - t),
        LossKind::BceProb => (p - t) / floor_at(p * (1.0 - p), DENOM_FLOOR),
        LossKind::BceLogits => 1.0 / (1.0 + (-p).exp()) - t,
    })
}

pub(crate) fn pointwise_loss<E: Element>(kind: LossKind, p: &[E], t: &[E]) -> Vec<E> {
    let f = |(a, b): (&E, &E)| loss(kind, *a, *b);
    if p.len() >= PAR_MIN {
        p.par_iter().zip(t.par_iter()).map(f).collect()
    } else {
        p.iter().zip(t).map(f).collect()
    }
}

pub(crate) fn pointwise_loss_backward<E: Element>(kind: LossKind, p: &[E], t: &[E], g: &[E], gm: Bcast) -> Vec<E> {
    let f = |i: usize| g[gm.index(i)] * dloss(kind, p[i], t[i]);
    if p.len() >= PAR_MIN {
        (0..p.len()).into_par_iter().map(f).collect()
    } else {
        (0..p.len()).map(f).collect()
    }
}
