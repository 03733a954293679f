//! Pointwise maps, their derivatives, and broadcast binary operators.

use super::{Element, PAR_MIN};
use crate::backend::{Bcast, BinaryOp, UnaryOp};
use rayon::prelude::*;

/// f(x), in the element type.
#[inline(always)]
pub(crate) fn apply<E: Element>(op: UnaryOp, x: E) -> E {
    let one = E::one();
    match op {
        UnaryOp::Neg => -x,
        UnaryOp::Exp => x.exp(),
        UnaryOp::Log => x.ln(),
        UnaryOp::Sqrt => x.sqrt(),
        UnaryOp::Powf(p) => x.powf(E::of(p)),
        UnaryOp::Relu => x.max(E::zero()),
        UnaryOp::LeakyRelu(a) => {
            if x > E::zero() {
                x
            } else {
                E::of(a) * x
            }
        }
        UnaryOp::Sigmoid => one / (one + (-x).exp()),
        UnaryOp::Tanh => x.tanh(),
        // ln(1 + eˣ) = max(x, 0) + ln(1 + e^{−|x|}): no overflow for large x.
        UnaryOp::Softplus => x.max(E::zero()) + (-x.abs()).exp().ln_1p(),
        UnaryOp::AddScalar(c) => x + E::of(c),
        UnaryOp::MulScalar(c) => E::of(c) * x,
        UnaryOp::Square => x * x,
        UnaryOp::Abs => x.abs(),
    }
}

/// f'(x), given x and y = f(x); each function uses whichever of the two is cheaper.
#[inline(always)]
pub(crate) fn derivative<E: Element>(op: UnaryOp, x: E, y: E) -> E {
    let one = E::one();
    let zero = E::zero();
    match op {
        UnaryOp::Neg => -one,
        UnaryOp::Exp => y,
        UnaryOp::Log => one / x,
        UnaryOp::Sqrt => E::of(0.5) / y,
        UnaryOp::Powf(p) => E::of(p) * x.powf(E::of(p - 1.0)),
        UnaryOp::Relu => {
            if x > zero {
                one
            } else {
                zero
            }
        }
        UnaryOp::LeakyRelu(a) => {
            if x > zero {
                one
            } else {
                E::of(a)
            }
        }
        UnaryOp::Sigmoid => y * (one - y),
        UnaryOp::Tanh => one - y * y,
        // d/dx ln(1 + eˣ) = σ(x).
        UnaryOp::Softplus => one / (one + (-x).exp()),
        UnaryOp::AddScalar(_) => one,
        UnaryOp::MulScalar(c) => E::of(c),
        UnaryOp::Square => E::of(2.0) * x,
        // sign(x), 0 at 0 like PyTorch (Float::signum would give ±1 at ±0).
        UnaryOp::Abs => {
            if x > zero {
                one
            } else if x < zero {
                -one
            } else {
                zero
            }
        }
    }
}

pub(crate) fn unary<E: Element>(op: UnaryOp, x: &[E]) -> Vec<E> {
    if x.len() >= PAR_MIN {
        x.par_iter().map(|&v| apply(op, v)).collect()
    } else {
        x.iter().map(|&v| apply(op, v)).collect()
    }
}

pub(crate) fn unary_backward<E: Element>(op: UnaryOp, x: &[E], y: &[E], g: &[E]) -> Vec<E> {
    let f = |i: usize| g[i] * derivative(op, x[i], y[i]);
    if x.len() >= PAR_MIN {
        (0..x.len()).into_par_iter().map(f).collect()
    } else {
        (0..x.len()).map(f).collect()
    }
}

#[inline(always)]
fn combine<E: Element>(op: BinaryOp, a: E, b: E) -> E {
    match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        BinaryOp::Div => a / b,
    }
}

pub(crate) fn binary<E: Element>(op: BinaryOp, a: &[E], am: Bcast, b: &[E], bm: Bcast, len: usize) -> Vec<E> {
    // The common case (both operands full) skips the index arithmetic.
    if am.is_full(len) && bm.is_full(len) {
        let f = |(x, y): (&E, &E)| combine(op, *x, *y);
        return if len >= PAR_MIN {
            a.par_iter().zip(b.par_iter()).map(f).collect()
        } else {
            a.iter().zip(b.iter()).map(f).collect()
        };
    }
    let f = |i: usize| combine(op, a[am.index(i)], b[bm.index(i)]);
    if len >= PAR_MIN {
        (0..len).into_par_iter().map(f).collect()
    } else {
        (0..len).map(f).collect()
    }
}
