//! Per-bin statistics over a set of maps, and how two sets are compared bin by bin.
//!
//! Every binned statistic of the suite (P(k), the pixel PDF, peak counts, Minkowski
//! functionals, cluster counts) is measured map by map; a set's value in a bin is the mean over
//! its maps and its uncertainty the standard error from the map-to-map scatter. Maps are
//! independent, pixels are not, so this is the error that is honest about correlations within
//! a map. Two sets differ in a bin by z = (g − r)/√(se_g² + se_r²) standard errors.

use serde::Serialize;

/// The statistic a comparison fails on: any bin more than this many standard errors away.
/// For independent bins with normal errors, one bin passes with probability 1 − 6·10⁻⁵, a
/// statistic of 75 bins (the Minkowski functionals) with probability 0.995.
pub const Z_MAX: f64 = 4.0;

/// Mean, standard deviation and the standard error of the standard deviation of each bin over
/// a set of maps.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BinStats {
    pub mean: Vec<f64>,
    /// Map-to-map standard deviation (n − 1 in the denominator).
    pub sd: Vec<f64>,
    /// Standard error of `sd`, ½ sd √((κ − 1)/n) with κ the sample kurtosis: the delta
    /// method for s² = var, exact to O(1/n) for any distribution with a fourth moment.
    pub sd_se: Vec<f64>,
    pub maps: usize,
}

impl BinStats {
    /// From one row per map (all rows the same length). Needs at least two maps for a scatter.
    pub fn from_rows(rows: &[Vec<f64>]) -> Self {
        let n = rows.len();
        let bins = rows.first().map_or(0, Vec::len);
        let nf = n as f64;
        let mut mean = vec![0.0; bins];
        for r in rows {
            debug_assert_eq!(r.len(), bins, "rows of one length");
            mean.iter_mut().zip(r).for_each(|(m, v)| *m += v / nf);
        }
        let (mut m2, mut m4) = (vec![0.0; bins], vec![0.0; bins]);
        for r in rows {
            for (i, v) in r.iter().enumerate() {
                let d = v - mean[i];
                m2[i] += d * d / nf;
                m4[i] += d * d * d * d / nf;
            }
        }
        let dof = (nf - 1.0).max(1.0);
        let sd: Vec<f64> = m2.iter().map(|v| (v * nf / dof).sqrt()).collect();
        let sd_se = (0..bins)
            .map(|i| {
                let kurt = if m2[i] > 0.0 { m4[i] / (m2[i] * m2[i]) } else { 1.0 };
                0.5 * sd[i] * ((kurt - 1.0).max(0.0) / nf).sqrt()
            })
            .collect();
        BinStats { mean, sd, sd_se, maps: n }
    }

    /// Standard error of the mean of bin i.
    pub fn se(&self, i: usize) -> f64 {
        self.sd[i] / (self.maps as f64).sqrt()
    }

    pub fn len(&self) -> usize {
        self.mean.len()
    }

    pub fn is_empty(&self) -> bool {
        self.mean.is_empty()
    }
}

/// z = (a − b)/√(se_a² + se_b²): 0 where both are exactly equal with no scatter (a bin no map
/// reaches), ±∞ where they differ with no scatter.
pub fn z_score(a: f64, se_a: f64, b: f64, se_b: f64) -> f64 {
    let se = (se_a * se_a + se_b * se_b).sqrt();
    let d = a - b;
    if se > 0.0 {
        d / se
    } else if d == 0.0 {
        0.0
    } else {
        d.signum() * f64::INFINITY
    }
}

/// z of every bin of the means of two sets.
pub fn mean_z_scores(generated: &BinStats, real: &BinStats) -> Vec<f64> {
    (0..generated.len())
        .map(|i| z_score(generated.mean[i], generated.se(i), real.mean[i], real.se(i)))
        .collect()
}

/// The largest |z| (0 for no bins); NaN counts as infinite.
pub fn max_abs(z: &[f64]) -> f64 {
    z.iter()
        .map(|v| if v.is_nan() { f64::INFINITY } else { v.abs() })
        .fold(0.0, f64::max)
}

/// A pass/fail judgement with the number it rests on and the rule, as it appears in the JSON.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    pub pass: bool,
    /// The number judged (a largest |z|, a p-value, a fraction).
    pub value: f64,
    pub criterion: String,
}

impl Verdict {
    /// Passes when `value ≤ limit`.
    pub fn at_most(value: f64, limit: f64, criterion: impl Into<String>) -> Self {
        Verdict {
            pass: value <= limit,
            value,
            criterion: criterion.into(),
        }
    }
    /// Passes when `value > limit`.
    pub fn above(value: f64, limit: f64, criterion: impl Into<String>) -> Self {
        Verdict {
            pass: value > limit,
            value,
            criterion: criterion.into(),
        }
    }
    /// The bin-by-bin rule: every |z| ≤ [`Z_MAX`].
    pub fn bins(z: &[f64], what: &str) -> Self {
        Verdict::at_most(
            max_abs(z),
            Z_MAX,
            format!("every {what} within {Z_MAX} standard errors (largest |z|)"),
        )
    }
}
