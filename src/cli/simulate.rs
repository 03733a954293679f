//! `cosmograd simulate <simulator>`: synthetic data sets in the file layouts of the real data.

use crate::error::Result;
use clap::Subcommand;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub simulator: Simulator,
}

#[derive(Subcommand, Debug)]
pub enum Simulator {
    /// Quijote-like lognormal density slices (the DDPM's and GAN's default data).
    Quijote(super::simulate_quijote::Args),
}

pub fn run(a: Args) -> Result<i32> {
    match a.simulator {
        Simulator::Quijote(q) => super::simulate_quijote::run(q),
    }
}
