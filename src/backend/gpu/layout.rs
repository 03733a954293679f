//! Transpose, concat and slice_block (`shaders/layout.wgsl`).

use super::device::{Groups, Shader};
use super::{u, Gpu, GpuStorage};
use crate::error::Result;

pub(super) const SHADER: Shader = Shader {
    name: "layout",
    source: include_str!("../../../shaders/layout.wgsl"),
};

/// The transpose's tile side (`TILE` in the shader).
const TILE: usize = 16;

pub(super) fn transpose(gpu: &Gpu, x: &GpuStorage, rows: usize, cols: usize) -> Result<GpuStorage> {
    let out = gpu.alloc("transpose", rows * cols)?;
    let p = [u("transpose", rows)?, u("transpose", cols)?, 0, 0, 0, 0, 0, 0];
    let (gx, gy) = (u("transpose", cols.div_ceil(TILE))?, u("transpose", rows.div_ceil(TILE))?);
    gpu.run(&SHADER, "transpose", &p, &[x], &[&out], Groups::Grid(gx, gy, 1))?;
    Ok(out)
}

/// Copies `len` elements of each of `outer` rows from `src` (row stride `src_block`, from
/// `src_start`) into `dst` (row stride `dst_block`, from `dst_start`).
#[allow(clippy::too_many_arguments)]
fn copy_blocks(
    gpu: &Gpu,
    src: &GpuStorage,
    dst: &GpuStorage,
    outer: usize,
    len: usize,
    (src_block, src_start): (usize, usize),
    (dst_block, dst_start): (usize, usize),
) -> Result<()> {
    let w = |x: usize| u("concat", x);
    let p = [0, 0, w(outer)?, w(len)?, w(src_block)?, w(src_start)?, w(dst_block)?, w(dst_start)?];
    gpu.run(&SHADER, "copy_blocks", &p, &[src], &[dst], Groups::Threads(outer * len))
}

pub(super) fn concat(gpu: &Gpu, parts: &[(&GpuStorage, usize)], outer: usize) -> Result<GpuStorage> {
    let total: usize = parts.iter().map(|p| p.1).sum();
    let out = gpu.alloc("concat", outer * total)?;
    let mut start = 0;
    for (s, block) in parts {
        copy_blocks(gpu, s, &out, outer, *block, (*block, 0), (total, start))?;
        start += block;
    }
    Ok(out)
}

pub(super) fn slice_block(gpu: &Gpu, x: &GpuStorage, outer: usize, block: usize, start: usize, len: usize) -> Result<GpuStorage> {
    let out = gpu.alloc("slice_block", outer * len)?;
    copy_blocks(gpu, x, &out, outer, len, (block, start), (len, 0))?;
    Ok(out)
}
