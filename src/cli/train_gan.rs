//! `cosmograd train gan`: the report's MLP GAN (`--arch report`) or a DCGAN (`--arch dcgan`) on
//! density slices, with mode-collapse diagnostics while it trains (`train/gan.rs`).

use crate::backend::Cpu;
use crate::backend::{choose, BackendChoice, Chosen};
use crate::data::slices::{load_slices, LoadOptions, Units};
use crate::data::transform::ContrastTransform;
use crate::error::{Error, Result};
use crate::models::{GanArch, GanArchitecture};
use crate::train::fields_data::{self, SyntheticQuijote};
use crate::train::gan::{train, GanData, GanJob, GanOptions};
use crate::train::gan_step::AdamSettings;
use crate::train::run_dir::{files, RunDir};
use ndarray::{s, Axis};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Defaults of `train gan`.
pub mod defaults {
    pub const BATCH: usize = 32;
    pub const LATENT: usize = 100;
    pub const WIDTH: usize = 16;
    pub const EPOCHS: usize = 10;
    pub const DIAGNOSTIC_MAPS: usize = 64;
    pub const SEED: u64 = 1;
    pub const OUT: &str = "runs/gan";
}

#[derive(clap::Args, Debug)]
#[command(allow_negative_numbers = true)]
pub struct GanArgs {
    /// `report`: the report's MLPs exactly (D 4096→2048→1024→512→256→1 with dropout 0.3,
    /// G 100→256→512→1024→4096), Adam 1e-4. `dcgan`: upsample+conv generator, strided-conv
    /// discriminator, batch norm, Adam 2e-4 with β₁ = 0.5.
    #[arg(long, value_enum, default_value_t = GanArch::Dcgan)]
    pub arch: GanArch,
    /// Density slices: a `.npy` (N, H, W) of δ or 1 + δ, or a directory holding `slices.npy`
    /// (as `cosmograd simulate quijote` writes). Without it, a Quijote-like set is generated
    /// once and cached.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// The file holds the density contrast δ.
    #[arg(long, conflicts_with = "overdensity")]
    pub density_contrast: bool,
    /// The file holds the overdensity 1 + δ.
    #[arg(long)]
    pub overdensity: bool,
    /// Side of the maps in h⁻¹Mpc [default: the sidecar's, else 1000 (Quijote)].
    #[arg(long)]
    pub box_size: Option<f64>,
    /// Train on the first N maps of the data (for the generated set: generate N) [default:
    /// all; 4096 for the generated set].
    #[arg(long)]
    pub maps: Option<usize>,
    /// The map side the networks are built for; the data must have it [default: the data's].
    #[arg(long)]
    pub size: Option<usize>,
    #[arg(long, default_value_t = defaults::EPOCHS)]
    pub epochs: usize,
    #[arg(long, default_value_t = defaults::BATCH)]
    pub batch: usize,
    /// Generator learning rate [default: 1e-4 report, 2e-4 dcgan].
    #[arg(long)]
    pub lr_g: Option<f64>,
    /// Discriminator learning rate [default: 1e-4 report, 2e-4 dcgan].
    #[arg(long)]
    pub lr_d: Option<f64>,
    /// Adam's β₁ [default: 0.9 report (PyTorch's default), 0.5 dcgan (the DCGAN paper)].
    #[arg(long)]
    pub beta1: Option<f64>,
    /// One-sided label smoothing: real maps are labelled 1 − s in D's loss (e.g. 0.1).
    #[arg(long, default_value_t = 0.0)]
    pub label_smoothing: f64,
    /// Random rotations and flips of the real maps.
    #[arg(long)]
    pub augment: bool,
    /// `dcgan`: zero padding instead of circular padding in the convolutions.
    #[arg(long)]
    pub no_periodic: bool,
    /// `dcgan`: no batch norm in the discriminator (its strided convolutions get biases
    /// instead). Batch statistics of a batch of generated maps hide its amplitude from D.
    #[arg(long)]
    pub no_discriminator_norm: bool,
    /// `dcgan`: base width w (generator 8w, 4w, 2w, w, w channels; discriminator w … 8w).
    #[arg(long, default_value_t = defaults::WIDTH)]
    pub width: usize,
    /// Length of the latent vector.
    #[arg(long, default_value_t = defaults::LATENT)]
    pub latent: usize,
    /// Mode-collapse diagnostics every N steps as well as after each epoch (0: epochs only).
    #[arg(long, default_value_t = 0)]
    pub diagnose_every: u64,
    /// Maps generated (from one fixed latent batch) and real maps compared per diagnostic.
    #[arg(long, default_value_t = defaults::DIAGNOSTIC_MAPS)]
    pub diagnostic_maps: usize,
    /// Seed of the weights, the batch order, the latents and the dropout masks.
    #[arg(long, default_value_t = defaults::SEED)]
    pub seed: u64,
    #[arg(long, value_enum)]
    pub backend: Option<BackendChoice>,
    /// The run directory.
    #[arg(long, default_value = defaults::OUT)]
    pub out: PathBuf,
    /// Continue the interrupted run in this directory (with the options it was started with).
    #[arg(long, conflicts_with_all = ["out", "force"])]
    pub resume: Option<PathBuf>,
    /// Replace the files of an earlier run in --out.
    #[arg(long)]
    pub force: bool,
    /// Where the generated set is cached [default: $COSMOGRAD_CACHE, else ~/.cache/cosmograd].
    #[arg(long)]
    pub cache: Option<PathBuf>,
}

/// Where a GAN run's maps come from and how they become the networks' [−1, 1].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GanDataSpec {
    /// The `.npy` file.
    pub path: PathBuf,
    pub units: Units,
    pub box_size: f64,
    /// Maps used (the first ones of the file).
    pub maps: usize,
    /// s(x) = 2x/(x + a) − 1 on x = 1 + δ, a fitted on the training maps.
    pub transform: ContrastTransform,
    /// Set when the file is the generated Quijote-like set.
    pub synthetic: Option<SyntheticQuijote>,
}

/// `config.json` of a GAN run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GanRunConfig {
    pub cosmograd_version: String,
    pub command: String,
    pub model: String,
    pub arch: GanArchitecture,
    pub train: GanOptions,
    pub data: GanDataSpec,
}

impl GanRunConfig {
    /// The configuration of the run in `run` (which must be a GAN run).
    pub fn read(run: &RunDir) -> Result<Self> {
        let text = run.read_text(files::CONFIG)?;
        serde_json::from_str(&text).map_err(|e| {
            Error::Other(format!(
                "{} is not the configuration of a `cosmograd train gan` run ({e})",
                run.file(files::CONFIG).display()
            ))
        })
    }
}

fn units(a: &GanArgs) -> Option<Units> {
    if a.density_contrast {
        Some(Units::DensityContrast)
    } else if a.overdensity {
        Some(Units::Overdensity)
    } else {
        None
    }
}

/// The options and architecture from the command line alone (nothing read yet).
fn options(a: &GanArgs) -> Result<(GanOptions, GanArch)> {
    let report = a.arch == GanArch::Report;
    let lr = if report { 1e-4 } else { 2e-4 };
    if !(0.0..0.5).contains(&a.label_smoothing) {
        return Err(Error::Other(format!(
            "--label-smoothing {} must be in [0, 0.5): real maps are labelled 1 − s",
            a.label_smoothing
        )));
    }
    let opts = GanOptions {
        epochs: a.epochs,
        batch: a.batch,
        adam: AdamSettings {
            lr_generator: a.lr_g.unwrap_or(lr),
            lr_discriminator: a.lr_d.unwrap_or(lr),
            beta1: a.beta1.unwrap_or(if report { 0.9 } else { 0.5 }),
            beta2: 0.999,
        },
        real_label: 1.0 - a.label_smoothing,
        augment: a.augment,
        diagnose_every: a.diagnose_every,
        diagnostic_maps: a.diagnostic_maps,
        seed: a.seed,
    };
    opts.validate()?;
    if report && (a.no_periodic || a.no_discriminator_norm || a.width != defaults::WIDTH || a.latent != defaults::LATENT) {
        return Err(Error::Other(
            "--no-periodic, --no-discriminator-norm, --width and --latent shape the DCGAN; --arch report is the report's networks exactly"
                .into(),
        ));
    }
    if a.width == 0 {
        return Err(Error::Other("--width must be at least 1".into()));
    }
    Ok((opts, a.arch))
}

fn architecture(kind: GanArch, size: usize, a: &GanArgs) -> Result<GanArchitecture> {
    let arch = match kind {
        GanArch::Report => GanArchitecture::report(size, a.seed),
        GanArch::Dcgan => GanArchitecture {
            discriminator_norm: !a.no_discriminator_norm,
            ..GanArchitecture::dcgan(size, a.latent, a.width, !a.no_periodic, a.seed)
        },
    };
    arch.validate()?;
    Ok(arch)
}

pub fn run(a: GanArgs) -> Result<i32> {
    let started = std::time::Instant::now();
    // Everything the command line alone can get wrong, before any file is read or written.
    let chosen = choose(a.backend)?;
    let (run, config, resume) = match &a.resume {
        Some(dir) => {
            let run = RunDir::open(dir)?;
            let config = GanRunConfig::read(&run)?;
            (run, config, true)
        }
        None => {
            let (opts, kind) = options(&a)?;
            let (path, synthetic) = match &a.data {
                Some(p) => (p.clone(), None),
                None => {
                    let spec = SyntheticQuijote::default_for(a.maps, a.size.unwrap_or(64), a.seed);
                    (fields_data::cached_set(&spec, a.cache.as_deref())?, Some(spec))
                }
            };
            let slices = load_slices(
                &path,
                &LoadOptions {
                    units: units(&a),
                    box_size: a.box_size,
                    size: None,
                    limit: a.maps,
                },
            )?;
            for w in &slices.warnings {
                eprintln!("warning: {w}");
            }
            let size = slices.size();
            if let Some(want) = a.size.filter(|&w| w != size) {
                return Err(Error::Other(format!(
                    "--size {want}: the networks would make and judge {want}×{want} maps, but {} holds {size}×{size} maps; \
                     drop --size or give data of {want}×{want}",
                    slices.path.display()
                )));
            }
            let arch = architecture(kind, size, &a)?;
            let transform = ContrastTransform::fit(slices.delta.view())?;
            let config = GanRunConfig {
                cosmograd_version: env!("CARGO_PKG_VERSION").into(),
                command: std::env::args().collect::<Vec<_>>().join(" "),
                model: "gan".into(),
                arch,
                train: opts,
                data: GanDataSpec {
                    path: slices.path.clone(),
                    units: slices.units,
                    box_size: slices.box_size,
                    maps: slices.len(),
                    transform,
                    synthetic,
                },
            };
            crate::train::gan::check_sizes(&config.arch, &config.train, slices.len(), size)?;
            let run = RunDir::create(&a.out, a.force)?;
            run.write_json(files::CONFIG, &config)?;
            (run, config, false)
        }
    };
    let d = &config.data;
    let slices = load_slices(
        &d.path,
        &LoadOptions {
            units: Some(d.units),
            box_size: Some(d.box_size),
            size: Some(config.arch.size),
            limit: Some(d.maps),
        },
    )?;
    if slices.len() != d.maps {
        return Err(Error::Other(format!(
            "{} now holds {} maps, but the run was trained on {}; restore the data file to resume",
            d.path.display(),
            slices.len(),
            d.maps
        )));
    }
    let maps = d.transform.forward_maps(slices.delta.view());
    let m = config.train.diagnostic_maps.min(slices.len());
    let data = GanData {
        maps: maps.view(),
        transform: d.transform,
        reference: slices.delta.slice(s![..m, .., ..]),
        box_size: d.box_size,
    };
    eprintln!(
        "cosmograd train gan: {} maps of {}×{} ({} h⁻¹Mpc) from {}, arch {}, {} epochs of {} steps, batch {} → {}",
        slices.len(),
        config.arch.size,
        config.arch.size,
        d.box_size,
        d.path.display(),
        config.arch.arch.name(),
        config.train.epochs,
        config.train.steps_per_epoch(data.maps.len_of(Axis(0))),
        config.train.batch,
        run.path.display()
    );
    let job = GanJob {
        arch: &config.arch,
        options: &config.train,
        run: &run,
        resume,
        progress: true,
        interrupt_at_step: None,
    };
    let outcome = match chosen {
        Chosen::Cpu => train(Cpu::<f32>::default(), &job, &data)?,
        Chosen::Gpu(g) => train(g, &job, &data)?,
    };
    let last = outcome.diagnostics.last();
    eprintln!(
        "trained {} epochs ({} steps) in {:.0} s (total {:.0} s); last scatter ratio {}, pairwise ratio {}; results in {}",
        outcome.state.epoch,
        outcome.state.step,
        outcome.state.seconds,
        started.elapsed().as_secs_f64(),
        last.map_or("-".into(), |p| format!("{:.3}", p.scatter_ratio)),
        last.map_or("-".into(), |p| format!("{:.3}", p.pairwise_ratio)),
        run.path.display()
    );
    Ok(0)
}
