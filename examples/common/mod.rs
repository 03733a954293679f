//! What the examples share: a small MLP on `nn::Linear`, a progress bar, mini-batches and the
//! output folder.

#![allow(dead_code)]

use cosmograd::nn::{Init, Linear, ParamStore};
use cosmograd::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug)]
pub enum Act {
    Tanh,
    Relu,
}

/// Fully connected layers with an activation after each but the last.
pub struct Mlp {
    pub layers: Vec<Linear>,
    pub act: Act,
}

impl Mlp {
    /// `sizes` = [inputs, hidden…, outputs]; layers are named `<name>.<i>`.
    pub fn new<B: Backend>(store: &mut ParamStore<B>, name: &str, sizes: &[usize], act: Act, seed: u64) -> Result<Self> {
        let init = match act {
            Act::Tanh => Init::XavierUniform,
            Act::Relu => Init::HeNormal,
        };
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(i, w)| Linear::new(store, &format!("{name}.{i}"), w[0], w[1], true, init, seed))
            .collect::<Result<_>>()?;
        Ok(Mlp { layers, act })
    }
    pub fn forward<'t, B: Backend>(&self, store: &ParamStore<B>, mut h: Var<'t, B>) -> Result<Var<'t, B>> {
        for (i, l) in self.layers.iter().enumerate() {
            h = l.forward(store, h)?;
            if i + 1 < self.layers.len() {
                h = match self.act {
                    Act::Tanh => h.tanh()?,
                    Act::Relu => h.relu()?,
                };
            }
        }
        Ok(h)
    }
}

pub fn progress(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {elapsed_precise} (eta {eta}) {msg}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    pb.set_prefix(what.to_string());
    pb
}

/// Shuffled mini-batches of row indices.
pub fn batches(n: usize, batch: usize, rng: &mut StdRng) -> Vec<Vec<usize>> {
    let mut idx: Vec<usize> = (0..n).collect();
    idx.shuffle(rng);
    idx.chunks(batch).map(|c| c.to_vec()).collect()
}

/// Rows `idx` of a row-major matrix with `cols` columns.
pub fn gather(data: &[f64], cols: usize, idx: &[usize]) -> Vec<f64> {
    idx.iter().flat_map(|&i| data[i * cols..(i + 1) * cols].iter().copied()).collect()
}

/// Where the examples write figures and checkpoints: `$COSMOGRAD_OUT` or `out/examples`.
pub fn out_dir() -> PathBuf {
    let d = std::env::var_os("COSMOGRAD_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| "out/examples".into());
    std::fs::create_dir_all(&d).expect("the output folder can be created");
    d
}
