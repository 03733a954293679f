//! The figures of a field comparison, as PNG: the maps side by side, P(k) with its scatter
//! bands, R(k) and the scatter ratio with their error bands, the pixel PDF (of ln(1 + δ)), the three
//! Minkowski functionals, peak and cluster counts. Maps are drawn as ln(1 + δ) (density
//! contrast in, the log density out, on the real set's 1 %–99 % range).

use super::comparison::FieldComparison;
use super::ensemble::BinStats;
use super::pdf::quantile;
use crate::error::Result;
use crate::eval::map_grid::{save_map_panels, ColourScale, MapPanel};
use crate::eval::plot::{Plot, SeriesLabelPosition, PALETTE};
use ndarray::{ArrayView3, Axis};
use std::path::{Path, PathBuf};

/// Maps per panel of `maps.png`.
const GRID_MAPS: usize = 16;

/// (x, mean − k·err, mean + k·err) for a band.
fn band(x: &[f64], mean: &[f64], err: &[f64], k: f64) -> Vec<(f64, f64, f64)> {
    x.iter()
        .zip(mean)
        .zip(err)
        .map(|((&x, &m), &e)| (x, m - k * e, m + k * e))
        .collect()
}

fn line(x: &[f64], y: &[f64]) -> Vec<(f64, f64)> {
    x.iter().cloned().zip(y.iter().cloned()).collect()
}

/// Standard errors of a set's bins.
fn se(b: &BinStats) -> Vec<f64> {
    (0..b.len()).map(|i| b.se(i)).collect()
}

/// Bin centres for inner edges with open outer bins (each outer bin drawn one step wide).
fn open_bin_centres(inner: &[f64]) -> Vec<f64> {
    let step = if inner.len() > 1 { inner[1] - inner[0] } else { 1.0 };
    let mut c = vec![inner[0] - step / 2.0];
    c.extend(inner.windows(2).map(|w| (w[0] + w[1]) / 2.0));
    c.push(inner[inner.len() - 1] + step / 2.0);
    c
}

/// A figure of one binned statistic of both sets: means with ±1 standard-error bands.
fn both(title: &str, x_label: &str, y_label: &str, x: &[f64], real: &BinStats, generated: &BinStats) -> Plot {
    Plot::new(title)
        .labels(x_label, y_label)
        .band("", &band(x, &real.mean, &se(real), 1.0))
        .color(PALETTE[0])
        .line("real", &line(x, &real.mean))
        .color(PALETTE[0])
        .band("", &band(x, &generated.mean, &se(generated), 1.0))
        .color(PALETTE[1])
        .line("generated", &line(x, &generated.mean))
        .color(PALETTE[1])
}

/// ln(1 + δ), floored at ln 10⁻³ (an empty cell).
fn log_density(v: f32) -> f64 {
    (1.0 + v as f64).max(1e-3).ln()
}

/// Bins of the figure's PDF.
const PDF_BINS: usize = 60;

/// The pooled density of ln(1 + δ) on `PDF_BINS` even bins over [lo, hi]: (centres, density).
fn log_density_histogram(maps: ArrayView3<f32>, lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    let width = (hi - lo).max(1e-12) / PDF_BINS as f64;
    let mut counts = vec![0.0; PDF_BINS];
    for &v in maps.iter() {
        let i = ((log_density(v) - lo) / width).floor();
        if i >= 0.0 {
            counts[(i as usize).min(PDF_BINS - 1)] += 1.0;
        }
    }
    let norm = 1.0 / (maps.len() as f64 * width);
    let x = (0..PDF_BINS).map(|i| lo + (i as f64 + 0.5) * width).collect();
    (x, counts.iter().map(|c| c * norm).collect())
}

/// A panel of the first maps of a set.
fn panel<'a>(title: &str, maps: ArrayView3<'a, f32>) -> MapPanel<'a> {
    let count = maps.len_of(Axis(0)).min(GRID_MAPS);
    MapPanel {
        title: format!("{title} ({count} of {}), ln(1 + δ)", maps.len_of(Axis(0))),
        maps: (0..count).map(|i| maps.index_axis_move(Axis(0), i)).collect(),
        cols: 4,
    }
}

/// Writes every figure into `dir` (which must exist); returns the paths written.
pub fn write_figures(c: &FieldComparison, generated: ArrayView3<f32>, real: ArrayView3<f32>, dir: &Path) -> Result<Vec<PathBuf>> {
    let mut written = vec![];
    let mut save = |plot: Plot, name: &str| -> Result<()> {
        let path = dir.join(name);
        plot.save(&path)?;
        written.push(path);
        Ok(())
    };

    // P(k): the mean of each set with the map-to-map scatter (±1 sd) as a band.
    let ps = &c.power_spectrum;
    let k = &ps.real.k;
    save(
        Plot::new("power spectrum: mean and map-to-map scatter (±1 sd)")
            .labels("k [h/Mpc]", "P(k) [(Mpc/h)²]")
            .log_x()
            .log_y()
            .band("", &band(k, &ps.real.power.mean, &ps.real.power.sd, 1.0))
            .color(PALETTE[0])
            .line("real", &line(k, &ps.real.power.mean))
            .color(PALETTE[0])
            .band("", &band(k, &ps.generated.power.mean, &ps.generated.power.sd, 1.0))
            .color(PALETTE[1])
            .line("generated", &line(k, &ps.generated.power.mean))
            .color(PALETTE[1])
            .legend_at(SeriesLabelPosition::LowerLeft),
        "power_spectrum.png",
    )?;

    // R(k) and the scatter ratio, with ±2 standard-error bands, 1 ± 5 % and k_max marked.
    let pr = &c.power_ratio;
    let (lo, hi) = pr
        .ratio
        .iter()
        .chain(&pr.scatter_ratio)
        .filter(|v| v.is_finite())
        .fold((0.8f64, 1.2f64), |(a, b), &v| (a.min(v), b.max(v)));
    let (lo, hi) = (lo.max(0.0), hi.min(3.0));
    let ends = [k[0], k[k.len() - 1]];
    save(
        Plot::new("R(k) = <P_gen>/<P_real> and σ_gen(k)/σ_real(k) (bands: ±2 standard errors)")
            .labels("k [h/Mpc]", "ratio")
            .log_x()
            .y_range(lo, hi)
            .band("", &band(k, &pr.scatter_ratio, &pr.scatter_ratio_se, 2.0))
            .color(PALETTE[1])
            .band("", &band(k, &pr.ratio, &pr.ratio_se, 2.0))
            .color(PALETTE[0])
            .line("scatter ratio", &line(k, &pr.scatter_ratio))
            .color(PALETTE[1])
            .line("R(k)", &line(k, &pr.ratio))
            .color(PALETTE[0])
            .line("1 ± 5 %", &[(ends[0], 1.05), (ends[1], 1.05)])
            .color(PALETTE[7])
            .line("", &[(ends[0], 0.95), (ends[1], 0.95)])
            .color(PALETTE[7])
            .line("k_Nyq/2", &[(pr.k_max, lo), (pr.k_max, hi)])
            .color(PALETTE[3]),
        "power_ratio.png",
    )?;

    // The pixel PDF, drawn as the density of ln(1 + δ) on even bins from the real set's
    // 0.01 % quantile to the largest value of either set, so that voids and peaks both show.
    // (The comparison itself uses the real set's equal-count bins, in fields.json.)
    let (lo, hi) = {
        let mut v: Vec<f64> = real.iter().map(|&x| log_density(x)).collect();
        v.sort_unstable_by(f64::total_cmp);
        let top = generated.iter().map(|&x| log_density(x)).fold(v[v.len() - 1], f64::max);
        (quantile(&v, 1e-4), top)
    };
    let (x, rd) = log_density_histogram(real, lo, hi);
    let (_, gd) = log_density_histogram(generated, lo, hi);
    save(
        Plot::new("pixel PDF of ln(1 + δ)")
            .labels("ln(1 + δ)", "probability density")
            .log_y()
            .line("real", &line(&x, &rd))
            .color(PALETTE[0])
            .line("generated", &line(&x, &gd))
            .color(PALETTE[1]),
        "pdf.png",
    )?;

    // Minkowski functionals, one figure each.
    let m = &c.minkowski;
    let n = m.nu.len();
    let part = |b: &BinStats, f: usize| BinStats {
        mean: b.mean[f * n..(f + 1) * n].to_vec(),
        sd: b.sd[f * n..(f + 1) * n].to_vec(),
        sd_se: b.sd_se[f * n..(f + 1) * n].to_vec(),
        maps: b.maps,
    };
    for (f, (name, what)) in [
        ("V0", "area fraction"),
        ("V1", "boundary length / 4 per pixel"),
        ("V2", "Euler characteristic per pixel"),
    ]
    .iter()
    .enumerate()
    {
        save(
            both(
                &format!("Minkowski functional {name}: {what}"),
                "threshold ν (σ of the real set)",
                name,
                &m.nu,
                &part(&m.real, f),
                &part(&m.generated, f),
            ),
            &format!("minkowski_{}.png", name.to_lowercase()),
        )?;
    }

    let p = &c.peaks;
    save(
        both(
            "peaks per map by height",
            "peak height ν (σ of the real set)",
            "peaks per map",
            &open_bin_centres(&p.nu_edges),
            &p.real,
            &p.generated,
        ),
        "peaks.png",
    )?;
    let cl = &c.clusters;
    save(
        both(
            "clusters of {x > threshold} per map (periodic 8-connectivity)",
            "threshold ν (σ of the real set)",
            "clusters per map",
            &cl.nu,
            &cl.real,
            &cl.generated,
        ),
        "clusters.png",
    )?;

    // The maps: real beside generated, one colour scale (the real set's ln(1 + δ) range).
    let mut values: Vec<f64> = real.iter().step_by(7).map(|&v| log_density(v)).collect();
    values.sort_unstable_by(f64::total_cmp);
    let scale = ColourScale {
        range: (quantile(&values, 0.01), quantile(&values, 0.99)),
        value: &|v| log_density(v),
    };
    let maps_path = dir.join("maps.png");
    save_map_panels(&maps_path, &[panel("real", real), panel("generated", generated)], &scale, 3)?;
    written.push(maps_path);
    Ok(written)
}
