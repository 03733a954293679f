//! 2-D convolution forward, backward-input and backward-weight (`shaders/conv2d.wgsl`), for
//! every padding mode and stride. The weight gradient sums n·h_out·w_out products per weight
//! in two levels (per-chunk partials here, their sum by `reduce::total_of_partials`), so it
//! is deterministic and uses every core of the device even for a 4×4×1×16 kernel.

use super::device::{Groups, Shader};
use super::reduce::total_of_partials;
use super::{u, Gpu, GpuStorage};
use crate::backend::Conv2dGeom;
use crate::error::Result;

pub(super) const SHADER: Shader = Shader {
    name: "conv2d",
    source: include_str!("../../../shaders/conv2d.wgsl"),
};

/// Terms of the weight-gradient sum one workgroup adds (16 per thread).
const CHUNK: usize = 256 * 16;

fn params(g: &Conv2dGeom, has_bias: bool, chunks: usize) -> Result<[u32; 16]> {
    let w = |x: usize| u("conv2d", x);
    Ok([
        w(g.n)?,
        w(g.c_in)?,
        w(g.h)?,
        w(g.w)?,
        w(g.c_out)?,
        w(g.kh)?,
        w(g.kw)?,
        w(g.stride)?,
        w(g.pad_top)?,
        w(g.pad_left)?,
        g.circular as u32,
        w(g.h_out)?,
        w(g.w_out)?,
        has_bias as u32,
        w(chunks)?,
        w(CHUNK)?,
    ])
}

pub(super) fn forward(gpu: &Gpu, x: &GpuStorage, w: &GpuStorage, bias: Option<&GpuStorage>, g: Conv2dGeom) -> Result<GpuStorage> {
    let y = gpu.alloc("conv2d", g.out_len())?;
    let p = params(&g, bias.is_some(), 1)?;
    // Without a bias the binding is filled with x, which the kernel then does not read.
    let b = bias.unwrap_or(x);
    gpu.run(&SHADER, "forward", &p, &[x, w, b], &[&y], Groups::Threads(g.out_len()))?;
    Ok(y)
}

pub(super) fn backward_input(gpu: &Gpu, gy: &GpuStorage, w: &GpuStorage, g: Conv2dGeom) -> Result<GpuStorage> {
    let gx = gpu.alloc("conv2d_backward_input", g.in_len())?;
    if g.out_plane() == 0 {
        return super::elementwise::fill(gpu, g.in_len(), 0.0);
    }
    let p = params(&g, false, 1)?;
    gpu.run(&SHADER, "backward_input", &p, &[gy, w], &[&gx], Groups::Threads(g.in_len()))?;
    Ok(gx)
}

pub(super) fn backward_weight(gpu: &Gpu, x: &GpuStorage, gy: &GpuStorage, g: Conv2dGeom) -> Result<GpuStorage> {
    let count = g.n * g.out_plane();
    let chunks = count.div_ceil(CHUNK).max(1);
    let weights = g.weight_len();
    let partials = gpu.alloc("conv2d_backward_weight", weights * chunks)?;
    let p = params(&g, false, chunks)?;
    gpu.run(
        &SHADER,
        "backward_weight_partials",
        &p,
        &[x, gy],
        &[&partials],
        Groups::Workgroups(weights * chunks),
    )?;
    total_of_partials(gpu, &partials, weights, chunks)
}
