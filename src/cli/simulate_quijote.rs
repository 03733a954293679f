//! `cosmograd simulate quijote --out DIR --n N [--size 64] [--seed S] [--force]`: lognormal
//! slices at the Quijote fiducial cosmology (`data::quijote`), written as `DIR/slices.npy`
//! ((N, size, size) `<f4` of δ) with the sidecar `DIR/slices.json` (box, cosmology, seed,
//! target spectrum), and `DIR/maps.png` and `DIR/power_spectrum.png` to look at.

use crate::data::quijote::{LognormalSlices, QuijoteSettings};
use crate::data::slices::{sidecar_path, write_slices, Units};
use crate::error::{Error, Result};
use crate::eval::fields::spectra::set_spectrum;
use crate::eval::fields::PlaneBins;
use crate::eval::map_grid::{save_map_panels, ColourScale, MapPanel};
use crate::eval::plot::{Plot, SeriesLabelPosition, PALETTE};
use ndarray::Axis;
use serde_json::json;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Directory to write slices.npy, slices.json and the figures into.
    #[arg(long)]
    pub out: PathBuf,
    /// Number of maps.
    #[arg(long, default_value_t = 1000)]
    pub n: usize,
    /// Pixels a side (the slab stays one voxel thick, 1000/size h⁻¹Mpc).
    #[arg(long, default_value_t = 64)]
    pub size: usize,
    /// Seed; map i is drawn from sub-seed i, so sets of different N share their first maps.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Replace slices.npy if it exists.
    #[arg(long)]
    pub force: bool,
}

pub fn run(a: Args) -> Result<i32> {
    if a.n == 0 {
        return Err(Error::Other("--n must be at least 1".into()));
    }
    if !(4..=4096).contains(&a.size) {
        return Err(Error::Other(format!("--size must be between 4 and 4096 pixels, got {}", a.size)));
    }
    let npy = a.out.join("slices.npy");
    if npy.exists() && !a.force {
        return Err(Error::Other(format!("{} exists; pass --force to replace it", npy.display())));
    }
    let settings = QuijoteSettings::with_size(a.size);
    let sim = LognormalSlices::new(settings)?;
    let bar = super::progress::bar(a.n as u64, "simulating", "maps");
    let delta = sim.simulate(a.n, a.seed, || bar.inc(1));
    bar.finish_and_clear();

    let grid = sim.grid();
    let bins = PlaneBins::new(grid);
    let target = bins.bin_average(|k| sim.target_power(k));
    let k_half = grid.k_nyquist() / 2.0;
    let meta = json!({
        "simulator": "quijote-lognormal",
        "size": a.size,
        "slab": settings.slab,
        "cosmology": settings.cosmology,
        "seed": a.seed,
        "n": a.n,
        "gaussian_variance": sim.gaussian_variance(),
        "pixel_sigma": sim.pixel_variance().sqrt(),
        "map_mean_sd": sim.mean_variance().sqrt(),
        "clipped_gaussian_power": sim.clipped_power(),
        "realised_max_deviation_below_half_nyquist": sim.max_realised_deviation(k_half),
        "target_spectrum": {
            "description": "P_2D(k) [(Mpc/h)^2] of δ: EH no-wiggle linear spectrum projected through the slab, averaged over the modes of each Pk_plane bin",
            "k": bins.k(),
            "power": target,
            "modes": bins.modes(),
        },
    });
    std::fs::create_dir_all(&a.out).map_err(|e| Error::io(format!("creating {}", a.out.display()), e))?;
    write_slices(&npy, delta.view(), Units::DensityContrast, settings.box_size, meta)?;

    // Figures: the first maps, and the measured spectrum against the target.
    let measured = set_spectrum(delta.view(), settings.box_size)?;
    let k = bins.k();
    let pts = |v: &[f64]| -> Vec<(f64, f64)> { k.iter().cloned().zip(v.iter().cloned()).collect() };
    let band: Vec<(f64, f64, f64)> = (0..k.len())
        .map(|i| {
            (
                k[i],
                measured.power.mean[i] - measured.power.sd[i],
                measured.power.mean[i] + measured.power.sd[i],
            )
        })
        .collect();
    Plot::new(&format!("{} Quijote-like maps: P(k) against the target", a.n))
        .labels("k [h/Mpc]", "P(k) [(Mpc/h)²]")
        .log_x()
        .log_y()
        .band("", &band)
        .color(PALETTE[0])
        .line("measured (mean, ±1 sd)", &pts(&measured.power.mean))
        .color(PALETTE[0])
        .line("target", &pts(&target))
        .color(PALETTE[3])
        .legend_at(SeriesLabelPosition::LowerLeft)
        .save(a.out.join("power_spectrum.png"))?;
    let log_density = |v: f32| (1.0 + v as f64).max(1e-3).ln();
    let s = sim.gaussian_variance().sqrt();
    let shown = delta.len_of(Axis(0)).min(16);
    save_map_panels(
        a.out.join("maps.png"),
        &[MapPanel {
            title: format!("{shown} of {} maps, ln(1 + δ)", a.n),
            maps: delta.outer_iter().take(shown).collect(),
            cols: 4,
        }],
        &ColourScale {
            range: (-s * 2.5 - s * s / 2.0, s * 2.5 - s * s / 2.0),
            value: &log_density,
        },
        3,
    )?;
    println!(
        "wrote {} maps of {}×{} ({} h⁻¹Mpc, slab {} h⁻¹Mpc) to {}; sidecar {}",
        a.n,
        a.size,
        a.size,
        settings.box_size,
        settings.slab,
        npy.display(),
        sidecar_path(&npy).display()
    );
    println!(
        "pixel σ_δ = {:.3} (expected), σ of map means = {:.4}, Gaussian σ_G² = {:.3}, clipped Gaussian power {:.2e}",
        sim.pixel_variance().sqrt(),
        sim.mean_variance().sqrt(),
        sim.gaussian_variance(),
        sim.clipped_power()
    );
    Ok(0)
}
