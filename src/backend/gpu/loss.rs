//! Per-element losses and their derivatives (`shaders/loss.wgsl`).

use super::device::{Groups, Shader};
use super::{u, Gpu, GpuStorage};
use crate::backend::{Bcast, LossKind};
use crate::error::Result;

pub(super) const SHADER: Shader = Shader {
    name: "loss",
    source: include_str!("../../../shaders/loss.wgsl"),
};

fn params(n: usize, kind: LossKind, gm: Bcast) -> Result<[u32; 4]> {
    let k = match kind {
        LossKind::SquaredError => 0,
        LossKind::BceProb => 1,
        LossKind::BceLogits => 2,
    };
    Ok([u("loss", n)?, k, u("loss", gm.mid.max(1))?, u("loss", gm.inner.max(1))?])
}

pub(super) fn pointwise_loss(gpu: &Gpu, kind: LossKind, p: &GpuStorage, t: &GpuStorage) -> Result<GpuStorage> {
    let out = gpu.alloc("loss", p.len)?;
    let params = params(p.len, kind, Bcast::scalar())?;
    gpu.run(&SHADER, "pointwise_loss", &params, &[p, t], &[&out], Groups::Threads(p.len))?;
    Ok(out)
}

pub(super) fn pointwise_loss_backward(
    gpu: &Gpu,
    kind: LossKind,
    p: &GpuStorage,
    t: &GpuStorage,
    g: &GpuStorage,
    gm: Bcast,
) -> Result<GpuStorage> {
    let out = gpu.alloc("loss_backward", p.len)?;
    let params = params(p.len, kind, gm)?;
    gpu.run(
        &SHADER,
        "pointwise_loss_backward",
        &params,
        &[p, t, g],
        &[&out],
        Groups::Threads(p.len),
    )?;
    Ok(out)
}
