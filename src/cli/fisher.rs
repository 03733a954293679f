//! `cosmograd fisher [--at θ] [--size N] [--json]`: the per-map Fisher matrix of the synthetic
//! CMD maps and each parameter's Cramér–Rao bound.

use crate::cli::out;
use crate::data::params::{self, NAMES};
use crate::data::synthetic::cmd_model::CmdModel;
use crate::error::{Error, Result};
use crate::eval::fisher::{CmdFisher, COORDINATES, REQUIREMENT};

#[derive(clap::Args, Debug)]
#[command(allow_negative_numbers = true)]
pub struct Args {
    /// The parameter point: Omega_m,sigma_8,A_SN1,A_AGN1,A_SN2,A_AGN2 (default the fiducial
    /// 0.3,0.8,1,1,1,1).
    #[arg(long)]
    pub at: Option<String>,
    /// Map size in pixels a side (the box stays 25 h⁻¹Mpc).
    #[arg(long, default_value_t = 256, value_parser = out::count)]
    pub size: usize,
    /// Print JSON instead of the table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<i32> {
    let at = match &a.at {
        Some(s) => params::parse_point(s)?,
        None => params::FIDUCIAL,
    };
    if !(8..=4096).contains(&a.size) {
        return Err(Error::Other(format!("--size {}: use a map size between 8 and 4096 pixels", a.size)));
    }
    let f = CmdFisher::compute(&CmdModel::default(), at, a.size)?;
    if a.json {
        let text = serde_json::to_string_pretty(&f.to_json()).map_err(|e| Error::Other(e.to_string()))?;
        out::print(&format!("{text}\n"))?;
        return Ok(0);
    }
    let mut text = String::new();
    let point: Vec<String> = NAMES.iter().zip(at).map(|(n, v)| format!("{n} = {v}")).collect();
    text += &format!("Cramér–Rao bounds per {0}×{0} map at {1}\n", a.size, point.join(", "));
    text += &format!(
        "{:<11} {:>13} {:>13} {:>10} {:>12}\n",
        "coordinate", "marginalised", "A's fixed", "prior sd", "requirement"
    );
    let applies = at == params::FIDUCIAL && a.size == 256;
    for i in 0..NAMES.len() {
        let fixed = if i < 2 {
            format!("{:.4}", f.crb_astro_fixed[i])
        } else {
            String::new()
        };
        let req = if applies {
            format!("≤ {} {}", REQUIREMENT[i], if f.crb[i] <= REQUIREMENT[i] { "ok" } else { "FAIL" })
        } else {
            String::new()
        };
        text += &format!(
            "{:<11} {:>13.4} {:>13} {:>10.3} {:>12}\n",
            COORDINATES[i],
            f.crb[i],
            fixed,
            params::prior_sd(i),
            req
        );
    }
    text += "(the requirement applies at the fiducial point on 256² maps; --json prints the matrix)\n";
    out::print(&text)?;
    Ok(0)
}
