//! `cosmograd explain [--seed S] [--lr λ] [--activation f] [--markdown] [--trace] [--dot FILE]`:
//! the thesis's worked backward pass (Figure 2, eqs. 24–39) on a seeded network.

use super::out;
use crate::autodiff::dot::write_dot_png;
use crate::error::Result;
use crate::teach::{explain, Activation};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Seed of the weights, the input x_k and the target y_k (a whole number ≥ 0).
    #[arg(long, default_value_t = 1, value_parser = out::seed, allow_negative_numbers = true)]
    pub seed: u64,
    /// The learning rate λ of the update (eqs. 29, 39), a number > 0.
    #[arg(long, default_value_t = 0.5, value_parser = out::positive, allow_negative_numbers = true)]
    pub lr: f64,
    /// The activation f of the second hidden layer (layer 3).
    #[arg(long, value_enum, default_value_t = Activation::Sigmoid)]
    pub activation: Activation,
    /// Print Markdown (for lecture notes) instead of aligned text.
    #[arg(long)]
    pub markdown: bool,
    /// Also print the tape's backward trace, node by node.
    #[arg(long)]
    pub trace: bool,
    /// Draw the tape after backward to FILE: a PNG for FILE.png (rendered by Graphviz; without
    /// it, the DOT text goes to FILE.dot if no such file exists), the DOT text for FILE.dot.
    #[arg(long, value_name = "FILE")]
    pub dot: Option<PathBuf>,
}

pub fn run(a: Args) -> Result<i32> {
    let e = explain(a.seed, a.lr, a.activation)?;
    let mut text = if a.markdown { e.render_markdown() } else { e.render_text() };
    if a.trace {
        let fence = if a.markdown { "```\n" } else { "\n" };
        text += &format!("{fence}{}{fence}", e.trace.render());
    }
    out::print(&text)?;
    if let Some(path) = a.dot {
        out::note(&write_dot_png(&e.dot, &path)?.to_string());
    }
    Ok(0)
}
