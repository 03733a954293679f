//! Tiled matrix multiply with transpose flags (`shaders/matmul.wgsl`).

use super::device::{Groups, Shader};
use super::{u, Gpu, GpuStorage};
use crate::backend::MatmulDims;
use crate::error::Result;

pub(super) const SHADER: Shader = Shader {
    name: "matmul",
    source: include_str!("../../../shaders/matmul.wgsl"),
};

/// The output tile of one workgroup (BM = BN in the shader).
const TILE: usize = 64;

pub(super) fn matmul(gpu: &Gpu, a: &GpuStorage, b: &GpuStorage, d: MatmulDims) -> Result<GpuStorage> {
    let out = gpu.alloc("matmul", d.m * d.n)?;
    let w = |x: usize| u("matmul", x);
    let p = [w(d.m)?, w(d.k)?, w(d.n)?, d.trans_a as u32, d.trans_b as u32, 0, 0, 0];
    let grid = Groups::Grid(w(d.n.div_ceil(TILE))?, w(d.m.div_ceil(TILE))?, 1);
    gpu.run(&SHADER, "matmul", &p, &[a, b], &[&out], grid)?;
    Ok(out)
}
