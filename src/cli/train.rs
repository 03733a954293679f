//! `cosmograd train <model>`: training runs. `train mdn` trains a mixture density network that
//! infers the CMD parameters from maps — with no arguments on a cached synthetic set, sized so
//! that generation, training and evaluation take minutes on two cores (about 5 idle; measured
//! in notes/results-mdn.md).

use crate::backend::Cpu;
use crate::error::{Error, Result};
use crate::models::{ArchKind, MdnArchitecture};
use crate::train::mdn::{train, TrainJob, TrainOptions};
use crate::train::mdn_data::{self, DataSpec, SyntheticSpec};
use crate::train::run_dir::{files, RunDir};
use clap::{Subcommand, ValueEnum};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub model: Model,
}

#[derive(Subcommand, Debug)]
pub enum Model {
    /// A mixture density network that infers Ω_m, σ_8 and the feedback amplitudes from maps.
    Mdn(MdnArgs),
    /// A denoising diffusion model of density slices (the second report's DDPM, corrected).
    Ddpm(super::train_ddpm::Args),
    /// A GAN generating density fields: the report's MLP GAN or a DCGAN, with mode-collapse
    /// diagnostics.
    Gan(super::train_gan::GanArgs),
}

/// Where the kernels run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BackendKind {
    Cpu,
}

/// The learning-rate schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Schedule {
    Cosine,
    Constant,
}

/// The defaults of the README's main job (`cosmograd train mdn` with no arguments).
pub mod defaults {
    /// Simulations of the synthetic set (15 maps each).
    pub const SIMS: usize = 200;
    /// Map side of the synthetic set.
    pub const SIZE: usize = 64;
    pub const EPOCHS: usize = 30;
    pub const BATCH: usize = 32;
    pub const LR: f64 = 2e-3;
    pub const WEIGHT_DECAY: f64 = 1e-4;
    pub const COMPONENTS: usize = 3;
    pub const PATIENCE: usize = 8;
    pub const SEED: u64 = 1;
    pub const TARGETS: &str = "Omega_m,sigma_8,A_SN1,A_AGN1,A_SN2,A_AGN2";
    pub const OUT: &str = "runs/mdn";
}

#[derive(clap::Args, Debug)]
#[command(allow_negative_numbers = true)]
pub struct MdnArgs {
    /// A directory with CMD files (Maps_<field>_<suite>_<set>_z=0.00.npy and the parameter
    /// file). Without it, a synthetic CMD-like set is generated once and cached.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Field(s), stacked as channels: T, or T,Mgas.
    #[arg(long, default_value = "T")]
    pub field: String,
    /// Suite (IllustrisTNG, SIMBA, …); found from the files when there is one.
    #[arg(long)]
    pub suite: Option<String>,
    /// Simulation set of the files.
    #[arg(long, default_value = "LH")]
    pub set: String,
    /// Side of the maps the model takes. Larger CMD maps are block-averaged to it (it must
    /// divide their side); a synthetic set is generated at it. [default: the files' size;
    /// 64 for the synthetic set]
    #[arg(long)]
    pub size: Option<usize>,
    /// Use the first N simulations of the data (for the synthetic set: generate N).
    #[arg(long)]
    pub sims: Option<usize>,
    /// Fractions of the simulations for training, validation and test.
    #[arg(long, default_value = "0.9,0.05,0.05")]
    pub split: String,
    #[arg(long, default_value_t = defaults::EPOCHS)]
    pub epochs: usize,
    #[arg(long, default_value_t = defaults::BATCH)]
    pub batch: usize,
    /// Peak learning rate of AdamW (linear warm-up over the first epoch, cosine decay to lr/100).
    #[arg(long, default_value_t = defaults::LR)]
    pub lr: f64,
    /// AdamW's decoupled weight decay.
    #[arg(long, default_value_t = defaults::WEIGHT_DECAY)]
    pub weight_decay: f64,
    /// `cosine`: one epoch of linear warm-up, then a cosine decay to lr/100; `constant`: the
    /// same learning rate throughout (as Keras's Adam, the thesis's optimiser).
    #[arg(long, value_enum, default_value_t = Schedule::Cosine)]
    pub schedule: Schedule,
    /// Mixture components K.
    #[arg(long, default_value_t = defaults::COMPONENTS)]
    pub components: usize,
    /// Parameters to infer, by name (Omega_m, sigma_8, A_SN1, A_AGN1, A_SN2, A_AGN2).
    #[arg(long, default_value = defaults::TARGETS)]
    pub targets: String,
    /// `periodic` (default: circular padding, global pooling; see notes/results-mdn.md) or
    /// `thesis` (the thesis's network exactly, Keras initialisation).
    #[arg(long, value_enum, default_value_t = ArchKind::Periodic)]
    pub arch: ArchKind,
    #[arg(long, value_enum, default_value_t = BackendKind::Cpu)]
    pub backend: BackendKind,
    /// Stop after this many epochs without a better validation NLL (0: never).
    #[arg(long, default_value_t = defaults::PATIENCE)]
    pub patience: usize,
    /// Train without the random rotations and flips.
    #[arg(long)]
    pub no_augment: bool,
    /// Seed of the weights, the split, the batch order and the augmentations.
    #[arg(long, default_value_t = defaults::SEED)]
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
    /// Skip the evaluation on the test split at the end.
    #[arg(long)]
    pub no_eval: bool,
    /// Where the synthetic set is cached [default: $COSMOGRAD_CACHE, else ~/.cache/cosmograd].
    #[arg(long)]
    pub cache: Option<PathBuf>,
}

/// What `config.json` holds: everything a run was started with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    pub cosmograd_version: String,
    pub command: String,
    pub arch: MdnArchitecture,
    pub train: TrainOptions,
    pub data: DataSpec,
}

pub fn run(a: Args) -> Result<i32> {
    match a.model {
        Model::Mdn(m) => run_mdn(m),
        Model::Ddpm(d) => super::train_ddpm::run(d),
        Model::Gan(g) => super::train_gan::run(g),
    }
}

fn parse_split(s: &str) -> Result<[f64; 3]> {
    let bad = || {
        Error::Other(format!(
            "--split `{s}`: expected three fractions for training, validation and test that add up to 1, e.g. 0.9,0.05,0.05"
        ))
    };
    let v: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| bad())?;
    if v.len() != 3 || v.iter().any(|f| !(f.is_finite() && *f > 0.0)) || (v.iter().sum::<f64>() - 1.0).abs() > 1e-6 {
        return Err(bad());
    }
    Ok([v[0], v[1], v[2]])
}

fn run_mdn(a: MdnArgs) -> Result<i32> {
    let be = match a.backend {
        BackendKind::Cpu => Cpu::<f32>::default(),
    };
    let started = std::time::Instant::now();
    let (run, config, data, resume) = match &a.resume {
        Some(dir) => {
            let run = RunDir::open(dir)?;
            let config: RunConfig = serde_json::from_str(&run.read_text(files::CONFIG)?).map_err(|e| {
                Error::Other(format!(
                    "{} is damaged ({e}); it cannot be resumed",
                    run.file(files::CONFIG).display()
                ))
            })?;
            let data = mdn_data::open(&config.data, &config.arch, Some(&run), a.data.as_deref())?;
            (run, config, data, true)
        }
        None => {
            // The command line and the data — every map — are checked (and a synthetic set
            // generated) before a run directory exists.
            if a.out.exists() && !a.force {
                RunDir::create(&a.out, false)?; // fails with the message about --force
            }
            let mut config = fresh_config(&a)?;
            let data = mdn_data::open(&config.data, &config.arch, None, None)?;
            if a.schedule == Schedule::Cosine {
                // A warm-up of one epoch, now that the training split's size is known.
                config.train.warmup_steps = config.train.steps_per_epoch(data.train.len()) as u64;
            }
            let run = RunDir::create(&a.out, a.force)?;
            data.save(&run)?;
            run.write_json(files::CONFIG, &config)?;
            (run, config, data, false)
        }
    };
    eprintln!(
        "cosmograd train mdn: {} maps of {} simulations ({} training, {} validation, {} test), {}×{} {}, \
         arch {}, {} parameters → {}",
        data.total_maps,
        data.total_sims,
        data.train.len(),
        data.val.len(),
        data.test.len(),
        config.arch.input_size,
        config.arch.input_size,
        config.data.fields.join("+"),
        config.arch.arch.name(),
        config.arch.targets.len(),
        run.path.display()
    );
    let mut metadata = BTreeMap::new();
    metadata.insert(mdn_data::PREPROCESSING_KEY.to_string(), data.preprocessing.to_string());
    let job = TrainJob {
        arch: &config.arch,
        options: &config.train,
        run: &run,
        resume,
        progress: true,
        metadata,
        interrupt_at_step: None,
    };
    let outcome = train(be, &job, data.train.as_ref(), data.val.as_ref())?;
    let s = &outcome.state;
    eprintln!(
        "trained {} epochs ({} steps) in {:.0} s; best validation NLL {:.4} at epoch {}{}",
        s.epoch,
        s.step,
        s.seconds,
        s.best_val_nll,
        s.best_epoch,
        s.stopped.as_deref().map(|w| format!(" ({w})")).unwrap_or_default()
    );
    if a.no_eval {
        return Ok(0);
    }
    let report = super::eval::evaluate_run(&run, &config, &data, true)?;
    print!("{}", super::eval::summary_table(&report));
    eprintln!(
        "total time {:.0} s; results in {}",
        started.elapsed().as_secs_f64(),
        run.path.display()
    );
    Ok(0)
}

/// The run's configuration from the command line.
fn fresh_config(a: &MdnArgs) -> Result<RunConfig> {
    // Everything the command line alone can get wrong, before any data is touched.
    let targets = mdn_data::parse_targets(&a.targets)?;
    let fields: Vec<String> = a
        .field
        .split(',')
        .filter(|f| !f.trim().is_empty())
        .map(|f| crate::data::cmd::files::field_name(f).map(str::to_string))
        .collect::<Result<_>>()?;
    if fields.is_empty() {
        return Err(Error::Other("--field is empty; name a field such as T".into()));
    }
    let split = parse_split(&a.split)?;
    let options = TrainOptions {
        epochs: a.epochs,
        batch: a.batch,
        lr: a.lr,
        min_lr: match a.schedule {
            Schedule::Cosine => a.lr / 100.0,
            Schedule::Constant => a.lr,
        },
        warmup_steps: 0, // one epoch: set once the training split's size is known
        weight_decay: a.weight_decay,
        clip: Some(10.0),
        patience: a.patience,
        augment: !a.no_augment,
        seed: a.seed,
    };
    options.validate()?;
    if a.components == 0 {
        return Err(Error::Other("--components must be at least 1".into()));
    }
    let synthetic = a.data.is_none().then(|| SyntheticSpec {
        sims: a.sims.unwrap_or(defaults::SIMS),
        size: a.size.unwrap_or(defaults::SIZE),
        seed: a.seed,
    });
    let data = mdn_data::resolve(DataSpec {
        dir: a.data.clone().unwrap_or_default(),
        fields: fields.clone(),
        suite: a.suite.clone(),
        set: a.set.clone(),
        size: a.size,
        sims: a.sims,
        split,
        split_seed: a.seed,
        synthetic,
        cache: a.cache.clone(),
    })?;
    let size = data.size.expect("resolve fixes the size");
    let arch = MdnArchitecture::new(a.arch, size, fields.len(), a.components, targets, a.seed);
    Ok(RunConfig {
        cosmograd_version: env!("CARGO_PKG_VERSION").into(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        arch,
        train: options,
        data,
    })
}
