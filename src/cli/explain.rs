//! `cosmograd explain [--seed S] [--lr λ] [--activation f] [--markdown] [--trace] [--dot FILE]`:
//! the thesis's worked backward pass (Figure 2, eqs. 24–39) on a seeded network.

use crate::autodiff::dot::{write_dot_png, DotOutput};
use crate::error::{Error, Result};
use crate::teach::{explain, Activation};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Seed of the weights, the input x_k and the target y_k.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The learning rate λ of the update (eqs. 29, 39).
    #[arg(long, default_value_t = 0.5)]
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
    /// Draw the tape after backward: a PNG when Graphviz is installed, else DOT text
    /// (a FILE ending in .dot always gets the text).
    #[arg(long)]
    pub dot: Option<PathBuf>,
}

pub fn run(a: Args) -> Result<i32> {
    let e = explain(a.seed, a.lr, a.activation)?;
    if a.markdown {
        print!("{}", e.render_markdown());
    } else {
        print!("{}", e.render_text());
    }
    if a.trace {
        let fence = if a.markdown { "```\n" } else { "\n" };
        print!("{fence}{}{fence}", e.trace.render());
    }
    if let Some(path) = a.dot {
        if path.as_os_str().is_empty() {
            return Err(Error::invalid("explain", "--dot needs a file name, e.g. --dot thesis_net.png"));
        }
        match write_dot_png(&e.dot, &path)? {
            DotOutput::Png(p) => eprintln!("wrote {}", p.display()),
            DotOutput::Dot(p) => eprintln!("wrote {}", p.display()),
        }
    }
    Ok(0)
}
