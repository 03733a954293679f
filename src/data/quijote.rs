//! Quijote-like density slices: lognormal 2-D fields whose power spectrum is the linear matter
//! spectrum of the Quijote fiducial cosmology, projected through a one-voxel slab
//! (science.md §4; the derivation is `notes/quijote_sim.md`).
//!
//! The construction, on the N×N periodic grid itself (so every identity below is exact on the
//! grid, not only in the continuum):
//!
//! 1. the target P(k) = P_2D(|k|) at every grid mode, and its correlation function on the grid
//!    lags, ξ(r) = (1/L²) Σ_k P(k) e^{ik·r}. The DC term P_2D(0) is the slab's own mean: a slice
//!    of a 3-D box has modes k_⊥ = 0, k_z ≠ 0, so its mean δ scatters from map to map with
//!    variance P_2D(0)/L² (σ ≈ 0.023 at the defaults);
//! 2. ξ_G(r) = ln(1 + ξ(r)), whose lag sum is the Gaussian field's DC power and must be ≥ 0. If
//!    it is not (a weak DC target), a constant d > 0 is added to ξ, the smallest that makes the
//!    sum zero: the power at every k ≠ 0 stays the target, only the map-mean variance grows by d;
//! 3. P_G = the transform of ξ_G; the modes a lognormal cannot reach (negative P_G) are set to
//!    zero (the power moved is recorded, `clipped_power`; none at the defaults);
//! 4. g drawn with mode powers P_G, and 1 + δ = e^g / ⟨e^g⟩ = exp(g − σ_G²/2), with
//!    σ_G² = ⟨g²⟩ = Σ_k P_G(k)/L²: δ > −1 always and ⟨δ⟩ = 0 over the ensemble.
//!
//! `realised_power` is the exact expectation of the estimator for what step 3 leaves, so the
//! simulator states how far from the target it is before any map is drawn.

use crate::data::fourier::{Fft2, Grid};
use crate::data::grf::{substream, GaussianField};
use crate::data::spectrum::{slab_projection, Cosmology, LinearPower, LogTable};
use crate::error::{Error, Result};
use ndarray::{Array2, Array3, Axis};
use rayon::prelude::*;
use realfft::num_complex::Complex64;
use serde::{Deserialize, Serialize};

/// What a Quijote-like data set is: its grid, slab and cosmology.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuijoteSettings {
    /// Pixels a side.
    pub size: usize,
    /// Side of the (periodic) box, h⁻¹Mpc.
    pub box_size: f64,
    /// Thickness of the slab each map averages, h⁻¹Mpc.
    pub slab: f64,
    pub cosmology: QuijoteCosmology,
}

/// The cosmological parameters, serialisable (a mirror of [`Cosmology`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuijoteCosmology {
    pub omega_m: f64,
    pub omega_b: f64,
    pub h: f64,
    pub n_s: f64,
    pub sigma_8: f64,
}

impl From<Cosmology> for QuijoteCosmology {
    fn from(c: Cosmology) -> Self {
        QuijoteCosmology {
            omega_m: c.omega_m,
            omega_b: c.omega_b,
            h: c.h,
            n_s: c.n_s,
            sigma_8: c.sigma_8,
        }
    }
}

impl From<QuijoteCosmology> for Cosmology {
    fn from(c: QuijoteCosmology) -> Self {
        Cosmology {
            omega_m: c.omega_m,
            omega_b: c.omega_b,
            h: c.h,
            n_s: c.n_s,
            sigma_8: c.sigma_8,
        }
    }
}

impl Default for QuijoteSettings {
    /// The Quijote fiducial set-up: L = 1000 h⁻¹Mpc, 64² pixels, a one-voxel slab of
    /// 1000/64 = 15.625 h⁻¹Mpc, Ω_m 0.3175, Ω_b 0.049, h 0.6711, n_s 0.9624, σ_8 0.834.
    fn default() -> Self {
        QuijoteSettings {
            size: 64,
            box_size: 1000.0,
            slab: 1000.0 / 64.0,
            cosmology: Cosmology::quijote().into(),
        }
    }
}

impl QuijoteSettings {
    /// The default set-up at another size, the slab still one voxel (L/N) thick.
    pub fn with_size(size: usize) -> Self {
        let d = QuijoteSettings::default();
        QuijoteSettings {
            size,
            slab: d.box_size / size as f64,
            ..d
        }
    }
}

/// A sampler of lognormal slices for one set of settings (all the spectra computed once).
#[derive(Clone)]
pub struct LognormalSlices {
    settings: QuijoteSettings,
    grid: Grid,
    target: LogTable,
    gaussian: GaussianField,
    /// σ_G² = ⟨g²⟩.
    gaussian_variance: f64,
    /// P_2D(0), the target's DC term.
    target_dc: f64,
    /// Σ|negative P_G| / Σ positive P_G, over the full plane.
    clipped_power: f64,
    /// The exact ⟨|δ̂_k|²⟩ (L/N²)² of the drawn field on the half plane (DC included: L² d).
    realised: Array2<f64>,
}

impl LognormalSlices {
    pub fn new(settings: QuijoteSettings) -> Result<Self> {
        if settings.size < 4 || !(settings.slab > 0.0 && settings.slab.is_finite()) {
            return Err(Error::invalid(
                "quijote",
                format!(
                    "need at least 4 pixels a side and a positive slab thickness, got {} and {}",
                    settings.size, settings.slab
                ),
            ));
        }
        let grid = Grid::new(settings.size, settings.box_size)?;
        let (n, l) = (grid.n, grid.box_size);
        let lin = LinearPower::new(settings.cosmology.into())?;
        // The table spans every |k| of the grid, from k_F to the corner √2 k_Nyq.
        let target = LogTable::new(
            |k| slab_projection(|q| lin.power(q), k, settings.slab),
            0.9 * grid.k_fundamental(),
            1.5 * grid.k_nyquist(),
            64,
        )?;
        let target_dc = slab_projection(|q| lin.power(q), 0.0, settings.slab);
        let fft = Fft2::new(&grid);
        let scale = (n * n) as f64 / (l * l); // ξ = inverse(P) N²/L²; P = forward(ξ) L²/N²

        // 1. The target on the grid and its correlation function.
        let mut modes = Array2::<Complex64>::zeros((n, grid.half()));
        for ((iy, ix), m) in modes.indexed_iter_mut() {
            let k = grid.k_mag(iy, ix);
            *m = Complex64::new(if k > 0.0 { target.eval(k) } else { target_dc }, 0.0);
        }
        let xi = fft.inverse(modes)? * scale;
        let xi_min = xi.iter().cloned().fold(f64::INFINITY, f64::min);
        if xi_min <= -1.0 {
            return Err(Error::invalid(
                "quijote",
                format!("the target correlation function reaches {xi_min} ≤ −1: no lognormal field has this spectrum"),
            ));
        }
        // 2. The Gaussian correlation, offset by d only if its lag sum would be negative.
        let sum: f64 = xi.iter().map(|v| v.ln_1p()).sum();
        let d = if sum >= 0.0 { 0.0 } else { solve_offset(&xi)? };
        let xi_g = xi.mapv(|v| (1.0 + v + d).ln());
        // 3. The Gaussian spectrum, negative modes clipped.
        let mut p_g = fft.forward(xi_g.view())?.mapv(|c| c.re / scale);
        let (mut negative, mut positive) = (0.0, 0.0);
        for ((_, ix), p) in p_g.indexed_iter_mut() {
            let w = grid.multiplicity(ix) as f64;
            if *p < 0.0 {
                negative -= w * *p;
                *p = 0.0;
            } else {
                positive += w * *p;
            }
        }
        let gaussian_variance = positive / (l * l);
        // What the clipped spectrum realises: ξ_real = exp(ξ_G') − 1, ξ_G' its correlation.
        let xi_g_real = fft.inverse(p_g.mapv(|p| Complex64::new(p, 0.0)))? * scale;
        let xi_real = xi_g_real.mapv(|v| v.exp() - 1.0);
        let realised = fft.forward(xi_real.view())?.mapv(|c| c.re / scale);
        let gaussian = GaussianField::from_mode_power(grid, p_g.view())?;
        Ok(LognormalSlices {
            settings,
            grid,
            target,
            gaussian,
            gaussian_variance,
            target_dc,
            clipped_power: negative / positive,
            realised,
        })
    }

    pub fn settings(&self) -> QuijoteSettings {
        self.settings
    }

    pub fn grid(&self) -> Grid {
        self.grid
    }

    /// The target P_2D(k), (Mpc/h)², k in h/Mpc: the slab-projected linear spectrum
    /// (P_2D(0) at k = 0).
    pub fn target_power(&self, k: f64) -> f64 {
        if k > 0.0 {
            self.target.eval(k)
        } else {
            self.target_dc
        }
    }

    /// σ_G², the variance of the Gaussian field g.
    pub fn gaussian_variance(&self) -> f64 {
        self.gaussian_variance
    }

    /// The expected variance of a map's mean δ, the realised DC power / L² (the target
    /// P_2D(0)/L², plus d if step 2 needed it).
    pub fn mean_variance(&self) -> f64 {
        self.realised[[0, 0]] / (self.grid.box_size * self.grid.box_size)
    }

    /// The fraction of the Gaussian power that was negative and set to zero.
    pub fn clipped_power(&self) -> f64 {
        self.clipped_power
    }

    /// The exact expected pixel variance of δ, ⟨δ²⟩ = e^{σ_G²} − 1.
    pub fn pixel_variance(&self) -> f64 {
        self.gaussian_variance.exp_m1()
    }

    /// The exact expected power of the drawn field at every half-plane mode (row k_y, column
    /// k_x; DC entry L² d), (Mpc/h)².
    pub fn realised_power(&self) -> &Array2<f64> {
        &self.realised
    }

    /// The largest |realised/target − 1| over the modes with 0 < |k| ≤ k_max: how far the
    /// clipping of step 3 moves the expected spectrum from the target.
    pub fn max_realised_deviation(&self, k_max: f64) -> f64 {
        let mut worst = 0.0f64;
        for ((iy, ix), &p) in self.realised.indexed_iter() {
            let k = self.grid.k_mag(iy, ix);
            if k > 0.0 && k <= k_max {
                worst = worst.max((p / self.target.eval(k) - 1.0).abs());
            }
        }
        worst
    }

    /// One map of δ, a function of the seed alone.
    pub fn sample(&self, seed: u64) -> Array2<f64> {
        let half = self.gaussian_variance / 2.0;
        self.gaussian.sample(seed).mapv(|g| (g - half).exp_m1())
    }

    /// `count` maps of δ as `<f4`, map i drawn from sub-seed i of `seed` (so a set is the
    /// same whatever the thread count, and its first maps do not depend on `count`).
    /// `progress` is called once per finished map.
    pub fn simulate(&self, count: usize, seed: u64, progress: impl Fn() + Sync) -> Array3<f32> {
        let n = self.grid.n;
        let maps: Vec<Array2<f64>> = (0..count)
            .into_par_iter()
            .map(|i| {
                let map = self.sample(substream(seed, i as u64));
                progress();
                map
            })
            .collect();
        let mut out = Array3::<f32>::zeros((count, n, n));
        for (mut dst, map) in out.axis_iter_mut(Axis(0)).zip(&maps) {
            dst.zip_mut_with(map, |d, &v| *d = v as f32);
        }
        out
    }
}

/// The d ≥ 0 with Σ_r ln(1 + ξ(r) + d) = 0 when the sum is negative at d = 0, by Newton's
/// method from d = 0 (the sum is concave and increasing in d, so Newton climbs monotonically
/// to the root).
fn solve_offset(xi: &Array2<f64>) -> Result<f64> {
    let mut d: f64 = 0.0;
    for _ in 0..100 {
        let (f, df) = xi
            .iter()
            .fold((0.0, 0.0), |(f, df), &v| (f + (1.0 + v + d).ln(), df + 1.0 / (1.0 + v + d)));
        let step = f / df;
        d -= step;
        // Converged when the step is at the level of the rounding of the sum (~1e-16 per term).
        if step.abs() <= 1e-12 * d.abs() + 1e-15 {
            return Ok(d.max(0.0));
        }
    }
    Err(Error::Other(
        "quijote: the mean offset of the lognormal correlation did not converge".into(),
    ))
}
