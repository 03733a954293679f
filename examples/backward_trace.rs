//! A backward trace where one value feeds two consumers: `cargo run --example backward_trace`.
//!
//! h = eˣ is used by h² and by 3h, so E = h² + 3h sends h two gradients, 2h and 3, which the
//! tape adds (thesis eq. 21; eq. 31 in the worked example). The trace shows both and the sum.
//! `COSMOGRAD_TRACE=1` prints the same trace from any `tape.backward`.

use cosmograd::prelude::*;

pub fn main() -> cosmograd::Result<()> {
    print!("{}", output()?);
    Ok(())
}

/// What the example prints (the tests check it).
pub fn output() -> cosmograd::Result<String> {
    let tape = Tape::new(Cpu::<f64>::default());
    let x = tape.leaf(Tensor::from_f64(tape.backend(), &[0.5], &[1])?).named("x");
    let h = x.exp()?.named("h");
    let e = h.square()?.add(h.mul_scalar(3.0)?)?.sum()?.named("E");
    let (grads, trace) = tape.backward_traced(e)?;
    let mut out = trace.render();
    out += &format!("∂E/∂x = (2h + 3)·h = {:.6}\n", grads.wrt(x)?.to_vec_f64(tape.backend())?[0]);
    Ok(out)
}
