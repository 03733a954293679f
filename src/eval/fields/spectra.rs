//! The power spectra of a set of maps, and the comparison of two sets through them:
//! R(k) = ⟨P_gen⟩/⟨P_real⟩ with its band, and the scatter ratio σ_gen(k)/σ_real(k), where
//! σ(k) is the map-to-map standard deviation of P̂(k) (cosmic variance; ≪ 1 when a generator
//! has collapsed onto a few outputs).

use super::ensemble::{max_abs, BinStats, Verdict, Z_MAX};
use super::power_spectrum::PlaneBins;
use crate::data::fourier::{Fft2, Grid};
use crate::error::{Error, Result};
use ndarray::{ArrayView3, Axis};
use rayon::prelude::*;
use serde::Serialize;

/// P̂(k) of every map of a set: per bin the mean, the scatter and its error.
#[derive(Clone, Debug, Serialize)]
pub struct SetSpectrum {
    /// Mean |k| per bin, h/Mpc.
    pub k: Vec<f64>,
    pub modes: Vec<usize>,
    pub power: BinStats,
}

/// The spectra of every map (N × H × W, square, side `box_size` h⁻¹Mpc), in parallel.
pub fn set_spectrum(maps: ArrayView3<f32>, box_size: f64) -> Result<SetSpectrum> {
    let rows = map_spectra(maps, box_size)?;
    let bins = PlaneBins::new(Grid::new(maps.dim().1, box_size)?);
    Ok(SetSpectrum {
        k: bins.k().to_vec(),
        modes: bins.modes().to_vec(),
        power: BinStats::from_rows(&rows),
    })
}

/// P̂(k) of each map, one row per map.
pub fn map_spectra(maps: ArrayView3<f32>, box_size: f64) -> Result<Vec<Vec<f64>>> {
    let (_, h, w) = maps.dim();
    if h != w {
        return Err(Error::invalid("power spectrum", format!("maps must be square, got {h}×{w}")));
    }
    let grid = Grid::new(h, box_size)?;
    let (bins, fft) = (PlaneBins::new(grid), Fft2::new(&grid));
    (0..maps.len_of(Axis(0)))
        .into_par_iter()
        .map(|i| maps.index_axis(Axis(0), i))
        .map(|m| Ok(bins.estimate(&fft.forward(m.mapv(f64::from).view())?)?.power))
        .collect()
}

/// R(k) and the scatter ratio of a generated set against a real one.
#[derive(Clone, Debug, Serialize)]
pub struct PowerComparison {
    pub k: Vec<f64>,
    /// The comparison covers bins with k ≤ k_max (h/Mpc).
    pub k_max: f64,
    /// ⟨P_gen⟩/⟨P_real⟩ per bin.
    pub ratio: Vec<f64>,
    /// Its standard error, R √((se_g/P_g)² + (se_r/P_r)²): the band.
    pub ratio_se: Vec<f64>,
    /// σ_gen(k)/σ_real(k).
    pub scatter_ratio: Vec<f64>,
    pub scatter_ratio_se: Vec<f64>,
    /// Largest |R − 1| and the range of the scatter ratio for k ≤ k_max.
    pub max_ratio_deviation: f64,
    pub scatter_ratio_range: (f64, f64),
    /// R(k) within Z_MAX standard errors of 1 for k ≤ k_max.
    pub ratio_verdict: Verdict,
    /// The scatter ratio within Z_MAX standard errors of 1 for k ≤ k_max.
    pub scatter_verdict: Verdict,
}

/// Compares two set spectra over the bins with k ≤ `k_max` (both sets of one grid).
pub fn compare_spectra(generated: &SetSpectrum, real: &SetSpectrum, k_max: f64) -> Result<PowerComparison> {
    if generated.k != real.k {
        return Err(Error::invalid(
            "power spectrum comparison",
            "the two sets' spectra have different bins (different map sizes or box sizes)",
        ));
    }
    let (g, r) = (&generated.power, &real.power);
    let bins = g.len();
    let mut out = PowerComparison {
        k: real.k.clone(),
        k_max,
        ratio: vec![0.0; bins],
        ratio_se: vec![0.0; bins],
        scatter_ratio: vec![0.0; bins],
        scatter_ratio_se: vec![0.0; bins],
        max_ratio_deviation: 0.0,
        scatter_ratio_range: (f64::INFINITY, f64::NEG_INFINITY),
        ratio_verdict: Verdict::at_most(0.0, 0.0, ""),
        scatter_verdict: Verdict::at_most(0.0, 0.0, ""),
    };
    let (mut z_ratio, mut z_scatter) = (vec![], vec![]);
    for i in 0..bins {
        let ratio = g.mean[i] / r.mean[i];
        let ratio_se = ratio * ((g.se(i) / g.mean[i]).powi(2) + (r.se(i) / r.mean[i]).powi(2)).sqrt();
        let scatter = g.sd[i] / r.sd[i];
        let scatter_se = scatter * ((g.sd_se[i] / g.sd[i]).powi(2) + (r.sd_se[i] / r.sd[i]).powi(2)).sqrt();
        out.ratio[i] = ratio;
        out.ratio_se[i] = ratio_se;
        out.scatter_ratio[i] = scatter;
        out.scatter_ratio_se[i] = scatter_se;
        if real.k[i] <= k_max {
            out.max_ratio_deviation = out.max_ratio_deviation.max((ratio - 1.0).abs());
            out.scatter_ratio_range = (out.scatter_ratio_range.0.min(scatter), out.scatter_ratio_range.1.max(scatter));
            z_ratio.push((ratio - 1.0) / ratio_se);
            z_scatter.push((scatter - 1.0) / scatter_se);
        }
    }
    out.ratio_verdict = Verdict::at_most(
        max_abs(&z_ratio),
        Z_MAX,
        format!("|R(k) − 1| within {Z_MAX} standard errors for k ≤ {k_max:.4} h/Mpc (largest |z|)"),
    );
    out.scatter_verdict = Verdict::at_most(
        max_abs(&z_scatter),
        Z_MAX,
        format!("|σ_gen/σ_real − 1| within {Z_MAX} standard errors for k ≤ {k_max:.4} h/Mpc (largest |z|)"),
    );
    Ok(out)
}
