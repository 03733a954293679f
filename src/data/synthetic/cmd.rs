//! Synthetic CMD sets: maps of the model in `cmd_model`, written exactly as the CAMELS
//! Multifield Dataset distributes its files, so that one loader reads both:
//!
//! - `Maps_T_Synthetic_<set>_z=0.00.npy`: `<f4`, shape (15·sims, N, N), temperature in K;
//! - `params_<set>_Synthetic.txt`: one row per simulation, Ω_m σ_8 A_SN1 A_AGN1 A_SN2 A_AGN2;
//! - `simulation.json`: the settings and model constants that made them (not a CMD file).
//!
//! Map j of simulation i is a function of (seed, i, j) alone, whatever the thread count.

use crate::data::atomic::write_atomic;
use crate::data::fourier::Grid;
use crate::data::grf::{substream, GaussianField};
use crate::data::params::{self, SetKind, MAPS_PER_SIM, N_PARAMS};
use crate::data::synthetic::cmd_model::{temperature, CmdModel};
use crate::error::{Error, Result};
use ndarray::Array3;
use rand::rngs::Xoshiro256PlusPlus;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use std::fs::{self, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The suite name of the synthetic files.
pub const SUITE: &str = "Synthetic";
/// The field the synthetic maps stand for.
pub const FIELD: &str = "T";

/// What to simulate.
#[derive(Clone, Debug)]
pub struct CmdSetConfig {
    pub out: PathBuf,
    pub set: SetKind,
    /// Simulations (15 maps each).
    pub sims: usize,
    /// Pixels a side.
    pub size: usize,
    pub seed: u64,
    /// Every simulation at this point (LH, CV), or the centre of a 1P set.
    pub at: Option<[f64; N_PARAMS]>,
    pub model: CmdModel,
    /// Replace files that exist already.
    pub force: bool,
}

/// The files written and the parameters of each simulation.
#[derive(Clone, Debug)]
pub struct CmdSet {
    pub maps: PathBuf,
    pub params_file: PathBuf,
    pub params: Vec<[f64; N_PARAMS]>,
}

/// The file names of a set (current CMD naming).
pub fn file_names(set: SetKind) -> (String, String) {
    (
        format!("Maps_{FIELD}_{SUITE}_{}_z=0.00.npy", set.name()),
        format!("params_{}_{SUITE}.txt", set.name()),
    )
}

/// One map: y = m + ε + f(x) with f of the model's spectrum, then T = 10^y.
fn draw_map(field: &GaussianField, mean: f64, mean_sd: f64, seed: u64, out: ndarray::ArrayViewMut2<f32>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(substream(seed, 0xdc));
    let eps: f64 = StandardNormal.sample(&mut rng);
    let f = field.sample(seed);
    let m = mean + mean_sd * eps;
    ndarray::Zip::from(out).and(&f).for_each(|o, &v| *o = temperature(m + v));
}

/// Simulates a set and writes its files; `progress` is called with the number of maps done
/// after each simulation (from worker threads).
pub fn simulate_cmd(cfg: &CmdSetConfig, progress: &(dyn Fn(u64) + Sync)) -> Result<CmdSet> {
    if !(8..=4096).contains(&cfg.size) {
        return Err(Error::Other(format!(
            "--size {}: use a map size between 8 and 4096 pixels",
            cfg.size
        )));
    }
    let design = params::design(cfg.set, cfg.sims, cfg.at, cfg.seed)?;
    fs::create_dir_all(&cfg.out).map_err(|e| Error::io(format!("creating {}", cfg.out.display()), e))?;
    let (maps_name, params_name) = file_names(cfg.set);
    let maps_path = cfg.out.join(&maps_name);
    let params_path = cfg.out.join(&params_name);
    for p in [&maps_path, &params_path] {
        if p.exists() && !cfg.force {
            return Err(Error::Other(format!(
                "{} exists already; choose another --out or pass --force to replace it",
                p.display()
            )));
        }
    }
    let grid = Grid::new(cfg.size, cfg.model.box_size)?;
    let partial = cfg.out.join(format!("{maps_name}.partial"));
    let n_maps = design.len() * MAPS_PER_SIM;
    let io = |what: &str, e: std::io::Error| Error::io(format!("{what} {}", partial.display()), e);
    {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&partial)
            .map_err(|e| io("creating", e))?;
        // The header, and the file extended (sparsely) to its full length; each simulation's
        // 15 maps are then written at their own offset as soon as they are drawn, so memory
        // holds only the simulations in flight, whatever the size of the set.
        ndarray_npy::write_zeroed_npy::<f32, _>(&file, (n_maps, cfg.size, cfg.size))
            .map_err(|e| Error::Other(format!("writing the header of {}: {e}", partial.display())))?;
        let sim_bytes = (MAPS_PER_SIM * cfg.size * cfg.size * 4) as u64;
        let len = file.metadata().map_err(|e| io("reading the length of", e))?.len();
        let data_start = len - sim_bytes * design.len() as u64;
        let file = Mutex::new(file);
        let filled = design.par_iter().enumerate().try_for_each(|(i, theta)| {
            // One spectrum per simulation (a slab projection).
            let s = cfg.model.spectrum(theta, cfg.size)?;
            let field = GaussianField::new(grid, |k| s.total(k))?;
            let sim_seed = substream(cfg.seed ^ 0x5eed_5eed, i as u64);
            let mut maps = Array3::<f32>::zeros((MAPS_PER_SIM, cfg.size, cfg.size));
            for (j, map) in maps.outer_iter_mut().enumerate() {
                draw_map(&field, s.mean, s.mean_variance.sqrt(), substream(sim_seed, j as u64), map);
            }
            // `<f4`: little-endian float32, whatever the machine.
            let bytes: Vec<u8> = maps.iter().flat_map(|v| v.to_le_bytes()).collect();
            let mut f = file.lock().map_err(|_| Error::Other("a simulation thread panicked".into()))?;
            f.seek(SeekFrom::Start(data_start + i as u64 * sim_bytes))
                .map_err(|e| io("seeking in", e))?;
            f.write_all(&bytes).map_err(|e| io("writing", e))?;
            drop(f);
            progress(MAPS_PER_SIM as u64);
            Ok(())
        });
        let synced = filled.and_then(|()| {
            let f = file.into_inner().map_err(|_| Error::Other("a simulation thread panicked".into()))?;
            f.sync_all().map_err(|e| io("syncing", e))
        });
        if let Err(e) = synced {
            let _ = fs::remove_file(&partial);
            return Err(e);
        }
    }
    fs::rename(&partial, &maps_path).map_err(|e| io("renaming", e))?;

    write_params(&params_path, &design)?;
    write_manifest(cfg, &maps_name, &params_name)?;
    Ok(CmdSet {
        maps: maps_path,
        params_file: params_path,
        params: design,
    })
}

/// The parameter file: six numbers a row, in the order of `params::NAMES`,, shortest round-trip decimal form (exact).
fn write_params(path: &Path, rows: &[[f64; N_PARAMS]]) -> Result<()> {
    // No header line: the CMD files have none (the columns are in simulation.json).
    let mut text = String::new();
    for r in rows {
        let cols: Vec<String> = r.iter().map(|v| format!("{v}")).collect();
        text.push_str(&cols.join(" "));
        text.push('\n');
    }
    write_atomic(path, text.as_bytes())
}

fn write_manifest(cfg: &CmdSetConfig, maps: &str, params_file: &str) -> Result<()> {
    let doc = serde_json::json!({
        "generator": format!("cosmograd {} simulate cmd", env!("CARGO_PKG_VERSION")),
        "set": cfg.set.name(),
        "sims": cfg.sims,
        "maps_per_sim": MAPS_PER_SIM,
        "size": cfg.size,
        "seed": cfg.seed,
        "at": cfg.at,
        "files": { "maps": maps, "params": params_file },
        "field": "T: temperature in K; log10 T is the Gaussian field of notes/simulator.md",
        "params_columns": params::NAMES,
        "model": cfg.model,
    });
    let text = serde_json::to_string_pretty(&doc).map_err(|e| Error::Other(e.to_string()))?;
    write_atomic(&cfg.out.join("simulation.json"), text.as_bytes())
}
