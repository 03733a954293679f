//! Pointwise maps, their derivatives, broadcast binary operators and fill
//! (`shaders/elementwise.wgsl`; the formulas side by side with the CPU's `apply`/`derivative`).

use super::device::{Groups, Shader};
use super::{f, u, Gpu, GpuStorage};
use crate::backend::{Bcast, BinaryOp, UnaryOp};
use crate::error::Result;

pub(super) const SHADER: Shader = Shader {
    name: "elementwise",
    source: include_str!("../../../shaders/elementwise.wgsl"),
};

/// The shader's op code and scalar of a pointwise function.
fn code(op: UnaryOp) -> (u32, f64) {
    match op {
        UnaryOp::Neg => (0, 0.0),
        UnaryOp::Exp => (1, 0.0),
        UnaryOp::Log => (2, 0.0),
        UnaryOp::Sqrt => (3, 0.0),
        UnaryOp::Powf(p) => (4, p),
        UnaryOp::Relu => (5, 0.0),
        UnaryOp::LeakyRelu(a) => (6, a),
        UnaryOp::Sigmoid => (7, 0.0),
        UnaryOp::Tanh => (8, 0.0),
        UnaryOp::Softplus => (9, 0.0),
        UnaryOp::AddScalar(c) => (10, c),
        UnaryOp::MulScalar(c) => (11, c),
        UnaryOp::Square => (12, 0.0),
        UnaryOp::Abs => (13, 0.0),
    }
}

/// The parameter block: n, op, s0, s1, then the two broadcast maps.
fn params(n: u32, op: u32, s0: f64, a: Bcast, b: Bcast) -> Result<[u32; 8]> {
    let m = |x: usize| u("binary", x);
    Ok([n, op, f(s0), 0, m(a.mid)?, m(a.inner)?, m(b.mid)?, m(b.inner)?])
}

pub(super) fn unary(gpu: &Gpu, op: UnaryOp, x: &GpuStorage) -> Result<GpuStorage> {
    let out = gpu.alloc("unary", x.len)?;
    let (c, s) = code(op);
    let one = Bcast::scalar();
    let p = params(u("unary", x.len)?, c, s, one, one)?;
    gpu.run(&SHADER, "unary", &p, &[x], &[&out], Groups::Threads(x.len))?;
    Ok(out)
}

pub(super) fn unary_backward(gpu: &Gpu, op: UnaryOp, x: &GpuStorage, y: &GpuStorage, g: &GpuStorage) -> Result<GpuStorage> {
    let out = gpu.alloc("unary_backward", x.len)?;
    let (c, s) = code(op);
    let one = Bcast::scalar();
    let p = params(u("unary_backward", x.len)?, c, s, one, one)?;
    gpu.run(&SHADER, "unary_backward", &p, &[x, y, g], &[&out], Groups::Threads(x.len))?;
    Ok(out)
}

pub(super) fn binary(gpu: &Gpu, op: BinaryOp, a: &GpuStorage, am: Bcast, b: &GpuStorage, bm: Bcast, len: usize) -> Result<GpuStorage> {
    let out = gpu.alloc("binary", len)?;
    let c = match op {
        BinaryOp::Add => 0,
        BinaryOp::Sub => 1,
        BinaryOp::Mul => 2,
        BinaryOp::Div => 3,
    };
    let p = params(u("binary", len)?, c, 0.0, am, bm)?;
    gpu.run(&SHADER, "binary", &p, &[a, b], &[&out], Groups::Threads(len))?;
    Ok(out)
}

pub(super) fn fill(gpu: &Gpu, len: usize, value: f64) -> Result<GpuStorage> {
    let out = gpu.alloc("fill", len)?;
    fill_into(gpu, &out, value)?;
    Ok(out)
}

/// Writes `value` into every element of `out`.
pub(super) fn fill_into(gpu: &Gpu, out: &GpuStorage, value: f64) -> Result<()> {
    let one = Bcast::scalar();
    let p = params(u("fill", out.len)?, 0, value, one, one)?;
    gpu.run(&SHADER, "fill", &p, &[], &[out], Groups::Threads(out.len))
}
