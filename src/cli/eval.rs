//! `cosmograd eval <what>`: judging what a model produced.

use crate::error::Result;
use clap::Subcommand;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub what: Evaluation,
}

#[derive(Subcommand, Debug)]
pub enum Evaluation {
    /// Judge generated density maps against real ones with the field-statistics suite.
    Fields(super::eval_fields::Args),
}

pub fn run(a: Args) -> Result<i32> {
    match a.what {
        Evaluation::Fields(f) => super::eval_fields::run(f),
    }
}
