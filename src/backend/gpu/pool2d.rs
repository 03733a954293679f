//! Max and average pooling with their backward (`shaders/pool2d.wgsl`).

use super::device::{Groups, Shader};
use super::{u, Gpu, GpuStorage};
use crate::backend::Pool2dGeom;
use crate::error::{Error, Result};

pub(super) const SHADER: Shader = Shader {
    name: "pool2d",
    source: include_str!("../../../shaders/pool2d.wgsl"),
};

fn params(g: &Pool2dGeom) -> Result<[u32; 8]> {
    let w = |x: usize| u("pool2d", x);
    // The argmax travels as an f32 offset within a plane: exact below 2²⁴ pixels.
    if g.h * g.w > 1 << 24 {
        return Err(Error::Device(format!(
            "max pooling: a plane of {}×{} pixels is too large for the f32 argmax",
            g.h, g.w
        )));
    }
    Ok([
        w(g.planes())?,
        w(g.h)?,
        w(g.w)?,
        w(g.kh)?,
        w(g.kw)?,
        w(g.stride)?,
        w(g.h_out)?,
        w(g.w_out)?,
    ])
}

pub(super) fn maxpool_forward(gpu: &Gpu, x: &GpuStorage, g: Pool2dGeom) -> Result<(GpuStorage, GpuStorage)> {
    let y = gpu.alloc("maxpool2d", g.out_len())?;
    let arg = gpu.alloc("maxpool2d", g.out_len())?;
    gpu.run(
        &SHADER,
        "maxpool_forward",
        &params(&g)?,
        &[x],
        &[&y, &arg],
        Groups::Threads(g.out_len()),
    )?;
    Ok((y, arg))
}

pub(super) fn maxpool_backward(gpu: &Gpu, gy: &GpuStorage, argmax: &GpuStorage, g: Pool2dGeom) -> Result<GpuStorage> {
    let gx = gpu.alloc("maxpool2d_backward", g.in_len())?;
    gpu.run(
        &SHADER,
        "maxpool_backward",
        &params(&g)?,
        &[gy, argmax],
        &[&gx],
        Groups::Threads(g.in_len()),
    )?;
    Ok(gx)
}

pub(super) fn avgpool_forward(gpu: &Gpu, x: &GpuStorage, g: Pool2dGeom) -> Result<GpuStorage> {
    let y = gpu.alloc("avgpool2d", g.out_len())?;
    gpu.run(&SHADER, "avgpool_forward", &params(&g)?, &[x], &[&y], Groups::Threads(g.out_len()))?;
    Ok(y)
}

pub(super) fn avgpool_backward(gpu: &Gpu, gy: &GpuStorage, g: Pool2dGeom) -> Result<GpuStorage> {
    let gx = gpu.alloc("avgpool2d_backward", g.in_len())?;
    gpu.run(
        &SHADER,
        "avgpool_backward",
        &params(&g)?,
        &[gy],
        &[&gx],
        Groups::Threads(g.in_len()),
    )?;
    Ok(gx)
}
