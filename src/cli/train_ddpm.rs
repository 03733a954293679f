//! `cosmograd train ddpm`: a DDPM on density slices. With no `--data`, on a Quijote-like set
//! (`cosmograd simulate quijote`) generated once and cached. The run directory receives
//! `config.json`, `last.safetensors` (weights, their EMA, optimiser and trainer state) after
//! every epoch, `metrics.jsonl`, `loss.png` and sample grids `samples/epoch_NNNN.png`;
//! `cosmograd sample ddpm --run DIR` draws from it.

use super::simulate_quijote;
use crate::backend::{choose, Backend, BackendChoice, Chosen, Cpu};
use crate::data::slices::Units;
use crate::error::{Error, Result};
use crate::models::{DdpmConfig, UNetConfig};
use crate::train::ddpm::{train, DdpmJob, DdpmOptions, Outcome};
use crate::train::ddpm_data::{self, DataSpec, GeneratedSpec, RunData};
use crate::train::run_dir::{files, RunDir};
use ndarray::ArrayView3;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The defaults of `cosmograd train ddpm` with no arguments.
pub mod defaults {
    /// Fields of the generated set (the last 3 % are held out for the validation loss).
    pub const N: usize = 2048;
    pub const SIZE: usize = 64;
    pub const EPOCHS: usize = 20;
    pub const BATCH: usize = 16;
    pub const LR: f64 = 1e-3;
    pub const OUT: &str = "runs/ddpm";
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Density slices: a .npy (N, H, W) of δ or 1 + δ, or a directory holding slices.npy.
    /// Without it, a Quijote-like set of --n maps is generated once and cached.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// A file without a sidecar holds δ (a sidecar says what its file holds).
    #[arg(long, conflicts_with = "overdensity")]
    pub density_contrast: bool,
    /// A file without a sidecar holds 1 + δ.
    #[arg(long)]
    pub overdensity: bool,
    /// Maps to generate (without --data), or to read at most (with it). [default: 2048 generated; all of a file]
    #[arg(long)]
    pub n: Option<usize>,
    /// Side of the generated maps (the model takes the data's size). [default: 64]
    #[arg(long)]
    pub size: Option<usize>,
    /// Seed of the generated set.
    #[arg(long, default_value_t = 0)]
    pub data_seed: u64,
    /// Fraction of the fields held out for the validation loss (the last ones of the file).
    #[arg(long, default_value_t = 0.03)]
    pub val_fraction: f64,
    #[arg(long, default_value_t = defaults::EPOCHS)]
    pub epochs: usize,
    #[arg(long, default_value_t = defaults::BATCH)]
    pub batch: usize,
    /// Peak learning rate of Adam (linear warm-up, then a cosine decay to --min-lr).
    #[arg(long, default_value_t = defaults::LR)]
    pub lr: f64,
    /// Learning rate at the end of the cosine decay. [default: lr/10]
    #[arg(long)]
    pub min_lr: Option<f64>,
    /// Warm-up steps.
    #[arg(long, default_value_t = 200)]
    pub warmup: u64,
    /// Global gradient-norm clipping.
    #[arg(long, default_value_t = 1.0)]
    pub clip: f64,
    /// EMA decay of the weights the samplers use.
    #[arg(long, default_value_t = 0.999)]
    pub ema: f64,
    /// Train without random rotations and flips.
    #[arg(long)]
    pub no_augment: bool,
    /// U-Net channels of the first level (the report's: 10).
    #[arg(long, default_value_t = 10)]
    pub base_channels: usize,
    /// U-Net levels (the report's 10 → 160 channels: 5).
    #[arg(long, default_value_t = 5)]
    pub depth: usize,
    /// Zero padding instead of periodic padding in the convolutions.
    #[arg(long)]
    pub no_circular: bool,
    /// Diffusion steps T.
    #[arg(long, default_value_t = 1000)]
    pub steps: usize,
    /// Draw a sample grid every this many epochs (0: never).
    #[arg(long, default_value_t = 2)]
    pub sample_every: usize,
    #[arg(long, value_enum)]
    pub backend: Option<BackendChoice>,
    /// Seed of the weights, the batch order, the augmentations, the times and the noise.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The run directory.
    #[arg(long, default_value = defaults::OUT)]
    pub out: PathBuf,
    /// Continue the interrupted run in this directory (with the options it was started with).
    #[arg(long, conflicts_with_all = ["out", "force"])]
    pub resume: Option<PathBuf>,
    /// Replace the files of an earlier run in --out.
    #[arg(long)]
    pub force: bool,
    /// Where generated sets are cached [default: $COSMOGRAD_CACHE, else ~/.cache/cosmograd].
    #[arg(long)]
    pub cache: Option<PathBuf>,
}

/// What a DDPM run's `config.json` holds: everything it was started with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DdpmRunConfig {
    pub cosmograd_version: String,
    pub command: String,
    pub model: DdpmConfig,
    pub train: DdpmOptions,
    pub data: DataSpec,
}

impl DdpmRunConfig {
    /// A run directory's configuration, or an error saying what is wrong with it.
    pub fn read(run: &RunDir) -> Result<Self> {
        let text = run.read_text(files::CONFIG)?;
        serde_json::from_str(&text).map_err(|e| {
            Error::Other(format!(
                "{} is not the configuration of a `cosmograd train ddpm` run ({e})",
                run.file(files::CONFIG).display()
            ))
        })
    }
}

pub fn run(a: Args) -> Result<i32> {
    let started = std::time::Instant::now();
    let (run, config, data, resume) = match &a.resume {
        Some(dir) => {
            let run = RunDir::open(dir)?;
            let config = DdpmRunConfig::read(&run)?;
            let data = ddpm_data::reopen(&config.data, config.model.unet.size)?;
            (run, config, data, true)
        }
        None => {
            let options = options(&a)?;
            // The data first: bad data is reported before a run directory exists.
            let (spec, data) = open_data(&a)?;
            let model = DdpmConfig {
                unet: UNetConfig {
                    size: data.train.dim().1,
                    base_channels: a.base_channels,
                    depth: a.depth,
                    circular: !a.no_circular,
                    seed: a.seed,
                    ..Default::default()
                },
                steps: a.steps,
                ..Default::default()
            };
            model.unet.validate()?;
            crate::models::Schedule::linear(model.steps, model.beta_start, model.beta_end)?;
            let config = DdpmRunConfig {
                cosmograd_version: env!("CARGO_PKG_VERSION").into(),
                command: std::env::args().collect::<Vec<_>>().join(" "),
                model,
                train: options,
                data: spec,
            };
            let run = RunDir::create(&a.out, a.force)?;
            run.write_json(files::CONFIG, &config)?;
            (run, config, data, false)
        }
    };
    for w in &data.warnings {
        eprintln!("warning: {w}");
    }
    eprintln!(
        "cosmograd train ddpm: {} training and {} validation fields of {}×{} ({}), a = {:.4}, U-Net {} → {} channels over {} levels, T = {} → {}",
        data.train.dim().0,
        data.val.dim().0,
        config.model.unet.size,
        config.model.unet.size,
        config.data.path.display(),
        config.data.transform.a,
        config.model.unet.base_channels,
        config.model.unet.channels(config.model.unet.depth - 1),
        config.model.unet.depth,
        config.model.steps,
        run.path.display()
    );
    let outcome = match choose(a.backend)? {
        Chosen::Cpu => fit(Cpu::<f32>::default(), &run, &config, &data, resume)?,
        Chosen::Gpu(g) => fit(g, &run, &config, &data, resume)?,
    };
    let s = &outcome.state;
    let last = outcome.history.last();
    eprintln!(
        "trained {} epochs ({} steps) in {:.0} s of training ({:.0} s in this call); final training loss {:.4}, validation loss (EMA) {:.4}; results in {}",
        s.epoch,
        s.step,
        s.seconds,
        started.elapsed().as_secs_f64(),
        last.map_or(f64::NAN, |m| m.train_loss),
        last.map_or(f64::NAN, |m| m.val_loss),
        run.path.display()
    );
    Ok(0)
}

fn fit<B: Backend>(be: B, run: &RunDir, config: &DdpmRunConfig, data: &RunData, resume: bool) -> Result<Outcome> {
    let spec = &config.data;
    let grid = |maps: ArrayView3<f32>, path: &Path| -> Result<()> {
        let (delta, _) = ddpm_data::to_delta(spec, maps);
        let title = format!("{} samples (DDIM {} steps, EMA weights)", maps.dim().0, config.train.grid_steps);
        ddpm_data::save_grid(path, delta.view(), data.log_range, &title)
    };
    let mut metadata = BTreeMap::new();
    metadata.insert("ddpm.data".to_string(), serde_json::to_string(spec).expect("spec serialises"));
    let job = DdpmJob {
        model: &config.model,
        options: &config.train,
        run,
        resume,
        progress: true,
        metadata,
        grid: Some(&grid),
        interrupt_at_step: None,
    };
    train(be, &job, data.train.view(), data.val.view())
}

fn options(a: &Args) -> Result<DdpmOptions> {
    let o = DdpmOptions {
        epochs: a.epochs,
        batch: a.batch,
        lr: a.lr,
        min_lr: a.min_lr.unwrap_or(a.lr / 10.0),
        warmup_steps: a.warmup,
        clip: a.clip,
        ema_decay: a.ema,
        augment: !a.no_augment,
        sample_every: a.sample_every,
        grid_steps: 25,
        seed: a.seed,
    };
    o.validate()?;
    Ok(o)
}

fn open_data(a: &Args) -> Result<(DataSpec, RunData)> {
    let units = match (a.density_contrast, a.overdensity) {
        (true, _) => Some(Units::DensityContrast),
        (_, true) => Some(Units::Overdensity),
        _ => None,
    };
    match &a.data {
        Some(path) => {
            if a.size.is_some() {
                return Err(Error::Other(
                    "--size sets the size of a generated set; with --data the model takes the data's size".into(),
                ));
            }
            ddpm_data::open(path, units, None, a.n, a.val_fraction, None)
        }
        None => {
            let g = GeneratedSpec {
                n: a.n.unwrap_or(defaults::N),
                size: a.size.unwrap_or(defaults::SIZE),
                seed: a.data_seed,
            };
            let path = ddpm_data::generated_path(&ddpm_data::cache_dir(a.cache.as_deref()), &g);
            if !path.is_file() {
                eprintln!(
                    "generating {} Quijote-like maps of {}² (seed {}) into {}",
                    g.n,
                    g.size,
                    g.seed,
                    path.display()
                );
                let dir = path.parent().expect("a file in a directory").to_path_buf();
                simulate_quijote::run(simulate_quijote::Args {
                    out: dir,
                    n: g.n,
                    size: g.size,
                    seed: g.seed,
                    force: false,
                })?;
            }
            ddpm_data::open(&path, None, Some(g.size), None, a.val_fraction, Some(g))
        }
    }
}
