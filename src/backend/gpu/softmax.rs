//! Row-wise softmax and log-softmax with their backward (`shaders/softmax.wgsl`).

use super::device::{Groups, Shader};
use super::{u, Gpu, GpuStorage};
use crate::error::Result;

pub(super) const SHADER: Shader = Shader {
    name: "softmax",
    source: include_str!("../../../shaders/softmax.wgsl"),
};

/// One thread per row, in workgroups of this many rows.
const ROWS_PER_GROUP: f64 = 64.0;

fn params(rows: usize, cols: usize, log: bool) -> Result<[u32; 4]> {
    Ok([u("softmax", rows)?, u("softmax", cols)?, log as u32, 0])
}

pub(super) fn softmax_rows(gpu: &Gpu, x: &GpuStorage, rows: usize, cols: usize, log: bool) -> Result<GpuStorage> {
    let out = gpu.alloc("softmax", rows * cols)?;
    if cols == 0 {
        return Ok(out);
    }
    let wg = [("WG", ROWS_PER_GROUP)];
    let p = params(rows, cols, log)?;
    gpu.run_with(&SHADER, "softmax_rows", &wg, &p, &[x], &[&out], Groups::Threads(rows))?;
    Ok(out)
}

pub(super) fn softmax_rows_backward(gpu: &Gpu, y: &GpuStorage, g: &GpuStorage, rows: usize, cols: usize, log: bool) -> Result<GpuStorage> {
    let out = gpu.alloc("softmax_backward", rows * cols)?;
    if cols == 0 {
        return Ok(out);
    }
    let wg = [("WG", ROWS_PER_GROUP)];
    let p = params(rows, cols, log)?;
    gpu.run_with(&SHADER, "softmax_rows_backward", &wg, &p, &[y, g], &[&out], Groups::Threads(rows))?;
    Ok(out)
}
