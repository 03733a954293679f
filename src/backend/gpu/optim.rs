//! Optimiser updates in place (`shaders/optim.wgsl`), after making each updated buffer the
//! only handle to its memory (copy-on-write, the trait's aliasing rule).

use super::device::{Groups, Shader};
use super::{f, u, Gpu, GpuStorage};
use crate::backend::{AdamStep, SgdStep};
use crate::error::Result;

pub(super) const SHADER: Shader = Shader {
    name: "optim",
    source: include_str!("../../../shaders/optim.wgsl"),
};

pub(super) fn adam(gpu: &Gpu, p: &mut GpuStorage, m: &mut GpuStorage, v: &mut GpuStorage, g: &GpuStorage, h: AdamStep) -> Result<()> {
    for s in [&mut *p, &mut *m, &mut *v] {
        gpu.make_unique(s)?;
    }
    let bc1 = 1.0 - h.beta1.powi(h.step as i32);
    let bc2 = 1.0 - h.beta2.powi(h.step as i32);
    let params = [
        u("adam", p.len)?,
        h.decoupled as u32,
        0,
        0,
        f(h.lr),
        f(h.beta1),
        f(h.beta2),
        f(h.eps),
        f(h.weight_decay),
        f(h.grad_scale),
        f(bc1),
        f(bc2),
        0,
        0,
        0,
        0,
    ];
    gpu.run(&SHADER, "adam", &params, &[g], &[p, m, v], Groups::Threads(p.len))
}

pub(super) fn sgd(gpu: &Gpu, p: &mut GpuStorage, vel: &mut GpuStorage, g: &GpuStorage, h: SgdStep) -> Result<()> {
    gpu.make_unique(p)?;
    gpu.make_unique(vel)?;
    let params = [
        u("sgd", p.len)?,
        0,
        h.nesterov as u32,
        0,
        f(h.lr),
        0,
        0,
        0,
        f(h.weight_decay),
        f(h.grad_scale),
        0,
        0,
        f(h.momentum),
        0,
        0,
        0,
    ];
    gpu.run(&SHADER, "sgd", &params, &[g], &[p, vel], Groups::Threads(p.len))
}
