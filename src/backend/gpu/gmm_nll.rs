//! The Gaussian-mixture NLL forward and backward (`shaders/gmm_nll.wgsl`), in f32. The
//! backward is two kernels (logits; means and σ) so that neither binds more than the eight
//! storage buffers every adapter allows.

use super::device::{Groups, Shader};
use super::{f, u, Gpu, GpuStorage};
use crate::backend::{GmmDims, GmmInputs, SigmaParam};
use crate::error::Result;

pub(super) const SHADER: Shader = Shader {
    name: "gmm_nll",
    source: include_str!("../../../shaders/gmm_nll.wgsl"),
};

/// Samples per workgroup (one thread each).
const WG: [(&str, f64); 1] = [("WG", 64.0)];

fn params(d: GmmDims) -> Result<[u32; 8]> {
    let (kind, floor) = match d.sigma {
        SigmaParam::Softplus { floor } => (0, floor),
        SigmaParam::Exp { floor } => (1, floor),
    };
    Ok([
        u("gmm_nll", d.n)?,
        u("gmm_nll", d.k)?,
        u("gmm_nll", d.d)?,
        d.isotropic as u32,
        kind,
        f(floor),
        0,
        0,
    ])
}

pub(super) fn forward(gpu: &Gpu, inp: GmmInputs<'_, GpuStorage>, d: GmmDims) -> Result<(GpuStorage, GpuStorage)> {
    let nll = gpu.alloc("gmm_nll", d.n)?;
    let gamma = gpu.alloc("gmm_nll", d.n * d.k)?;
    if d.k > 0 {
        let ins = [inp.logits, inp.means, inp.raw_sigma, inp.target];
        gpu.run_with(&SHADER, "forward", &WG, &params(d)?, &ins, &[&nll, &gamma], Groups::Threads(d.n))?;
    }
    Ok((nll, gamma))
}

pub(super) fn backward(
    gpu: &Gpu,
    inp: GmmInputs<'_, GpuStorage>,
    gamma: &GpuStorage,
    grad: &GpuStorage,
    d: GmmDims,
) -> Result<(GpuStorage, GpuStorage, GpuStorage)> {
    let ga = gpu.alloc("gmm_nll_backward", d.n * d.k)?;
    let gmu = gpu.alloc("gmm_nll_backward", d.n * d.k * d.d)?;
    let gs = gpu.alloc("gmm_nll_backward", d.n * d.sigmas_per_sample())?;
    if d.k > 0 {
        let p = params(d)?;
        gpu.run_with(
            &SHADER,
            "backward_logits",
            &WG,
            &p,
            &[inp.logits, gamma, grad],
            &[&ga],
            Groups::Threads(d.n),
        )?;
        let ins = [inp.means, inp.raw_sigma, inp.target, gamma, grad];
        gpu.run_with(&SHADER, "backward_params", &WG, &p, &ins, &[&gmu, &gs], Groups::Threads(d.n))?;
    }
    Ok((ga, gmu, gs))
}
