//! Nearest-neighbour upsampling and its adjoint (`shaders/upsample.wgsl`).

use super::device::{Groups, Shader};
use super::{u, Gpu, GpuStorage};
use crate::backend::UpsampleGeom;
use crate::error::Result;

pub(super) const SHADER: Shader = Shader {
    name: "upsample",
    source: include_str!("../../../shaders/upsample.wgsl"),
};

fn params(g: &UpsampleGeom) -> Result<[u32; 4]> {
    let w = |x: usize| u("upsample", x);
    Ok([w(g.planes())?, w(g.h)?, w(g.w)?, w(g.factor)?])
}

pub(super) fn forward(gpu: &Gpu, x: &GpuStorage, g: UpsampleGeom) -> Result<GpuStorage> {
    let y = gpu.alloc("upsample", g.out_len())?;
    gpu.run(&SHADER, "forward", &params(&g)?, &[x], &[&y], Groups::Threads(g.out_len()))?;
    Ok(y)
}

pub(super) fn backward(gpu: &Gpu, gy: &GpuStorage, g: UpsampleGeom) -> Result<GpuStorage> {
    let gx = gpu.alloc("upsample_backward", g.in_len())?;
    gpu.run(&SHADER, "backward", &params(&g)?, &[gy], &[&gx], Groups::Threads(g.in_len()))?;
    Ok(gx)
}
