//! `cosmograd simulate <simulator>`: synthetic data sets in the file layouts of the real data
//! (`simulate cmd`, `simulate quijote`).

use crate::cli::progress;
use crate::data::params::{self, SetKind};
use crate::data::synthetic::cmd::{simulate_cmd, CmdSetConfig};
use crate::data::synthetic::cmd_model::CmdModel;
use crate::error::Result;
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub what: What,
}

#[derive(clap::Subcommand, Debug)]
pub enum What {
    /// CAMELS-Multifield-like temperature maps (a Gaussian log-field whose spectrum carries
    /// all six parameters; notes/simulator.md), written as the CMD files
    /// Maps_T_Synthetic_<set>_z=0.00.npy and params_<set>_Synthetic.txt.
    Cmd(CmdArgs),
    /// Quijote-like lognormal density slices (the DDPM's and GAN's default data).
    Quijote(super::simulate_quijote::Args),
}

#[derive(clap::Args, Debug)]
pub struct CmdArgs {
    /// Output directory.
    #[arg(long)]
    pub out: PathBuf,
    /// Simulations (15 maps each). For 1P: a multiple of 6 (sims/6 values per parameter).
    #[arg(long, default_value_t = 100)]
    pub sims: usize,
    /// Pixels a side (the map is always 25 h⁻¹Mpc).
    #[arg(long, default_value_t = 256)]
    pub size: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// LH: Latin hypercube over the CMD ranges; CV: all at one point; 1P: one parameter at a time.
    #[arg(long, default_value = "LH")]
    pub set: String,
    /// Omega_m,sigma_8,A_SN1,A_AGN1,A_SN2,A_AGN2: every simulation at this point (the centre for 1P).
    #[arg(long)]
    pub at: Option<String>,
    /// Replace existing files.
    #[arg(long)]
    pub force: bool,
}

pub fn run(a: Args) -> Result<i32> {
    match a.what {
        What::Cmd(c) => cmd(c),
        What::Quijote(q) => super::simulate_quijote::run(q),
    }
}

fn cmd(a: CmdArgs) -> Result<i32> {
    let cfg = CmdSetConfig {
        out: a.out,
        set: SetKind::parse(&a.set)?,
        sims: a.sims,
        size: a.size,
        seed: a.seed,
        at: a.at.as_deref().map(params::parse_point).transpose()?,
        model: CmdModel::default(),
        force: a.force,
    };
    let total = params::design(cfg.set, cfg.sims, cfg.at, cfg.seed)?.len() * params::MAPS_PER_SIM;
    let pb = progress::bar(total as u64, "simulate cmd", "maps");
    let start = Instant::now();
    let set = simulate_cmd(&cfg, &|n| pb.inc(n))?;
    pb.finish();
    eprintln!(
        "{} maps of {}² in {:.1} s → {} and {}",
        total,
        cfg.size,
        start.elapsed().as_secs_f64(),
        set.maps.display(),
        set.params_file.display()
    );
    Ok(0)
}
