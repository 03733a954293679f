//! Group normalisation forward and backward (`shaders/groupnorm.wgsl`). The sums are the
//! two-level segmented reduction of `reduce.rs` — over the (sample, group) runs for the
//! statistics, over the planes for the backward — and the mean and inverse std per run are
//! batch norm's kernels over n·groups segments (`shaders/batchnorm.wgsl`).

use super::device::{Groups, Shader};
use super::reduce::{segments, Mode, Segments};
use super::{batchnorm, f, u, Gpu, GpuStorage};
use crate::backend::GroupNormDims;
use crate::error::Result;

pub(super) const SHADER: Shader = Shader {
    name: "groupnorm",
    source: include_str!("../../../shaders/groupnorm.wgsl"),
};

fn params(d: &GroupNormDims) -> Result<[u32; 8]> {
    let w = |x: usize| u("groupnorm", x);
    Ok([w(d.n)?, w(d.c)?, w(d.plane.max(1))?, w(d.groups)?, f(d.count() as f64), 0, 0, 0])
}

/// batchnorm.wgsl's parameters for its per-segment `mean` and `inv_std` over the n·groups
/// (sample, group) runs of M values each.
fn stat_params(d: &GroupNormDims) -> Result<[u32; 8]> {
    let w = |x: usize| u("groupnorm", x);
    Ok([1, w(d.stats_len())?, 1, 0, f(d.count() as f64), f(d.eps), 0, 0])
}

/// Σ over each of `mid` contiguous runs of `inner` values of f(x, y, mean).
fn runs(
    gpu: &Gpu,
    x: &GpuStorage,
    y: Option<&GpuStorage>,
    mean: Option<&GpuStorage>,
    mid: usize,
    inner: usize,
    mode: Mode,
) -> Result<GpuStorage> {
    segments(
        gpu,
        &Segments {
            x,
            y,
            mean,
            len: mid * inner,
            mid,
            inner,
            mode,
        },
    )
}

pub(super) fn forward(
    gpu: &Gpu,
    x: &GpuStorage,
    gamma: &GpuStorage,
    beta: &GpuStorage,
    d: GroupNormDims,
) -> Result<(GpuStorage, GpuStorage, GpuStorage)> {
    let (s, m) = (d.stats_len(), d.count());
    let sp = stat_params(&d)?;
    let sums = runs(gpu, x, None, None, s, m, Mode::Values)?;
    let mean = gpu.alloc("groupnorm", s)?;
    gpu.run(&batchnorm::SHADER, "mean", &sp, &[&sums], &[&mean], Groups::Threads(s))?;
    let dev = runs(gpu, x, None, Some(&mean), s, m, Mode::SquaredDeviations)?;
    let inv_std = gpu.alloc("groupnorm", s)?;
    gpu.run(&batchnorm::SHADER, "inv_std", &sp, &[&dev], &[&inv_std], Groups::Threads(s))?;
    let y = gpu.alloc("groupnorm", d.len())?;
    let ins = [x, gamma, beta, &mean, &inv_std];
    gpu.run(&SHADER, "normalize", &params(&d)?, &ins, &[&y], Groups::Threads(d.len()))?;
    Ok((y, mean, inv_std))
}

pub(super) fn backward(
    gpu: &Gpu,
    x: &GpuStorage,
    gy: &GpuStorage,
    gamma: &GpuStorage,
    mean: &GpuStorage,
    inv_std: &GpuStorage,
    d: GroupNormDims,
) -> Result<(GpuStorage, GpuStorage, GpuStorage)> {
    let p = params(&d)?;
    let (planes, plane) = (d.n * d.c, d.plane.max(1));
    // Per plane: Σ g and Σ g (x − mean of the plane's group).
    let plane_mean = gpu.alloc("groupnorm_backward", planes)?;
    gpu.run(&SHADER, "plane_means", &p, &[mean], &[&plane_mean], Groups::Threads(planes))?;
    let sum_g = runs(gpu, gy, None, None, planes, plane, Mode::Values)?;
    let sum_gxc = runs(gpu, x, Some(gy), Some(&plane_mean), planes, plane, Mode::CenteredProducts)?;
    // Per (sample, group): Σh and Σh (x − mean), h = γ g.
    let (sum_h, sum_hxc) = (
        gpu.alloc("groupnorm_backward", d.stats_len())?,
        gpu.alloc("groupnorm_backward", d.stats_len())?,
    );
    gpu.run(
        &SHADER,
        "group_sums",
        &p,
        &[gamma, &sum_g, &sum_gxc],
        &[&sum_h, &sum_hxc],
        Groups::Threads(d.stats_len()),
    )?;
    let gx = gpu.alloc("groupnorm_backward", d.len())?;
    let ins = [x, gy, gamma, mean, inv_std, &sum_h, &sum_hxc];
    gpu.run(&SHADER, "backward_input", &p, &ins, &[&gx], Groups::Threads(d.len()))?;
    let (gg, gb) = (gpu.alloc("groupnorm_backward", d.c)?, gpu.alloc("groupnorm_backward", d.c)?);
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
