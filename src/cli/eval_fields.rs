//! `cosmograd eval fields --real PATH --generated PATH [--train PATH] [--json] [--out DIR]`:
//! the field-statistics suite (`eval::fields`), a generated set judged against a real one.
//! Prints a table (or the whole comparison as JSON with `--json`); with `--out DIR` also
//! writes `DIR/fields.json` and the figures. Exit code 0 when every statistic passes, 1 when
//! one fails.

use crate::data::slices::{load_slices, DensitySlices, LoadOptions, Units};
use crate::error::{Error, Result};
use crate::eval::fields::figures::write_figures;
use crate::eval::fields::{compare_fields, CompareOptions, FieldComparison};
use indicatif::{ProgressBar, ProgressStyle};
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The real (held-out) maps: a .npy (N, H, W) file, or a directory holding slices.npy.
    #[arg(long)]
    pub real: PathBuf,
    /// The generated maps, in the same form.
    #[arg(long)]
    pub generated: PathBuf,
    /// The maps the model trained on, for the memorisation test (default: the real maps).
    #[arg(long)]
    pub train: Option<PathBuf>,
    /// Files without a sidecar hold δ (the default; a sidecar says what its file holds).
    #[arg(long, conflicts_with = "overdensity")]
    pub density_contrast: bool,
    /// Files without a sidecar hold 1 + δ.
    #[arg(long)]
    pub overdensity: bool,
    /// Side of the maps in h⁻¹Mpc (default: the sidecar's, else 1000).
    #[arg(long)]
    pub box_size: Option<f64>,
    /// Use at most this many maps of each set.
    #[arg(long)]
    pub max_maps: Option<usize>,
    /// Print the whole comparison as JSON instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Write fields.json and the figures into this directory.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace an earlier fields.json in --out.
    #[arg(long)]
    pub force: bool,
}

pub fn run(a: Args) -> Result<i32> {
    let units = match (a.density_contrast, a.overdensity) {
        (true, _) => Some(Units::DensityContrast),
        (_, true) => Some(Units::Overdensity),
        _ => None,
    };
    if let Some(dir) = &a.out {
        let json = dir.join("fields.json");
        if json.exists() && !a.force {
            return Err(Error::Other(format!("{} exists; pass --force to replace it", json.display())));
        }
    }
    let opts = LoadOptions {
        units,
        box_size: a.box_size,
        size: None,
        limit: a.max_maps,
    };
    let real = load_slices(&a.real, &opts)?;
    let generated = load_slices(&a.generated, &opts)?;
    let train = a.train.as_deref().map(|p| load_slices(p, &opts)).transpose()?;
    for set in [Some(&real), Some(&generated), train.as_ref()].into_iter().flatten() {
        for w in &set.warnings {
            eprintln!("warning: {w}");
        }
    }
    check_box(&real, &generated)?;
    if let Some(t) = &train {
        check_box(&real, t)?;
    }

    let stages = 7;
    let bar = ProgressBar::new(stages)
        .with_style(ProgressStyle::with_template("{msg:28} {bar:30} {pos}/{len} [{elapsed_precise}]").expect("a valid template"));
    let stage = |name: &str| {
        if bar.position() > 0 || !bar.message().is_empty() {
            bar.inc(1);
        }
        bar.set_message(name.to_string());
    };
    let c = compare_fields(
        generated.delta.view(),
        real.delta.view(),
        train.as_ref().map(|t| t.delta.view()),
        real.box_size,
        &CompareOptions::default(),
        &stage,
    )?;
    bar.finish_and_clear();

    let json = serde_json::to_string_pretty(&c).map_err(|e| Error::Other(format!("serialising the comparison: {e}")))?;
    if let Some(dir) = &a.out {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        let path = dir.join("fields.json");
        std::fs::write(&path, &json).map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        let figures = write_figures(&c, generated.delta.view(), real.delta.view(), dir)?;
        if !a.json {
            println!("wrote {} and {} figures to {}", path.display(), figures.len(), dir.display());
        }
    }
    if a.json {
        println!("{json}");
    } else {
        print!("{}", summary(&c, &real, &generated));
    }
    Ok(if c.pass { 0 } else { 1 })
}

fn check_box(a: &DensitySlices, b: &DensitySlices) -> Result<()> {
    if (a.box_size - b.box_size).abs() > 1e-9 * a.box_size {
        return Err(Error::Other(format!(
            "{} is {} h⁻¹Mpc across but {} is {}; give --box-size if one sidecar is wrong",
            a.path.display(),
            a.box_size,
            b.path.display(),
            b.box_size
        )));
    }
    Ok(())
}

/// The table printed without --json.
fn summary(c: &FieldComparison, real: &DensitySlices, generated: &DensitySlices) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} generated maps ({}) against {} real maps ({}), {}×{} pixels, L = {} h⁻¹Mpc",
        c.generated_maps,
        generated.path.display(),
        c.real_maps,
        real.path.display(),
        c.size,
        c.size,
        c.box_size
    );
    let pr = &c.power_ratio;
    let _ = writeln!(
        s,
        "P(k), k ≤ {:.4} h/Mpc: max |R − 1| = {:.4}, scatter ratio σ_gen/σ_real in [{:.3}, {:.3}]",
        pr.k_max, pr.max_ratio_deviation, pr.scatter_ratio_range.0, pr.scatter_ratio_range.1
    );
    let (mm, mv) = (&c.map_means, &c.map_variances);
    let _ = writeln!(
        s,
        "map means: real {:.4} ± {:.4}, generated {:.4} ± {:.4} (KS p = {:.3}); map variances: real {:.4} ± {:.4}, generated {:.4} ± {:.4} (KS p = {:.3})",
        mm.real_mean, mm.real_sd, mm.generated_mean, mm.generated_sd, mm.ks.p, mv.real_mean, mv.real_sd, mv.generated_mean, mv.generated_sd, mv.ks.p
    );
    let pdf = &c.pixel_pdf;
    let _ = writeln!(
        s,
        "pixel PDF: χ²/bin = {:.2}, KS D = {:.4}, W1 = {:.4} ({:.3} σ); peaks per map: real {:.1}, generated {:.1}",
        pdf.chi2_per_bin, pdf.ks_d, pdf.wasserstein1, pdf.wasserstein1_sigma, c.peaks.real_total, c.peaks.generated_total
    );
    let m = &c.minkowski;
    let _ = writeln!(
        s,
        "Minkowski functionals: largest |Δ| / max |V_real| = {:.3} (V0), {:.3} (V1), {:.3} (V2)",
        m.max_deviation[0], m.max_deviation[1], m.max_deviation[2]
    );
    let mem = &c.memorisation;
    let _ = writeln!(
        s,
        "memorisation: median nearest-neighbour distance generated/reference = {:.3}, {} copies (below {:.4})",
        mem.median_ratio, mem.copies, mem.copy_threshold
    );
    let _ = writeln!(s, "\n{:<15} {:>10}  {:<6} rule", "statistic", "value", "");
    for v in &c.verdicts {
        let _ = writeln!(
            s,
            "{:<15} {:>10.4}  {:<6} {}",
            v.statistic,
            v.verdict.value,
            if v.verdict.pass { "pass" } else { "FAIL" },
            v.verdict.criterion
        );
    }
    let failed = c.verdicts.iter().filter(|v| !v.verdict.pass).count();
    let _ = writeln!(
        s,
        "{}",
        if failed == 0 {
            "consistent: every statistic passes".to_string()
        } else {
            format!("inconsistent: {failed} of {} statistics fail", c.verdicts.len())
        }
    );
    s
}
