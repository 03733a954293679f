//! `cosmograd sample gan`: maps from a trained GAN's generator, written in the units of the
//! data it was trained on. `sample gan --run RUN --n N --out samples.npy [--png grid.png]`.

use super::train_gan::GanRunConfig;
use crate::backend::{choose, BackendChoice, Chosen};
use crate::backend::{Backend, Cpu};
use crate::data::slices::{sidecar_path, write_slices};
use crate::error::{Error, Result};
use crate::eval::map_grid::{save_map_panels, ColourScale, MapPanel};
use crate::train::gan::load_generator;
use crate::train::gan_step::latents;
use crate::train::run_dir::RunDir;
use ndarray::{Array3, Axis};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct GanArgs {
    /// The run directory of `cosmograd train gan`.
    #[arg(long)]
    pub run: PathBuf,
    /// Number of maps.
    #[arg(long, default_value_t = 256)]
    pub n: usize,
    /// The `.npy` to write ((N, S, S) `<f4`, in the training data's units, with a JSON sidecar).
    #[arg(long)]
    pub out: PathBuf,
    /// Also draw the first 16 maps into this PNG.
    #[arg(long)]
    pub png: Option<PathBuf>,
    /// Seed of the latent vectors.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Maps generated per batch.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    #[arg(long, value_enum)]
    pub backend: Option<BackendChoice>,
    /// Replace --out (and --png) if they exist.
    #[arg(long)]
    pub force: bool,
}

pub fn run(g: GanArgs) -> Result<i32> {
    match choose(g.backend)? {
        Chosen::Cpu => sample_gan(Cpu::<f32>::default(), &g),
        Chosen::Gpu(gpu) => sample_gan(gpu, &g),
    }
}

fn sample_gan<B: Backend>(be: B, a: &GanArgs) -> Result<i32> {
    if a.n == 0 || a.batch == 0 {
        return Err(Error::Other("--n and --batch must be at least 1".into()));
    }
    super::sample::refuse_overwrite(&a.out, a.force)?;
    if let Some(p) = &a.png {
        super::sample::refuse_overwrite(p, a.force)?;
    }
    let run = RunDir::open(&a.run)?;
    let config = GanRunConfig::read(&run)?;
    let (t, transform) = load_generator(&be, &run)?;
    let (s, l) = (config.arch.size, config.arch.latent);
    let z = latents(a.seed, a.n, l);
    let mut maps = Vec::with_capacity(a.n * s * s);
    let bar = super::progress::bar(a.n as u64, "sampling", "maps");
    for chunk in z.chunks(a.batch * l) {
        let x = t.sample(&t.latent_tensor(chunk)?)?;
        maps.extend(x.to_vec_f32(&be)?);
        bar.inc((chunk.len() / l) as u64);
    }
    bar.finish_and_clear();
    let model_units = Array3::from_shape_vec((a.n, s, s), maps).expect("the generator's shape");
    let (delta, clamped) = transform.inverse_maps(model_units.view());
    if clamped > 0 {
        eprintln!(
            "warning: {clamped} generated pixels were at the tanh's upper limit s = 1 (an infinite density) and were \
             clamped before the inverse transform"
        );
    }
    let d = &config.data;
    let extra = serde_json::json!({
        "generator": run.path.display().to_string(),
        "arch": config.arch.arch.name(),
        "seed": a.seed,
        "transform_a": transform.a,
    });
    write_slices(&a.out, delta.view(), d.units, d.box_size, extra)?;
    if let Some(png) = &a.png {
        let log_density = |v: f32| (1.0 + v as f64).max(1e-3).ln();
        let shown = a.n.min(16);
        save_map_panels(
            png,
            &[MapPanel {
                title: format!("{shown} of {} generated maps, ln(1 + δ)", a.n),
                maps: delta.outer_iter().take(shown).collect(),
                cols: 4,
            }],
            &ColourScale {
                range: log_range(&delta),
                value: &log_density,
            },
            3,
        )?;
    }
    println!(
        "wrote {} maps of {s}×{s} in {} to {} (sidecar {})",
        a.n,
        match d.units {
            crate::data::slices::Units::DensityContrast => "δ",
            crate::data::slices::Units::Overdensity => "1 + δ",
        },
        a.out.display(),
        sidecar_path(&a.out).display()
    );
    Ok(0)
}

/// The 1st and 99th percentiles of ln(1 + δ): a colour range no single peak stretches.
fn log_range(delta: &Array3<f32>) -> (f64, f64) {
    let mut v: Vec<f64> = delta
        .index_axis(Axis(0), 0)
        .iter()
        .map(|&d| (1.0 + d as f64).max(1e-3).ln())
        .collect();
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q) as usize];
    (at(0.01), at(0.99))
}
