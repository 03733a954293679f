//! `FieldComparison`: every statistic of the suite, a generated set judged against a real one.
//!
//! Each statistic is measured map by map and compared with errors from the map-to-map
//! scatter of both sets (`ensemble.rs`); each has a pass/fail verdict with its rule in the
//! JSON. The generated set passes when every verdict passes. Thresholds are shared by both
//! sets and taken from the real one: ν = (x − μ)/σ with μ, σ the real set's pixel mean and
//! standard deviation, thresholds for the Minkowski functionals and clusters spanning the
//! real pixels' 1 %…99.5 % quantiles, peak-height bins its peaks' 1 %…99 % quantiles, the
//! P(k) comparison over k ≤ k_Nyq/2 (the well-sampled range; beyond it the grid's corners
//! and aliasing dominate). `notes/fields.md` defines every number.

use super::clusters::{compare_clusters, ClusterComparison};
use super::ensemble::Verdict;
use super::map_moments::{compare_values, map_moments, MomentComparison};
use super::memorisation::{memorisation, Memorisation};
use super::minkowski::{compare_minkowski, MinkowskiComparison};
use super::pdf::{compare_pdfs, quantile, PdfComparison};
use super::peaks::{compare_peaks, peak_heights, PeakComparison};
use super::spectra::{compare_spectra, set_spectrum, PowerComparison, SetSpectrum};
use crate::data::fourier::Grid;
use crate::error::{Error, Result};
use ndarray::ArrayView3;
use serde::Serialize;

/// Settings of a comparison (the defaults are what `cosmograd eval fields` uses).
#[derive(Clone, Debug)]
pub struct CompareOptions {
    /// Compare P(k) up to this fraction of k_Nyq.
    pub k_max_fraction: f64,
    /// Equal-count bins of the real pixel PDF.
    pub pdf_bins: usize,
    /// Thresholds for the Minkowski functionals and the cluster counts.
    pub thresholds: usize,
    /// Peak-height bins.
    pub peak_bins: usize,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            k_max_fraction: 0.5,
            pdf_bins: 40,
            thresholds: 25,
            peak_bins: 12,
        }
    }
}

/// Both sets' spectra.
#[derive(Clone, Debug, Serialize)]
pub struct Spectra {
    pub real: SetSpectrum,
    pub generated: SetSpectrum,
}

/// One line of the summary: a statistic's name and its verdict.
#[derive(Clone, Debug, Serialize)]
pub struct NamedVerdict {
    pub statistic: String,
    #[serde(flatten)]
    pub verdict: Verdict,
}

#[derive(Clone, Debug, Serialize)]
pub struct FieldComparison {
    pub real_maps: usize,
    pub generated_maps: usize,
    pub size: usize,
    pub box_size: f64,
    /// μ and σ of the real set's pixels: the unit of every ν.
    pub pixel_mean: f64,
    pub pixel_sigma: f64,
    pub power_spectrum: Spectra,
    pub power_ratio: PowerComparison,
    pub pixel_pdf: PdfComparison,
    pub map_means: MomentComparison,
    pub map_variances: MomentComparison,
    pub peaks: PeakComparison,
    pub minkowski: MinkowskiComparison,
    pub clusters: ClusterComparison,
    pub memorisation: Memorisation,
    /// Every verdict, in the order above.
    pub verdicts: Vec<NamedVerdict>,
    /// All verdicts pass.
    pub pass: bool,
}

/// `count` values evenly spaced from `lo` to `hi`.
fn linspace(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    let step = if count > 1 { (hi - lo) / (count - 1) as f64 } else { 0.0 };
    (0..count).map(|i| lo + i as f64 * step).collect()
}

/// Judges `generated` against `real` (N × H × W each, the same H = W, side `box_size`).
/// `train`: the set the model trained on, for the memorisation test (the real set stands in
/// when absent). `stage` is called before each statistic with its name (progress display).
pub fn compare_fields(
    generated: ArrayView3<f32>,
    real: ArrayView3<f32>,
    train: Option<ArrayView3<f32>>,
    box_size: f64,
    opts: &CompareOptions,
    stage: &dyn Fn(&str),
) -> Result<FieldComparison> {
    let (g, r) = (generated.dim(), real.dim());
    if (g.1, g.2) != (r.1, r.2) || r.1 != r.2 {
        return Err(Error::invalid(
            "field comparison",
            format!(
                "the generated maps are {}×{} and the real ones {}×{}: both must be square and of one size",
                g.1, g.2, r.1, r.2
            ),
        ));
    }
    if let Some(t) = train {
        if (t.dim().1, t.dim().2) != (r.1, r.2) {
            return Err(Error::invalid(
                "field comparison",
                format!(
                    "the training maps are {}×{} but the real ones {}×{}",
                    t.dim().1,
                    t.dim().2,
                    r.1,
                    r.2
                ),
            ));
        }
    }
    if g.0 < 2 || r.0 < 2 {
        return Err(Error::invalid(
            "field comparison",
            format!(
                "each set needs at least two maps for a map-to-map scatter (got {} generated, {} real)",
                g.0, r.0
            ),
        ));
    }
    let grid = Grid::new(r.1, box_size)?;

    stage("power spectra");
    let spectra = Spectra {
        real: set_spectrum(real, box_size)?,
        generated: set_spectrum(generated, box_size)?,
    };
    let power_ratio = compare_spectra(&spectra.generated, &spectra.real, opts.k_max_fraction * grid.k_nyquist())?;

    stage("pixel PDF");
    let pixel_pdf = compare_pdfs(generated, real, opts.pdf_bins);
    let pixels: Vec<f64> = {
        let mut v: Vec<f64> = real.iter().map(|&x| x as f64).collect();
        v.sort_unstable_by(f64::total_cmp);
        v
    };
    let n = pixels.len() as f64;
    let mu = pixels.iter().sum::<f64>() / n;
    let sigma = (pixels.iter().map(|v| (v - mu).powi(2)).sum::<f64>() / n).sqrt();
    if sigma.is_nan() || sigma <= 0.0 {
        return Err(Error::invalid(
            "field comparison",
            "the real maps are constant: nothing to compare against",
        ));
    }

    stage("map means and variances");
    let ((gm, gv), (rm, rv)) = (map_moments(generated), map_moments(real));
    let map_means = compare_values(&gm, &rm, "map means");
    let map_variances = compare_values(&gv, &rv, "map variances");

    stage("peaks");
    let mut heights: Vec<f64> = real
        .outer_iter()
        .flat_map(|m| peak_heights(m.mapv(f64::from).view()))
        .map(|v| (v - mu) / sigma)
        .collect();
    heights.sort_unstable_by(f64::total_cmp);
    let peak_inner = if heights.is_empty() {
        vec![0.0]
    } else {
        let (lo, hi) = (quantile(&heights, 0.01), quantile(&heights, 0.99));
        linspace(lo, hi, opts.peak_bins.max(2) - 1)
    };
    let peaks = compare_peaks(generated, real, mu, sigma, &peak_inner);

    let nu = linspace(
        (quantile(&pixels, 0.01) - mu) / sigma,
        (quantile(&pixels, 0.995) - mu) / sigma,
        opts.thresholds.max(2),
    );
    stage("Minkowski functionals");
    let minkowski = compare_minkowski(generated, real, mu, sigma, &nu);
    stage("clusters");
    let clusters = compare_clusters(generated, real, mu, sigma, &nu);

    stage("memorisation");
    let memorisation = match train {
        Some(t) => memorisation(generated, t, Some(real)),
        None => memorisation(generated, real, None),
    };

    let verdicts: Vec<NamedVerdict> = [
        ("power_ratio", &power_ratio.ratio_verdict),
        ("scatter_ratio", &power_ratio.scatter_verdict),
        ("pixel_pdf", &pixel_pdf.verdict),
        ("map_means", &map_means.verdict),
        ("map_variances", &map_variances.verdict),
        ("peaks", &peaks.verdict),
        ("minkowski", &minkowski.verdict),
        ("clusters", &clusters.verdict),
        ("memorisation", &memorisation.verdict),
    ]
    .into_iter()
    .map(|(name, v)| NamedVerdict {
        statistic: name.to_string(),
        verdict: v.clone(),
    })
    .collect();
    Ok(FieldComparison {
        real_maps: r.0,
        generated_maps: g.0,
        size: r.1,
        box_size,
        pixel_mean: mu,
        pixel_sigma: sigma,
        pass: verdicts.iter().all(|v| v.verdict.pass),
        verdicts,
        power_spectrum: spectra,
        power_ratio,
        pixel_pdf,
        map_means,
        map_variances,
        peaks,
        minkowski,
        clusters,
        memorisation,
    })
}
