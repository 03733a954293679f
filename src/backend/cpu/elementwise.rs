//! Pointwise maps, their derivatives, and broadcast binary operators.

use super::{Element, PAR_MIN};
use crate::backend::{Bcast, BinaryOp, UnaryOp};
use rayon::prelude::*;
use std::mem::MaybeUninit;

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
        // Not `x.max(0)`: Float::max returns the other operand for NaN, and a NaN turned into
        // 0 hides the fault from the guard. `x < 0` is false for NaN, so NaN passes through
        // (as in PyTorch and in max pooling).
        UnaryOp::Relu => {
            if x < E::zero() {
                E::zero()
            } else {
                x
            }
        }
        // αx for NaN is NaN.
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
        // (The second term is NaN for NaN x, whatever `max` does with it.)
        UnaryOp::Softplus => x.max(E::zero()) + (-x.abs()).exp().ln_1p(),
        // x / (1 + e^{−x}) = x·σ(x): for x → −∞ the denominator overflows to ∞ and the value
        // is −0, never ∞·0; NaN stays NaN.
        UnaryOp::Silu => x / (one + (-x).exp()),
        UnaryOp::AddScalar(c) => x + E::of(c),
        UnaryOp::MulScalar(c) => E::of(c) * x,
        UnaryOp::Square => x * x,
        UnaryOp::Abs => x.abs(),
    }
}

/// f'(x), given x and y = f(x); each function uses whichever of the two is cheaper.
///
/// f'(NaN) is NaN for every function that is not affine, so a NaN that reaches an activation
/// also shows in the gradient; a comparison such as `x > 0` is false for NaN and would
/// otherwise silently pick one branch.
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
            } else if x.is_nan() {
                x
            } else {
                zero
            }
        }
        UnaryOp::LeakyRelu(a) => {
            if x > zero {
                one
            } else if x.is_nan() {
                x
            } else {
                E::of(a)
            }
        }
        UnaryOp::Sigmoid => y * (one - y),
        UnaryOp::Tanh => one - y * y,
        // d/dx ln(1 + eˣ) = σ(x).
        UnaryOp::Softplus => one / (one + (-x).exp()),
        // d/dx x·σ(x) = σ + x σ(1 − σ) = σ (1 + x (1 − σ)).
        UnaryOp::Silu => {
            let s = one / (one + (-x).exp());
            s * (one + x * (one - s))
        }
        UnaryOp::AddScalar(_) => one,
        UnaryOp::MulScalar(c) => E::of(c),
        UnaryOp::Square => E::of(2.0) * x,
        // sign(x), 0 at 0 like PyTorch (Float::signum would give ±1 at ±0), NaN at NaN.
        UnaryOp::Abs => {
            if x > zero {
                one
            } else if x < zero {
                -one
            } else if x.is_nan() {
                x
            } else {
                zero
            }
        }
    }
}

/// Elements per parallel task: large enough to amortise rayon, small enough to balance.
const CHUNK: usize = 1 << 14;

/// A fresh vector of n elements, each written exactly once by `body(start, chunk)` for the
/// chunk of the output that begins at `start`; chunks run in parallel for large n. Writing
/// into uninitialised memory saves the zeroing pass over outputs of up to 128 MiB.
fn fill<E: Element>(n: usize, body: impl Fn(usize, &mut [MaybeUninit<E>]) + Sync) -> Vec<E> {
    let mut out = Vec::with_capacity(n);
    let spare = &mut out.spare_capacity_mut()[..n];
    if n >= PAR_MIN {
        spare.par_chunks_mut(CHUNK).enumerate().for_each(|(c, o)| body(c * CHUNK, o));
    } else {
        body(0, spare);
    }
    // SAFETY: every caller's body writes every element of the chunk it is given.
    unsafe { out.set_len(n) };
    out
}

/// Runs `$body` with `$o` bound to `$op` in an arm of its own for the common functions, so that
/// `apply`/`derivative` inline to one branch-free, vectorisable loop per function instead of a
/// `match` per element.
macro_rules! specialise {
    ($op:expr, |$o:ident| $body:expr) => {
        match $op {
            UnaryOp::Relu => {
                let $o = UnaryOp::Relu;
                $body
            }
            UnaryOp::LeakyRelu(a) => {
                let $o = UnaryOp::LeakyRelu(a);
                $body
            }
            UnaryOp::Sigmoid => {
                let $o = UnaryOp::Sigmoid;
                $body
            }
            UnaryOp::Tanh => {
                let $o = UnaryOp::Tanh;
                $body
            }
            UnaryOp::Silu => {
                let $o = UnaryOp::Silu;
                $body
            }
            UnaryOp::Exp => {
                let $o = UnaryOp::Exp;
                $body
            }
            UnaryOp::Neg => {
                let $o = UnaryOp::Neg;
                $body
            }
            UnaryOp::Square => {
                let $o = UnaryOp::Square;
                $body
            }
            UnaryOp::MulScalar(c) => {
                let $o = UnaryOp::MulScalar(c);
                $body
            }
            UnaryOp::AddScalar(c) => {
                let $o = UnaryOp::AddScalar(c);
                $body
            }
            other => {
                let $o = other;
                $body
            }
        }
    };
}

pub(crate) fn unary<E: Element>(op: UnaryOp, x: &[E]) -> Vec<E> {
    specialise!(op, |o| fill(x.len(), |s, out| {
        for (d, &v) in out.iter_mut().zip(&x[s..]) {
            d.write(apply(o, v));
        }
    }))
}

pub(crate) fn unary_backward<E: Element>(op: UnaryOp, x: &[E], y: &[E], g: &[E]) -> Vec<E> {
    specialise!(op, |o| fill(x.len(), |s, out| {
        for (((d, &xv), &yv), &gv) in out.iter_mut().zip(&x[s..]).zip(&y[s..]).zip(&g[s..]) {
            d.write(gv * derivative(o, xv, yv));
        }
    }))
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
        let full = |o: BinaryOp| {
            fill(len, |s, out| {
                for ((d, &x), &y) in out.iter_mut().zip(&a[s..]).zip(&b[s..]) {
                    d.write(combine(o, x, y));
                }
            })
        };
        // One loop per operator (see `specialise!`).
        return match op {
            BinaryOp::Add => full(BinaryOp::Add),
            BinaryOp::Sub => full(BinaryOp::Sub),
            BinaryOp::Mul => full(BinaryOp::Mul),
            BinaryOp::Div => full(BinaryOp::Div),
        };
    }
    let f = |i: usize| combine(op, a[am.index(i)], b[bm.index(i)]);
    if len >= PAR_MIN {
        (0..len).into_par_iter().map(f).collect()
    } else {
        (0..len).map(f).collect()
    }
}
