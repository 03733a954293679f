//! Sums on the GPU (`shaders/reduce.wgsl`): along an axis, its adjoint, and the two-level
//! segmented reduction behind `reduce_bcast`, `sum_squares`, `count_nonfinite`, the batch-norm
//! statistics and the convolution's weight gradient. No float atomics: each output is summed
//! in a fixed order, so results are deterministic.

use super::device::{Groups, Shader};
use super::{u, Gpu, GpuStorage};
use crate::backend::{AxisDims, Bcast};
use crate::error::Result;

pub(super) const SHADER: Shader = Shader {
    name: "reduce",
    source: include_str!("../../../shaders/reduce.wgsl"),
};

/// Threads per workgroup of the tree reductions (`RWG` in the shader).
const RWG: usize = 256;
/// Elements one workgroup of pass 1 sums (16 per thread).
const CHUNK: usize = RWG * 16;

/// What pass 1 sums (the shader's `mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mode {
    Values = 0,
    Squares = 1,
    /// (x − mean_j)².
    SquaredDeviations = 2,
    /// y · (x − mean_j).
    CenteredProducts = 3,
    NonFinite = 4,
}

/// One segmented sum: segment j of x (length `len`, read through the map {mid, inner}) holds
/// the elements i with (i / inner) % mid = j.
pub(super) struct Segments<'a> {
    pub x: &'a GpuStorage,
    /// The second operand of `CenteredProducts` (else unused).
    pub y: Option<&'a GpuStorage>,
    /// Per-segment means of `SquaredDeviations` and `CenteredProducts` (else unused).
    pub mean: Option<&'a GpuStorage>,
    pub len: usize,
    pub mid: usize,
    pub inner: usize,
    pub mode: Mode,
}

#[allow(clippy::too_many_arguments)]
fn params(
    outer: usize,
    n: usize,
    inner: usize,
    total: usize,
    mid: usize,
    count: usize,
    chunks: usize,
    mode: u32,
    offset: usize,
) -> Result<[u32; 12]> {
    let w = |x: usize| u("reduce", x);
    Ok([
        w(outer)?,
        w(n)?,
        w(inner)?,
        w(total)?,
        w(mid)?,
        w(count)?,
        w(chunks)?,
        w(CHUNK)?,
        mode,
        w(offset)?,
        0,
        0,
    ])
}

/// Writes Σ of each segment into `out[offset .. offset + mid]`.
pub(super) fn segments_into(gpu: &Gpu, s: &Segments<'_>, out: &GpuStorage, offset: usize) -> Result<()> {
    let mid = s.mid.max(1);
    let count = s.len / mid;
    let chunks = count.div_ceil(CHUNK).max(1);
    let partials = gpu.alloc("reduce partials", mid * chunks)?;
    let p = params(0, 0, s.inner.max(1), 0, mid, count, chunks, s.mode as u32, offset)?;
    let (y, mean) = (s.y.unwrap_or(s.x), s.mean.unwrap_or(s.x));
    gpu.run(
        &SHADER,
        "segment_sum",
        &p,
        &[s.x, y, mean],
        &[&partials],
        Groups::Workgroups(mid * chunks),
    )?;
    gpu.run(&SHADER, "segment_total", &p, &[&partials], &[out], Groups::Workgroups(mid))
}

/// Σ of each segment, as a fresh [mid] tensor.
pub(super) fn segments(gpu: &Gpu, s: &Segments<'_>) -> Result<GpuStorage> {
    let out = gpu.alloc("reduce", s.mid)?;
    segments_into(gpu, s, &out, 0)?;
    Ok(out)
}

/// Sums partial results laid out as [segments, chunks] over the chunks (pass 2 alone).
pub(super) fn total_of_partials(gpu: &Gpu, partials: &GpuStorage, segments: usize, chunks: usize) -> Result<GpuStorage> {
    let out = gpu.alloc("reduce", segments)?;
    let p = params(0, 0, 1, 0, segments, 0, chunks, 0, 0)?;
    gpu.run(&SHADER, "segment_total", &p, &[partials], &[&out], Groups::Workgroups(segments))?;
    Ok(out)
}

/// One sum per tensor (`sum_squares`, `count_nonfinite`): every reduction recorded, then one
/// read-back of all the results.
pub(super) fn per_tensor(gpu: &Gpu, xs: &[&GpuStorage], mode: Mode) -> Result<Vec<f64>> {
    if xs.is_empty() {
        return Ok(Vec::new());
    }
    let out = gpu.alloc("reduce", xs.len())?;
    for (k, x) in xs.iter().enumerate() {
        let s = Segments {
            x,
            y: None,
            mean: None,
            len: x.len,
            mid: 1,
            inner: 1,
            mode,
        };
        segments_into(gpu, &s, &out, k)?;
    }
    let v = gpu.ctx.read(&[(&out.buf, xs.len())])?.pop().expect("one part read");
    Ok(v.into_iter().map(f64::from).collect())
}

pub(super) fn reduce_bcast(gpu: &Gpu, g: &GpuStorage, map: Bcast, len: usize) -> Result<GpuStorage> {
    if map.is_full(len) {
        // The identity: share the buffer (storage is never written in place except by the
        // optimisers, which copy a shared buffer first).
        return Ok(g.clone());
    }
    let s = Segments {
        x: g,
        y: None,
        mean: None,
        len,
        mid: map.mid,
        inner: map.inner,
        mode: Mode::Values,
    };
    segments(gpu, &s)
}

pub(super) fn sum_axis(gpu: &Gpu, x: &GpuStorage, d: AxisDims) -> Result<GpuStorage> {
    let total = d.outer * d.inner;
    let out = gpu.alloc("sum_axis", total)?;
    let p = params(d.outer, d.n, d.inner.max(1), total, 0, 0, 1, 0, 0)?;
    gpu.run(&SHADER, "sum_axis", &p, &[x], &[&out], Groups::Threads(total))?;
    Ok(out)
}

pub(super) fn expand_axis(gpu: &Gpu, g: &GpuStorage, d: AxisDims) -> Result<GpuStorage> {
    let total = d.outer * d.n * d.inner;
    let out = gpu.alloc("expand_axis", total)?;
    let p = params(d.outer, d.n, d.inner.max(1), total, 0, 0, 1, 0, 0)?;
    gpu.run(&SHADER, "expand_axis", &p, &[g], &[&out], Groups::Threads(total))?;
    Ok(out)
}
