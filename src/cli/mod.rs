//! The `cosmograd` command line: one binary, one subcommand per job.

mod eval;
mod eval_fields;
mod explain;
mod fisher;
mod gradcheck;
mod info;
mod lesson;
pub mod out;
mod progress;
mod sample;
mod sample_ddpm;
mod sample_gan;
mod simulate;
mod simulate_quijote;
mod train;
mod train_ddpm;
mod train_gan;

use crate::error::Result;
use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "cosmograd", version, about = "Hand-written autodiff, CPU kernels and cosmology models")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per process: the size of its largest variant (train's options) costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check every op's gradient against f64 central finite differences.
    Gradcheck(gradcheck::Args),
    /// Walk the thesis's worked backward pass (Figure 2, eqs. 24–39): by hand, by the tape,
    /// by finite differences.
    Explain(explain::Args),
    /// Write an interactive backprop lesson: one self-contained HTML page that steps through
    /// a real forward and backward pass (the thesis network, or the mixture-density head).
    Lesson(lesson::Args),
    /// Write synthetic data sets in the file layout of the real ones (`simulate cmd`,
    /// `simulate quijote`).
    Simulate(simulate::Args),
    /// The Fisher matrix and Cramér–Rao bounds of the synthetic CMD maps.
    Fisher(fisher::Args),
    /// Version, backends, threads and the list of differentiable ops.
    Info(info::Args),
    /// Train a model (`train mdn`: infer the CMD parameters from maps; `train ddpm`, `train
    /// gan`: generate density fields).
    Train(train::Args),
    /// Draw maps from a trained generative model (`sample ddpm --run RUN`, `sample gan --run RUN`).
    Sample(sample::Args),
    /// Evaluate a trained model (`eval mdn --run RUN`) or judge generated density fields
    /// against real ones (`eval fields`).
    Eval(eval::Args),
}

/// Runs a parsed command; returns the process exit code.
pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Gradcheck(a) => gradcheck::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Lesson(a) => lesson::run(a),
        Command::Fisher(a) => fisher::run(a),
        Command::Simulate(a) => simulate::run(a),
        Command::Info(a) => info::run(a),
        Command::Train(a) => train::run(a),
        Command::Sample(a) => sample::run(a),
        Command::Eval(a) => eval::run(a),
    }
}
