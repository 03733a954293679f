//! Adding an op from outside the crate: SiLU ("swish"), y = x·σ(x), which cosmograd does not
//! have built in. Run with `cargo run --example custom_op`.
//!
//! Three steps (notes/custom_ops.md explains each):
//! 1. a struct that implements `BackwardRule<B>`: the op's name and its backward rule, holding
//!    whatever the forward computed that the backward needs (here σ(x));
//! 2. a function that computes the forward value with the backend's kernels and calls
//!    `tape.record(rule, &inputs, value)`;
//! 3. a gradient check in f64 (`gradcheck`), which prints the gradient table.
//!
//! The derivative, in the thesis's notation with h = X·σ(X):
//!   ∂h/∂X = σ(X) + X·σ(X)(1 − σ(X)) = σ(X)·(1 + X(1 − σ(X)))
//! so ∂E/∂X = ∂E/∂h · σ(X)·(1 + X(1 − σ(X))).

use cosmograd::autodiff::gradcheck::{gradcheck, CheckInput, GradcheckOptions};
use cosmograd::autodiff::{BackwardCtx, BackwardRule, Var};
use cosmograd::backend::{Backend, Bcast, BinaryOp, UnaryOp};
use cosmograd::prelude::*;
use ndarray::{ArrayD, IxDyn};

/// The backward rule of SiLU. The forward saves σ(X), which the backward needs.
struct Silu<B: Backend> {
    sigma: Tensor<B>,
}

impl<B: Backend> BackwardRule<B> for Silu<B> {
    fn name(&self) -> &str {
        "silu"
    }
    fn backward(&self, c: &BackwardCtx<'_, B>) -> cosmograd::Result<Vec<Option<Tensor<B>>>> {
        let be = c.backend;
        let n = c.grad.numel();
        let full = Bcast::full(n);
        let (x, s, g) = (c.inputs[0].storage(), self.sigma.storage(), c.grad.storage());
        // 1 − σ(X)
        let one_minus_s = be.unary(UnaryOp::AddScalar(1.0), &be.unary(UnaryOp::Neg, s)?)?;
        // 1 + X(1 − σ(X))
        let bracket = be.unary(UnaryOp::AddScalar(1.0), &be.binary(BinaryOp::Mul, x, full, &one_minus_s, full, n)?)?;
        // ∂h/∂X = σ(X)·(1 + X(1 − σ(X))), then the chain rule: ∂E/∂X = ∂E/∂h · ∂h/∂X
        let dh_dx = be.binary(BinaryOp::Mul, s, full, &bracket, full, n)?;
        let gx = be.binary(BinaryOp::Mul, g, full, &dh_dx, full, n)?;
        Ok(vec![Some(Tensor::from_storage(gx, c.grad.shape().to_vec()))])
    }
}

/// h = X·σ(X), recorded on X's tape.
fn silu<'t, B: Backend>(x: Var<'t, B>) -> cosmograd::Result<Var<'t, B>> {
    let be = x.backend();
    let xv = x.value();
    let n = xv.numel();
    let sigma = be.unary(UnaryOp::Sigmoid, xv.storage())?;
    let h = be.binary(BinaryOp::Mul, xv.storage(), Bcast::full(n), &sigma, Bcast::full(n), n)?;
    let rule = Silu {
        sigma: Tensor::from_storage(sigma, xv.shape().to_vec()),
    };
    x.tape().record(rule, &[x], Tensor::from_storage(h, xv.shape().to_vec()))
}

pub fn main() -> cosmograd::Result<()> {
    // Use it like any built-in op, here inside a small layer with a loss.
    let tape = Tape::new(Cpu::<f32>::default());
    let x = tape.leaf(Tensor::from_f64(tape.backend(), &[-2.0, -0.5, 0.0, 1.5], &[4])?);
    let e = silu(x)?.square()?.sum()?;
    let grads = tape.backward(e)?;
    println!("E = Σ silu(x)² = {:.6}", e.item()?);
    println!("∂E/∂x = {:?}\n", grads.wrt(x)?.to_vec_f64(tape.backend()));

    // Check the rule in f64 against central finite differences, composed with a built-in op so
    // that the check also covers how the custom op passes gradients on.
    let x = ArrayD::from_shape_vec(IxDyn(&[2, 3]), vec![-2.0, -0.7, 0.1, 0.4, 1.3, 3.0]).expect("6 values");
    let w = ArrayD::from_shape_vec(IxDyn(&[3]), vec![0.5, -1.5, 2.0]).expect("3 values");
    let report = gradcheck(
        |_t, v| silu(v[0].mul(v[1])?),
        &[CheckInput::wrt("x", x), CheckInput::wrt("w", w)],
        GradcheckOptions::default(),
    )?;
    print!("{}", report.table());
    if !report.passed() {
        return Err(Error::Other("the silu backward rule fails its gradient check".into()));
    }
    println!("silu: gradient check passed");
    Ok(())
}
