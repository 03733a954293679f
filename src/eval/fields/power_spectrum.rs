//! The isotropic 2-D power spectrum of a periodic map, in the convention of Pylians'
//! `Pk_plane` (science.md §6), so that numbers compare with the literature's:
//!
//! - bins of width k_F = 2π/L: mode k goes to bin ⌊|k|/k_F⌋; bin 0 (the DC mode alone) is
//!   dropped;
//! - each independent mode once: the half plane that a real FFT keeps (k_x ≥ 0), and on its
//!   self-conjugate lines k_x = 0 and (N even) k_x = N/2 only k_y ≥ 0 (Pylians' "ky" is our
//!   k_x: the axis the real FFT halves);
//! - P = mean over the bin of |δ̂_k|² (L/N²)², k = mean |k| over the same modes; no
//!   mass-assignment deconvolution (the fields here live on the grid).
//!
//! With δ̂ the unnormalised FFT, ⟨|δ̂_k|²⟩ (L/N²)² = P(k) for a field drawn by
//! `data::grf`, and a bin of M modes estimates the mean of P over its modes with relative
//! standard deviation 1/√M (each |δ̂_k|² is exponential).

use crate::data::fourier::{Fft2, Grid};
use crate::error::{Error, Result};
use ndarray::{Array2, ArrayView2};
use realfft::num_complex::Complex64;

/// One spectrum: per bin, the mean |k| (h/Mpc), the power ((Mpc/h)² for a 2-D field) and the
/// number of independent modes.
#[derive(Clone, Debug, PartialEq)]
pub struct PowerSpectrum {
    pub k: Vec<f64>,
    pub power: Vec<f64>,
    pub modes: Vec<usize>,
}

/// Which bin each half-plane mode of a grid falls in (`Pk_plane` rules), computed once per grid.
#[derive(Clone, Debug)]
pub struct PlaneBins {
    grid: Grid,
    /// Bin of entry (iy, ix) of the half plane, or `SKIP` (DC, or the conjugate of a mode
    /// already counted).
    bin: Array2<u32>,
    /// Modes and mean |k| per bin (bins 1, 2, … as indices 0, 1, …; empty bins removed).
    modes: Vec<usize>,
    k_mean: Vec<f64>,
}

const SKIP: u32 = u32::MAX;

/// ⌊√m⌋ for an integer m, exactly.
fn isqrt(m: u64) -> u64 {
    let mut r = (m as f64).sqrt() as u64;
    while r * r > m {
        r -= 1;
    }
    while (r + 1) * (r + 1) <= m {
        r += 1;
    }
    r
}

impl PlaneBins {
    pub fn new(grid: Grid) -> Self {
        let n = grid.n;
        let mut raw = Array2::from_elem((n, grid.half()), SKIP);
        let nbins = isqrt(2 * (n as u64 / 2).pow(2)) as usize; // the largest ⌊|k|/k_F⌋
        let mut modes = vec![0usize; nbins + 1];
        let mut k_sum = vec![0.0; nbins + 1];
        for ((iy, ix), b) in raw.indexed_iter_mut() {
            let fy = grid.freq(iy);
            let self_conjugate_line = grid.multiplicity(ix) == 1;
            if (iy == 0 && ix == 0) || (self_conjugate_line && fy < 0) {
                continue;
            }
            let m = (fy * fy) as u64 + (ix * ix) as u64;
            let i = isqrt(m) as usize;
            *b = i as u32;
            modes[i] += 1;
            k_sum[i] += grid.k_mag(iy, ix);
        }
        // Renumber the non-empty bins ≥ 1 as 0, 1, …
        let mut index = vec![SKIP; nbins + 1];
        let (mut kept_modes, mut k_mean) = (vec![], vec![]);
        for i in 1..=nbins {
            if modes[i] > 0 {
                index[i] = kept_modes.len() as u32;
                kept_modes.push(modes[i]);
                k_mean.push(k_sum[i] / modes[i] as f64);
            }
        }
        let bin = raw.mapv(|b| if b == SKIP { SKIP } else { index[b as usize] });
        PlaneBins {
            grid,
            bin,
            modes: kept_modes,
            k_mean,
        }
    }

    pub fn grid(&self) -> Grid {
        self.grid
    }

    /// Mean |k| of each bin.
    pub fn k(&self) -> &[f64] {
        &self.k_mean
    }

    /// Independent modes in each bin.
    pub fn modes(&self) -> &[usize] {
        &self.modes
    }

    /// The mean of f(|k|) over each bin's modes: the expectation of the estimator for a field
    /// of spectrum f (not f at the bin's mean k, which differs where f curves).
    pub fn bin_average(&self, f: impl Fn(f64) -> f64) -> Vec<f64> {
        let mut sum = vec![0.0; self.modes.len()];
        for ((iy, ix), &b) in self.bin.indexed_iter() {
            if b != SKIP {
                sum[b as usize] += f(self.grid.k_mag(iy, ix));
            }
        }
        sum.iter().zip(&self.modes).map(|(s, &m)| s / m as f64).collect()
    }

    /// The spectrum of a field from its half-plane transform (unnormalised, as `Fft2::forward`).
    pub fn estimate(&self, modes: &Array2<Complex64>) -> Result<PowerSpectrum> {
        if modes.shape() != self.bin.shape() {
            return Err(Error::shape(
                "power_spectrum",
                modes.shape(),
                self.bin.shape(),
                "the transform is of another grid size",
            ));
        }
        let n2 = (self.grid.n * self.grid.n) as f64;
        let norm = (self.grid.box_size / n2).powi(2);
        let mut sum = vec![0.0; self.modes.len()];
        for (&b, m) in self.bin.iter().zip(modes.iter()) {
            if b != SKIP {
                sum[b as usize] += m.norm_sqr();
            }
        }
        Ok(PowerSpectrum {
            k: self.k_mean.clone(),
            power: sum.iter().zip(&self.modes).map(|(s, &m)| s / m as f64 * norm).collect(),
            modes: self.modes.clone(),
        })
    }
}

/// The isotropic power spectrum of a square periodic map of side `box_size` (h⁻¹Mpc).
/// To measure many maps of one size, build [`PlaneBins`] and [`Fft2`] once instead.
pub fn power_spectrum(field: ArrayView2<f64>, box_size: f64) -> Result<PowerSpectrum> {
    let (ny, nx) = field.dim();
    if ny != nx {
        return Err(Error::invalid("power_spectrum", format!("the map must be square, got {ny}×{nx}")));
    }
    let grid = Grid::new(nx, box_size)?;
    let modes = Fft2::new(&grid).forward(field)?;
    PlaneBins::new(grid).estimate(&modes)
}
