//! `cosmograd simulate cmd|quijote …`: synthetic data sets in the layouts of the real ones.

use crate::cli::progress;
use crate::data::atomic::write_atomic;
use crate::data::cmd::{CmdDataset, DatasetSpec};
use crate::data::fourier::{Fft2, Grid};
use crate::data::params::MAPS_PER_SIM;
use crate::data::params::{self, SetKind};
use crate::data::synthetic::cmd::{simulate_cmd, CmdSet, CmdSetConfig, FIELD, SUITE};
use crate::data::synthetic::cmd_model::CmdModel;
use crate::error::Result;
use crate::eval::fields::PlaneBins;
use crate::eval::plot::{palette, Heatmap, Plot};
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
    /// Quijote-like lognormal density slices at the Quijote fiducial cosmology (the DDPM's and
    /// GAN's default data; notes/quijote_sim.md), written as slices.npy and slices.json.
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
    // The figures are for looking at; the data set is the product, so a figure that cannot be
    // drawn (no font installed) is a warning.
    match figures(&cfg, &set) {
        Ok(files) => eprintln!("figures and their numbers: {}", files.join(", ")),
        Err(e) => eprintln!("warning: figures not written: {e}"),
    }
    Ok(0)
}

/// `spectra.png` + `spectra.csv`: the measured power spectrum of log10 T of the first
/// simulations (mean of their 15 maps) against the model's; `map.png`: the first map.
/// Read back through the CMD loader, as a user's program would.
fn figures(cfg: &CmdSetConfig, set: &CmdSet) -> Result<Vec<String>> {
    let spec = DatasetSpec::parse(FIELD, SUITE, cfg.set.name())?;
    let ds = CmdDataset::open(&cfg.out, &spec)?;
    let n = ds.size();
    let grid = Grid::new(n, cfg.model.box_size)?;
    let (bins, fft) = (PlaneBins::new(grid), Fft2::new(&grid));
    let mut plot = Plot::new("synthetic CMD maps: power spectrum of log10 T")
        .labels("log10 k [h/Mpc]", "P(k) [dex² (Mpc/h)²]")
        .log_y();
    let mut csv = String::from("sim,k,measured,model,modes\n");
    for sim in 0..ds.n_sims().min(3) {
        let model = cfg.model.spectrum(&set.params[sim], n)?;
        let want = bins.bin_average(|k| model.total(k));
        let mut got = vec![0.0; want.len()];
        for m in CmdDataset::maps_of_sim(sim) {
            let y = ds.channel(0).map(m).mapv(|t| (t as f64).log10());
            let ps = bins.estimate(&fft.forward(y.view())?)?;
            got.iter_mut().zip(&ps.power).for_each(|(g, p)| *g += p / MAPS_PER_SIM as f64);
        }
        let k = bins.k();
        for i in 0..k.len() {
            csv.push_str(&format!("{sim},{},{},{},{}\n", k[i], got[i], want[i], bins.modes()[i]));
        }
        let theta: Vec<String> = set.params[sim].iter().map(|v| format!("{v:.2}")).collect();
        let pts: Vec<(f64, f64)> = k.iter().zip(&got).map(|(k, p)| (k.log10(), *p)).collect();
        let line: Vec<(f64, f64)> = k.iter().zip(&want).map(|(k, p)| (k.log10(), *p)).collect();
        plot = plot
            .points(&format!("sim {sim} ({})", theta.join(", ")), &pts, 3)
            .color(palette(sim))
            .line("", &line)
            .color(palette(sim));
    }
    let out = |name: &str| cfg.out.join(name);
    plot.save(out("spectra.png"))?;
    write_atomic(&out("spectra.csv"), csv.as_bytes())?;
    let y = ds.channel(0).map(0).mapv(|t| (t as f64).log10());
    let l = cfg.model.box_size;
    let heat = Heatmap {
        x_range: (0.0, l),
        y_range: (0.0, l),
        nx: n,
        ny: n,
        // Row j of the heat map is drawn at height j: flip so that row 0 of the map is on top.
        values: y.outer_iter().rev().flat_map(|r| r.to_vec()).collect(),
    };
    let theta: Vec<String> = set.params[0].iter().map(|v| format!("{v:.2}")).collect();
    Plot::new(&format!("log10 T of map 0 ({})", theta.join(", ")))
        .labels("x [Mpc/h]", "y [Mpc/h]")
        .size(720, 700)
        .heatmap(heat)
        .save(out("map.png"))?;
    Ok(["spectra.png", "spectra.csv", "map.png"]
        .iter()
        .map(|f| out(f).display().to_string())
        .collect())
}
