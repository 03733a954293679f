//! Batch normalisation forward and backward (`shaders/batchnorm.wgsl`), with the per-channel
//! sums from the two-level reduction of `reduce.rs` (deterministic, no float atomics).

use super::device::{Groups, Shader};
use super::reduce::{segments, Mode, Segments};
use super::{f, u, Gpu, GpuStorage};
use crate::backend::BatchNormDims;
use crate::error::Result;

pub(super) const SHADER: Shader = Shader {
    name: "batchnorm",
    source: include_str!("../../../shaders/batchnorm.wgsl"),
};

fn params(d: &BatchNormDims) -> Result<[u32; 8]> {
    let w = |x: usize| u("batchnorm", x);
    Ok([w(d.n)?, w(d.c)?, w(d.plane.max(1))?, 0, f(d.count() as f64), f(d.eps), 0, 0])
}

/// Σ over each channel of f(x, y, mean): channel c of element i is (i / plane) % c.
fn per_channel(
    gpu: &Gpu,
    d: &BatchNormDims,
    x: &GpuStorage,
    y: Option<&GpuStorage>,
    mean: Option<&GpuStorage>,
    mode: Mode,
) -> Result<GpuStorage> {
    segments(
        gpu,
        &Segments {
            x,
            y,
            mean,
            len: d.len(),
            mid: d.c,
            inner: d.plane.max(1),
            mode,
        },
    )
}

pub(super) fn forward(
    gpu: &Gpu,
    x: &GpuStorage,
    gamma: &GpuStorage,
    beta: &GpuStorage,
    d: BatchNormDims,
) -> Result<(GpuStorage, GpuStorage, GpuStorage)> {
    let p = params(&d)?;
    let sums = per_channel(gpu, &d, x, None, None, Mode::Values)?;
    let mean = gpu.alloc("batchnorm", d.c)?;
    gpu.run(&SHADER, "mean", &p, &[&sums], &[&mean], Groups::Threads(d.c))?;
    let dev = per_channel(gpu, &d, x, None, Some(&mean), Mode::SquaredDeviations)?;
    let inv_std = gpu.alloc("batchnorm", d.c)?;
    gpu.run(&SHADER, "inv_std", &p, &[&dev], &[&inv_std], Groups::Threads(d.c))?;
    let y = gpu.alloc("batchnorm", d.len())?;
    gpu.run(
        &SHADER,
        "normalize",
        &p,
        &[x, gamma, beta, &mean, &inv_std],
        &[&y],
        Groups::Threads(d.len()),
    )?;
    Ok((y, mean, inv_std))
}

pub(super) fn backward(
    gpu: &Gpu,
    x: &GpuStorage,
    gy: &GpuStorage,
    gamma: &GpuStorage,
    mean: &GpuStorage,
    inv_std: &GpuStorage,
    d: BatchNormDims,
) -> Result<(GpuStorage, GpuStorage, GpuStorage)> {
    let p = params(&d)?;
    let sum_g = per_channel(gpu, &d, gy, None, None, Mode::Values)?;
    // Σ g (x − mean): x is the segment operand, g the second factor.
    let sum_gxc = per_channel(gpu, &d, x, Some(gy), Some(mean), Mode::CenteredProducts)?;
    let gx = gpu.alloc("batchnorm_backward", d.len())?;
    let ins = [x, gy, gamma, mean, inv_std, &sum_g, &sum_gxc];
    gpu.run(&SHADER, "backward_input", &p, &ins, &[&gx], Groups::Threads(d.len()))?;
    let (gg, gb) = (gpu.alloc("batchnorm_backward", d.c)?, gpu.alloc("batchnorm_backward", d.c)?);
    gpu.run(
        &SHADER,
        "backward_params",
        &p,
        &[&sum_g, &sum_gxc, inv_std],
        &[&gg, &gb],
        Groups::Threads(d.c),
    )?;
    Ok((gx, gg, gb))
}
