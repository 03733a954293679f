//! The gradient table for a function of your own: `cargo run --example gradcheck_table`.
//!
//! `gradcheck` compares the tape's gradient of any function of several inputs with central
//! finite differences in f64 and reports, per input, the worst elements by index. Here a
//! sigmoid layer with a square loss, then a function checked at a point where it has no
//! derivative, whose table shows which element fails.

use cosmograd::autodiff::gradcheck::{gradcheck, CheckInput, GradcheckOptions};
use ndarray::{ArrayD, IxDyn};

fn array(shape: &[usize], values: &[f64]) -> ArrayD<f64> {
    ArrayD::from_shape_vec(IxDyn(shape), values.to_vec()).expect("values match the shape")
}

pub fn main() -> cosmograd::Result<()> {
    print!("{}", output()?);
    Ok(())
}

/// What the example prints (the tests check it).
pub fn output() -> cosmograd::Result<String> {
    let x = array(&[2, 3], &[0.2, -0.5, 1.0, 0.7, 0.1, -0.3]);
    let v = array(&[2, 3], &[0.4, -0.2, 0.9, -0.6, 0.3, 0.5]);
    let t = array(&[2], &[0.05, -0.1]);
    let y = array(&[2, 2], &[0.3, 0.8, 0.6, 0.1]);
    let inputs = [
        CheckInput::data("x", x),
        CheckInput::wrt("V", v),
        CheckInput::wrt("T", t),
        CheckInput::data("y", y),
    ];
    let opts = GradcheckOptions {
        top: 4,
        ..Default::default()
    };

    // E = mean squared error of sigmoid(x Vᵀ + T) against y.
    let report = gradcheck(
        |_tape, v| v[0].linear(v[1], Some(v[2]))?.sigmoid()?.sub(v[3])?.square()?.mean(),
        &inputs,
        opts,
    )?;
    let mut out = format!("sigmoid layer + square loss:\n{}", report.table());

    // What a failure looks like: |x| has a kink at 0, and at x = 1e-7 the central difference
    // with ε = 1e-6 straddles it, so numeric and analytic derivative disagree there.
    let kinked = [CheckInput::wrt("x", array(&[4], &[-1.0, 1e-7, 0.5, 2.0]))];
    let report = gradcheck(|_tape, v| v[0].abs(), &kinked, opts)?;
    out += &format!("|x| near its kink (element [1] fails):\n{}", report.table());
    Ok(out)
}
