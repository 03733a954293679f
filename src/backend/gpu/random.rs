//! The dropout mask (`shaders/random.wgsl`), bit for bit the CPU's: the specification and its
//! test vectors are in `backend/random.rs`.

use super::device::{Groups, Shader};
use super::{f, u, Gpu, GpuStorage};
use crate::backend::random::{dropout_threshold, key};
use crate::error::Result;

pub(super) const SHADER: Shader = Shader {
    name: "random",
    source: include_str!("../../../shaders/random.wgsl"),
};

pub(super) fn dropout_mask(gpu: &Gpu, len: usize, p: f64, seed: u64) -> Result<GpuStorage> {
    let out = gpu.alloc("dropout_mask", len)?;
    let params = [u("dropout_mask", len)?, key(seed), dropout_threshold(p), f(1.0 / (1.0 - p))];
    gpu.run(&SHADER, "dropout_mask", &params, &[], &[&out], Groups::Threads(len))?;
    Ok(out)
}
