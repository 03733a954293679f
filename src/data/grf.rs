//! Gaussian random fields on a periodic N×N grid with a given 2-D power spectrum
//! (science.md §4): draw real white noise w, take its unnormalised FFT ŵ, multiply each mode by
//! √(P(|k|) N²/L²) with the DC mode set to zero, and transform back (÷ N²). Then
//! ⟨|δ̂_k|²⟩ = P(|k|) N⁴/L², the estimator of `eval::fields::power_spectrum` returns P on
//! average, and the pixel variance is Σ_{k≠0} P(|k|)/L².
//!
//! Starting from real white noise (rather than drawing complex modes) makes the Hermitian
//! symmetry of a real field, including its self-conjugate modes, hold by construction.

use crate::data::fourier::{Fft2, Grid};
use crate::error::{Error, Result};
use ndarray::{Array2, ArrayView2};
use rand::rngs::Xoshiro256PlusPlus;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

/// A seed for sub-stream `index` of `seed` (SplitMix64's finaliser of a combination of both),
/// so that map i of a data set has its own seed whatever order maps are generated in.
pub fn substream(seed: u64, index: u64) -> u64 {
    let mut z = seed ^ index.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// N×N independent standard normal numbers from the seed (xoshiro256++, a fixed algorithm, and
/// rand_distr's ziggurat normal), in row-major order.
pub fn white_noise(n: usize, seed: u64) -> Array2<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    Array2::from_shape_simple_fn((n, n), || StandardNormal.sample(&mut rng))
}

/// A sampler for one grid and one spectrum: the mode amplitudes √(P N²/L²) are computed once,
/// so drawing many maps of one spectrum costs two FFTs each. `Sync`: share it across threads.
#[derive(Clone)]
pub struct GaussianField {
    grid: Grid,
    fft: Fft2,
    /// √(P(|k|) N²/L²) on the half plane, 0 at k = 0.
    amplitude: Array2<f64>,
}

impl GaussianField {
    /// `spectrum` gives P_2D(k) in (Mpc/h)² for k in h/Mpc; it must be finite and ≥ 0 at every
    /// |k| of the grid.
    pub fn new(grid: Grid, spectrum: impl Fn(f64) -> f64) -> Result<Self> {
        let mut power = Array2::zeros((grid.n, grid.half()));
        for ((iy, ix), p) in power.indexed_iter_mut() {
            if iy != 0 || ix != 0 {
                *p = spectrum(grid.k_mag(iy, ix));
            }
        }
        Self::from_mode_power(grid, power.view())
    }

    /// A field whose power is given mode by mode rather than as a function of |k|: `power` is
    /// P(k) in (Mpc/h)² on the half plane N × (N/2 + 1) of `Fft2` (row k_y, column k_x). The
    /// DC entry is the power of the map mean (its variance is P(0)/L²; 0 gives zero-mean maps,
    /// as `new` does). What the lognormal simulator needs, whose Gaussian spectrum is the
    /// transform of ln(1 + ξ) on the grid, not exactly isotropic, with a slab-mean DC term.
    pub fn from_mode_power(grid: Grid, power: ArrayView2<f64>) -> Result<Self> {
        let want = [grid.n, grid.half()];
        if power.shape() != want {
            return Err(Error::shape(
                "gaussian field",
                power.shape(),
                &want,
                "mode powers are the N × (N/2 + 1) half plane",
            ));
        }
        let (n, l) = (grid.n as f64, grid.box_size);
        let mut amplitude = Array2::zeros((grid.n, grid.half()));
        for ((iy, ix), a) in amplitude.indexed_iter_mut() {
            let p = power[[iy, ix]];
            if !(p >= 0.0 && p.is_finite()) {
                let k = grid.k_mag(iy, ix);
                return Err(Error::invalid(
                    "gaussian field",
                    format!("the power spectrum must be finite and non-negative; P({k}) = {p}"),
                ));
            }
            *a = (p * n * n / (l * l)).sqrt();
        }
        Ok(GaussianField {
            grid,
            fft: Fft2::new(&grid),
            amplitude,
        })
    }

    pub fn grid(&self) -> Grid {
        self.grid
    }

    /// One realisation, a function of the seed alone.
    pub fn sample(&self, seed: u64) -> Array2<f64> {
        let w = white_noise(self.grid.n, seed);
        let mut modes = self.fft.forward(w.view()).expect("the grid's own size");
        modes.zip_mut_with(&self.amplitude, |m, &a| *m *= a);
        self.fft.inverse(modes).expect("the grid's own size")
    }
}

/// One Gaussian random field of the given spectrum (see [`GaussianField`] to draw many).
pub fn gaussian_random_field(grid: Grid, spectrum: impl Fn(f64) -> f64, seed: u64) -> Result<Array2<f64>> {
    Ok(GaussianField::new(grid, spectrum)?.sample(seed))
}
