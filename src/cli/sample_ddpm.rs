//! `cosmograd sample ddpm --run RUN --n N [--sampler ancestral|ddim] [--steps S] [--seed S]
//! --out samples.npy [--png grid.png]`: draws fields from a trained DDPM (its EMA weights
//! unless `--raw-weights`) and writes them in the units of the data it was trained on (δ or
//! 1 + δ, the sidecar saying which), with a JSON sidecar recording how they were drawn.

use crate::backend::{choose, Backend, BackendChoice, Chosen, Cpu};
use crate::data::slices::{sidecar_path, write_slices};
use crate::error::{Error, Result};
use crate::models::ddpm::{sample_with, AncestralVariance, Sampler};
use crate::train::ddpm::load_model;
use crate::train::ddpm_data;
use crate::train::run_dir::RunDir;
use clap::ValueEnum;
use ndarray::Array3;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SamplerKind {
    /// All T steps of the reverse Markov chain (Ho et al.).
    Ancestral,
    /// DDIM on --steps of the T times (Song et al.); deterministic for a seed with η = 0.
    Ddim,
}

#[derive(clap::Args, Debug)]
pub struct DdpmArgs {
    /// The run directory of `cosmograd train ddpm`.
    #[arg(long)]
    pub run: PathBuf,
    /// Number of fields.
    #[arg(long)]
    pub n: usize,
    #[arg(long, value_enum, default_value_t = SamplerKind::Ancestral)]
    pub sampler: SamplerKind,
    /// DDIM steps (the ancestral sampler always takes T).
    #[arg(long, default_value_t = 50)]
    pub steps: usize,
    /// DDIM's η: 0 deterministic, 1 the ancestral chain's noise.
    #[arg(long, default_value_t = 0.0)]
    pub eta: f64,
    /// The ancestral sampler's σ_t²: posterior β̃_t = β_t(1 − ᾱ_{t−1})/(1 − ᾱ_t), or β_t.
    #[arg(long, value_enum, default_value_t = AncestralVariance::Posterior)]
    pub variance: AncestralVariance,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Fields per network evaluation.
    #[arg(long, default_value_t = 32)]
    pub batch: usize,
    /// Do not clip each step's estimate x̂_0 of the clean field to the data's [−1, 1] (Ho et
    /// al.'s clip_denoised, on by default; notes/ddpm.md).
    #[arg(long)]
    pub no_clip: bool,
    /// Use the raw weights of the last step instead of their moving average.
    #[arg(long)]
    pub raw_weights: bool,
    #[arg(long, value_enum)]
    pub backend: Option<BackendChoice>,
    /// Where to write the fields: a .npy (N, S, S) with a .json sidecar beside it.
    #[arg(long)]
    pub out: PathBuf,
    /// Also draw the first 16 fields as ln(1 + δ) into this PNG.
    #[arg(long)]
    pub png: Option<PathBuf>,
    /// Replace --out (and --png) if they exist.
    #[arg(long)]
    pub force: bool,
}

impl ValueEnum for AncestralVariance {
    fn value_variants<'a>() -> &'a [Self] {
        &[AncestralVariance::Posterior, AncestralVariance::Beta]
    }
    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(match self {
            AncestralVariance::Posterior => "posterior",
            AncestralVariance::Beta => "beta",
        }))
    }
}

pub fn run(a: DdpmArgs) -> Result<i32> {
    if a.n == 0 {
        return Err(Error::Other("--n must be at least 1".into()));
    }
    if a.sampler == SamplerKind::Ddim && a.steps == 0 {
        return Err(Error::Other("--steps must be at least 1".into()));
    }
    if !(a.eta.is_finite() && a.eta >= 0.0) {
        return Err(Error::Other(format!("--eta must be ≥ 0, got {}", a.eta)));
    }
    if a.out.extension().and_then(|e| e.to_str()) != Some("npy") {
        return Err(Error::Other(format!("--out {} must name a .npy file", a.out.display())));
    }
    for p in [Some(&a.out), a.png.as_ref()].into_iter().flatten() {
        super::sample::refuse_overwrite(p, a.force)?;
    }
    let run = RunDir::open(&a.run)?;
    let config = super::train_ddpm::DdpmRunConfig::read(&run)?;
    match choose(a.backend)? {
        Chosen::Cpu => draw(Cpu::<f32>::default(), &a, &run, &config),
        Chosen::Gpu(g) => draw(g, &a, &run, &config),
    }
}

fn draw<B: Backend>(be: B, a: &DdpmArgs, run: &RunDir, config: &super::train_ddpm::DdpmRunConfig) -> Result<i32> {
    let name = be.name();
    let (model, store, state) = load_model(be, run, !a.raw_weights)?;
    let sampler = match a.sampler {
        SamplerKind::Ancestral => Sampler::Ancestral(a.variance),
        SamplerKind::Ddim => Sampler::Ddim {
            steps: a.steps,
            eta: a.eta,
        },
    };
    let total = sampler.evaluations(&model.schedule);
    let bar = super::progress::bar(total as u64, "sample ddpm", "reverse steps");
    bar.set_message(format!("{} fields", a.n));
    let started = Instant::now();
    let mut eps = model.predictor(&store, a.batch);
    let size = model.config.unet.size;
    let clip = if a.no_clip { None } else { Some(1.0) };
    let x = sample_with(
        &model.schedule,
        &mut eps,
        sampler,
        a.n,
        model.sample_len(),
        a.seed,
        clip,
        &mut |done, _| bar.set_position(done as u64),
    )?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let s = Array3::from_shape_vec((a.n, size, size), x.iter().map(|&v| v as f32).collect()).expect("n fields");
    let (delta, clamped) = ddpm_data::to_delta(&config.data, s.view());
    let described = match sampler {
        Sampler::Ancestral(v) => format!("ancestral, T = {} steps, σ² = {v:?}", model.schedule.steps()),
        Sampler::Ddim { steps, eta } => format!("DDIM, {steps} steps, η = {eta}"),
    };
    let meta = serde_json::json!({
        "generator": "cosmograd sample ddpm",
        "command": std::env::args().collect::<Vec<_>>().join(" "),
        "run": run.path,
        "epoch": state.epoch,
        "weights": if a.raw_weights { "raw" } else { "ema" },
        "x0_clipped_to": if a.no_clip { serde_json::Value::Null } else { serde_json::json!([-1.0, 1.0]) },
        "sampler": described,
        "network_evaluations": total,
        "seed": a.seed,
        "backend": name,
        "seconds": seconds,
        "values_clamped_before_the_inverse_transform": clamped,
        "transform": config.data.transform,
    });
    write_slices(&a.out, delta.view(), config.data.units, config.data.box_size, meta)?;
    if let Some(png) = &a.png {
        let log_range = {
            let mut v: Vec<f64> = delta.iter().map(|&d| (1.0 + d as f64).max(1e-6).ln()).collect();
            v.sort_by(f64::total_cmp);
            (v[v.len() / 100], v[(v.len() - 1) * 99 / 100])
        };
        ddpm_data::save_grid(png, delta.view(), log_range, &format!("{} samples, {described}", a.n))?;
    }
    eprintln!(
        "drew {} fields ({described}; {total} network evaluations) in {seconds:.1} s ({:.2} s a field) on {name}; \
         {clamped} values clamped into the transform's range; wrote {} (sidecar {})",
        a.n,
        seconds / a.n as f64,
        a.out.display(),
        sidecar_path(&a.out).display()
    );
    Ok(0)
}
