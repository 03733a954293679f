//! `cosmograd simulate <what>`: synthetic data sets in the file layouts of the real data.

use crate::error::Result;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub what: What,
}

#[derive(clap::Subcommand, Debug)]
pub enum What {
    /// Quijote-like lognormal density slices at the Quijote fiducial cosmology (the DDPM's and
    /// GAN's default data; notes/quijote_sim.md), written as slices.npy and slices.json.
    Quijote(super::simulate_quijote::Args),
}

pub fn run(a: Args) -> Result<i32> {
    match a.what {
        What::Quijote(q) => super::simulate_quijote::run(q),
    }
}
