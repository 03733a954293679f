//! The Fisher matrix of a Gaussian random field and the Cramér–Rao bound (science.md §5).
//!
//! For a map whose Fourier modes k ≠ 0 are independent zero-mean Gaussians of variance
//! ∝ P(|k|; θ), and whose mean is m(θ) + ε with ε ~ N(0, V(θ)),
//!
//! F_ij = ½ Σ_{all N² grid modes k ≠ 0} ∂_i ln P ∂_j ln P + ∂_i m ∂_j m / V + ½ ∂_i ln V ∂_j ln V,
//!
//! (each real degree of freedom x of variance v contributes ½ ∂ln v ∂ln v; a mode and its
//! conjugate are two of them, a self-conjugate mode one). Derivatives are central differences
//! in whatever coordinates the caller's model takes (the CMD bound uses ln A for the A's).
//! σ_i ≥ √((F⁻¹)_ii) for any unbiased estimator from one map; M independent maps add their F.

use crate::data::fourier::Grid;
use crate::data::params::{self, NAMES, N_PARAMS};
use crate::data::synthetic::cmd_model::CmdModel;
use crate::error::{Error, Result};
use ndarray::Array2;

/// What the Fisher matrix needs of a model at one parameter point: the Fourier variance P(k)
/// and, if the map mean carries information, its expectation and variance.
pub struct FieldModel<P> {
    pub power: P,
    /// (m, V): the map mean is m + ε, ε ~ N(0, V). `None`: the mean is not modelled.
    pub mean: Option<(f64, f64)>,
}

type LogSpectrumAndMean = (Vec<f64>, Option<(f64, f64)>);

/// The per-map Fisher matrix of a Gaussian-field model at `at`, by central differences with
/// the given step in each coordinate.
pub fn fisher_matrix<M, P>(grid: Grid, at: &[f64], steps: &[f64], model: M) -> Result<Array2<f64>>
where
    M: Fn(&[f64]) -> Result<FieldModel<P>>,
    P: Fn(f64) -> f64,
{
    let d = at.len();
    if steps.len() != d || steps.iter().any(|h| h.is_nan() || *h <= 0.0) {
        return Err(Error::invalid(
            "fisher",
            format!("need one positive step per parameter, got {steps:?}"),
        ));
    }
    // The half plane with each entry's weight: how many of the N² modes it stands for.
    let mut modes = Vec::with_capacity(grid.n * grid.half());
    for iy in 0..grid.n {
        for ix in 0..grid.half() {
            if iy + ix > 0 {
                modes.push((grid.k_mag(iy, ix), grid.multiplicity(ix) as f64));
            }
        }
    }
    let mut dlnp = vec![vec![0.0; modes.len()]; d];
    let mut dm = vec![0.0; d];
    let mut dlnv = vec![0.0; d];
    let mut has_mean = false;
    for i in 0..d {
        // ln P at every mode, and the (mean, variance) of the map mean, at u ± h e_i.
        let eval = |sign: f64| -> Result<LogSpectrumAndMean> {
            let mut u = at.to_vec();
            u[i] += sign * steps[i];
            let m = model(&u)?;
            let lnp = modes
                .iter()
                .map(|&(k, _)| {
                    let p = (m.power)(k);
                    if p > 0.0 && p.is_finite() {
                        Ok(p.ln())
                    } else {
                        Err(Error::invalid(
                            "fisher",
                            format!("P({k}) = {p} at {u:?}: the spectrum must be positive"),
                        ))
                    }
                })
                .collect::<Result<Vec<_>>>()?;
            Ok((lnp, m.mean))
        };
        let (plus, mean_plus) = eval(1.0)?;
        let (minus, mean_minus) = eval(-1.0)?;
        let h2 = 2.0 * steps[i];
        dlnp[i] = plus.iter().zip(&minus).map(|(a, b)| (a - b) / h2).collect();
        if let (Some((m1, v1)), Some((m0, v0))) = (mean_plus, mean_minus) {
            has_mean = true;
            dm[i] = (m1 - m0) / h2;
            dlnv[i] = (v1.ln() - v0.ln()) / h2;
        }
    }
    let v_at = if has_mean { model(at)?.mean.map(|(_, v)| v) } else { None };
    let mut f = Array2::zeros((d, d));
    for i in 0..d {
        for j in 0..=i {
            let mut s = 0.0;
            for (q, &(_, w)) in modes.iter().enumerate() {
                s += w * dlnp[i][q] * dlnp[j][q];
            }
            let mut fij = 0.5 * s;
            if let Some(v) = v_at {
                fij += dm[i] * dm[j] / v + 0.5 * dlnv[i] * dlnv[j];
            }
            f[[i, j]] = fij;
            f[[j, i]] = fij;
        }
    }
    Ok(f)
}

/// The inverse of a symmetric positive-definite matrix (Cholesky), or an error naming the
/// parameter at which positivity fails (a degenerate direction).
pub fn spd_inverse(a: &Array2<f64>, names: &[&str]) -> Result<Array2<f64>> {
    let n = a.nrows();
    let mut l = Array2::<f64>::zeros((n, n));
    for j in 0..n {
        let mut s = a[[j, j]];
        for k in 0..j {
            s -= l[[j, k]] * l[[j, k]];
        }
        if s.is_nan() || s <= 1e-12 * a[[j, j]].abs() {
            return Err(Error::Other(format!(
                "the Fisher matrix is singular: `{}` is degenerate with the parameters before it",
                names.get(j).copied().unwrap_or("?")
            )));
        }
        l[[j, j]] = s.sqrt();
        for i in j + 1..n {
            let mut s = a[[i, j]];
            for k in 0..j {
                s -= l[[i, k]] * l[[j, k]];
            }
            l[[i, j]] = s / l[[j, j]];
        }
    }
    // A⁻¹ = L⁻ᵀ L⁻¹: solve L X = I, then Lᵀ Y = X.
    let mut inv = Array2::<f64>::zeros((n, n));
    for c in 0..n {
        let mut x = vec![0.0; n];
        for i in 0..n {
            let mut s = if i == c { 1.0 } else { 0.0 };
            for k in 0..i {
                s -= l[[i, k]] * x[k];
            }
            x[i] = s / l[[i, i]];
        }
        for i in (0..n).rev() {
            let mut s = x[i];
            for k in i + 1..n {
                s -= l[[k, i]] * inv[[k, c]];
            }
            inv[[i, c]] = s / l[[i, i]];
        }
    }
    Ok(inv)
}

/// Finite-difference steps in the natural coordinates (Ω_m, σ_8, ln A_SN1, …): small against
/// the prior, large against rounding (the model is smooth in θ: its quadrature nodes are fixed).
pub const STEPS: [f64; N_PARAMS] = [1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3];

/// The design requirement at the fiducial point on 256² maps (science.md §4): half of each
/// prior standard deviation, in the natural coordinates.
pub const REQUIREMENT: [f64; N_PARAMS] = [0.058, 0.058, 0.40, 0.40, 0.20, 0.20];

/// The Fisher matrix of the synthetic CMD maps and the bounds it implies.
#[derive(Clone, Debug)]
pub struct CmdFisher {
    /// The parameter point (physical units).
    pub at: [f64; N_PARAMS],
    /// Map size N (pixels a side).
    pub size: usize,
    /// Side of the map, h⁻¹Mpc.
    pub box_size: f64,
    /// Coordinates of the matrix: Ω_m, σ_8, then ln A for each A.
    pub coordinates: [&'static str; N_PARAMS],
    /// F, per map.
    pub matrix: Array2<f64>,
    /// √((F⁻¹)_ii): the bound on each coordinate marginalised over the other five.
    pub crb: [f64; N_PARAMS],
    /// The bound on Ω_m and σ_8 with the four A's known.
    pub crb_astro_fixed: [f64; 2],
    /// Correlation coefficients of F⁻¹.
    pub correlation: Array2<f64>,
}

/// The coordinate names of the Fisher matrix.
pub const COORDINATES: [&str; N_PARAMS] = ["Omega_m", "sigma_8", "ln A_SN1", "ln A_AGN1", "ln A_SN2", "ln A_AGN2"];

impl CmdFisher {
    /// F at θ for n×n maps of the model, differentiated in (Ω_m, σ_8, ln A…).
    pub fn compute(model: &CmdModel, at: [f64; N_PARAMS], n: usize) -> Result<Self> {
        params::check_in_range(&at)?;
        let grid = Grid::new(n, model.box_size)?;
        let natural: Vec<f64> = (0..N_PARAMS).map(|i| params::to_natural(i, at[i])).collect();
        let matrix = fisher_matrix(grid, &natural, &STEPS, |u| {
            let mut theta = [0.0; N_PARAMS];
            for i in 0..N_PARAMS {
                theta[i] = params::from_natural(i, u[i]);
            }
            let s = model.spectrum(&theta, n)?;
            let mean = Some((s.mean, s.mean_variance));
            Ok(FieldModel {
                power: move |k| s.total(k),
                mean,
            })
        })?;
        let inv = spd_inverse(&matrix, &COORDINATES)?;
        let crb: [f64; N_PARAMS] = std::array::from_fn(|i| inv[[i, i]].sqrt());
        let cosmo = matrix.slice(ndarray::s![0..2, 0..2]).to_owned();
        let inv2 = spd_inverse(&cosmo, &COORDINATES)?;
        let correlation = Array2::from_shape_fn((N_PARAMS, N_PARAMS), |(i, j)| inv[[i, j]] / (crb[i] * crb[j]));
        Ok(CmdFisher {
            at,
            size: n,
            box_size: model.box_size,
            coordinates: COORDINATES,
            matrix,
            crb,
            crb_astro_fixed: [inv2[[0, 0]].sqrt(), inv2[[1, 1]].sqrt()],
            correlation,
        })
    }

    /// Whether every marginalised bound meets [`REQUIREMENT`] (which is stated for 256² maps
    /// at the fiducial point).
    pub fn meets_requirement(&self) -> bool {
        self.crb.iter().zip(REQUIREMENT).all(|(c, r)| *c <= r)
    }

    /// The report as JSON: `crb` keyed by the CMD names (the A's in ln A), the matrix beside.
    pub fn to_json(&self) -> serde_json::Value {
        let by_name = |v: &[f64]| -> serde_json::Map<String, serde_json::Value> {
            NAMES.iter().zip(v).map(|(n, x)| (n.to_string(), serde_json::json!(x))).collect()
        };
        let rows = |a: &Array2<f64>| -> Vec<Vec<f64>> { a.outer_iter().map(|r| r.to_vec()).collect() };
        serde_json::json!({
            "at": by_name(&self.at),
            "size": self.size,
            "box_size": self.box_size,
            "coordinates": self.coordinates,
            "note": "per-map Fisher matrix and Cramér–Rao bounds; Omega_m and sigma_8 in their units, every A in ln A",
            "fisher": rows(&self.matrix),
            "crb": by_name(&self.crb),
            "crb_astro_fixed": { "Omega_m": self.crb_astro_fixed[0], "sigma_8": self.crb_astro_fixed[1] },
            "correlation": rows(&self.correlation),
            "requirement": by_name(&REQUIREMENT),
            "requirement_applies": self.at == params::FIDUCIAL && self.size == 256,
            "meets_requirement": self.meets_requirement(),
            "prior_sd": by_name(&std::array::from_fn::<f64, N_PARAMS, _>(params::prior_sd)),
        })
    }
}
