//! The picture of one backward pass of the thesis's MDN-CNN at its real size (one 256×256 map):
//!
//!   cargo run --release --example graph_pictures [-- docs/mdn_cnn.png]
//!
//! Each value shows its shape, a summary of its values and the norm of its gradient (the tape
//! retains the intermediate ones); each op
//! sits between its inputs and its output (see `src/autodiff/dot.rs`). Without Graphviz's `dot`
//! on the PATH the DOT text is written beside the path instead.

use cosmograd::backend::random::uniform;
use cosmograd::models::{MdnCnn, MdnCnnConfig};
use cosmograd::nn::ParamStore;
use cosmograd::prelude::*;
use std::path::PathBuf;

fn random(n: usize, seed: u64) -> Vec<f64> {
    (0..n).map(|i| uniform(seed, i as u32) as f64 * 2.0 - 1.0).collect()
}

fn main() -> Result<()> {
    let path = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "docs/mdn_cnn.png".into()));
    let be = Cpu::<f32>::default();
    let mut store = ParamStore::new(be);
    let cfg = MdnCnnConfig::default();
    let model = MdnCnn::new(&mut store, cfg)?;
    let (side, d) = (cfg.input_size, cfg.target_dim);
    let tape = Tape::new(be).training(true).retain_grads(true);
    let x = tape
        .input(Tensor::from_f64(&be, &random(side * side, 1), &[1, 1, side, side])?)
        .named("map x");
    let y = tape.input(Tensor::from_f64(&be, &random(d, 2), &[1, d])?).named("parameters y");
    let loss = model.loss(&store, x, y)?;
    let grads = tape.backward(loss)?;
    let out = tape.write_dot_png(&path, Some(&grads))?;
    println!("{out:?}");
    Ok(())
}
