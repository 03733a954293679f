//! `cosmograd sample <model>`: maps from a trained generative model, written in the units of the
//! data it was trained on (`sample ddpm`: sample_ddpm.rs; `sample gan`: sample_gan.rs).

use crate::error::{Error, Result};
use clap::Subcommand;
use std::path::Path;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub model: Model,
}

#[derive(Subcommand, Debug)]
pub enum Model {
    /// Draw density fields from a trained DDPM (`cosmograd train ddpm`).
    Ddpm(super::sample_ddpm::DdpmArgs),
    /// Maps from a GAN's generator (`cosmograd train gan`).
    Gan(super::sample_gan::GanArgs),
}

pub fn run(a: Args) -> Result<i32> {
    match a.model {
        Model::Ddpm(d) => super::sample_ddpm::run(d),
        Model::Gan(g) => super::sample_gan::run(g),
    }
}

/// Nothing a user named is replaced without `--force`.
pub(super) fn refuse_overwrite(path: &Path, force: bool) -> Result<()> {
    if path.exists() && !force {
        return Err(Error::Other(format!("{} exists; pass --force to replace it", path.display())));
    }
    Ok(())
}
