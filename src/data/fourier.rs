//! Two-dimensional real FFTs on a periodic N×N grid of side L, and the wavenumbers of its modes.
//!
//! Conventions (those of numpy's `rfft2`/`irfft2` and of science.md §4): a field is an N×N
//! array indexed `[y, x]`; its transform keeps the half plane `[k_y index, k_x index]` of shape
//! N × (N/2 + 1) that a real field needs (the other half is the complex conjugate). The forward
//! transform is unnormalised, δ̂_k = Σ_x δ(x) e^{−ik·x}; the inverse divides by N², so that
//! inverse(forward(δ)) = δ. The transforms themselves are `realfft`/`rustfft` (FFTs are not what
//! this project teaches); they pick SIMD code by CPU, so results are bit-reproducible on one
//! machine, and equal to rounding across machines.

use crate::error::{Error, Result};
use ndarray::{Array2, ArrayView2};
use realfft::num_complex::Complex64;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::{Fft, FftPlanner};
use std::f64::consts::PI;
use std::sync::Arc;

/// A periodic square grid: N cells a side, side length L (h⁻¹Mpc).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Grid {
    pub n: usize,
    pub box_size: f64,
}

impl Grid {
    /// Checks N ≥ 2 and L > 0.
    pub fn new(n: usize, box_size: f64) -> Result<Self> {
        if n < 2 || !(box_size > 0.0 && box_size.is_finite()) {
            return Err(Error::invalid(
                "grid",
                format!("need at least 2 cells a side and a positive box size, got N = {n}, L = {box_size}"),
            ));
        }
        Ok(Grid { n, box_size })
    }

    /// The fundamental wavenumber k_F = 2π/L.
    pub fn k_fundamental(&self) -> f64 {
        2.0 * PI / self.box_size
    }

    /// The Nyquist wavenumber k_N = π N / L.
    pub fn k_nyquist(&self) -> f64 {
        PI * self.n as f64 / self.box_size
    }

    /// Columns of the half-plane transform, N/2 + 1.
    pub fn half(&self) -> usize {
        self.n / 2 + 1
    }

    /// The signed frequency (in units of k_F) of index i along a full axis: i up to N/2,
    /// i − N beyond (numpy's `fftfreq · N`).
    pub fn freq(&self, i: usize) -> i64 {
        if i <= self.n / 2 {
            i as i64
        } else {
            i as i64 - self.n as i64
        }
    }

    /// |k| of the half-plane mode at row `iy` (full axis) and column `ix` (0…N/2), in h/Mpc.
    pub fn k_mag(&self, iy: usize, ix: usize) -> f64 {
        let (fy, fx) = (self.freq(iy) as f64, ix as f64);
        (fy * fy + fx * fx).sqrt() * self.k_fundamental()
    }

    /// How many modes of the full N×N plane the half-plane entry (iy, ix) stands for: 1 on the
    /// columns k_x = 0 and (N even) k_x = N/2, whose conjugates lie in the same column; 2
    /// elsewhere (the entry and its conjugate in the missing half).
    pub fn multiplicity(&self, ix: usize) -> usize {
        if ix == 0 || (self.n.is_multiple_of(2) && ix == self.n / 2) {
            1
        } else {
            2
        }
    }
}

/// Planned 2-D real transforms for one N (plans are shared, so one `Fft2` serves many threads).
#[derive(Clone)]
pub struct Fft2 {
    n: usize,
    r2c: Arc<dyn RealToComplex<f64>>,
    c2r: Arc<dyn ComplexToReal<f64>>,
    col_forward: Arc<dyn Fft<f64>>,
    col_inverse: Arc<dyn Fft<f64>>,
}

impl Fft2 {
    pub fn new(grid: &Grid) -> Self {
        let n = grid.n;
        let mut real = RealFftPlanner::<f64>::new();
        let mut complex = FftPlanner::<f64>::new();
        Fft2 {
            n,
            r2c: real.plan_fft_forward(n),
            c2r: real.plan_fft_inverse(n),
            col_forward: complex.plan_fft_forward(n),
            col_inverse: complex.plan_fft_inverse(n),
        }
    }

    fn check(&self, what: &'static str, shape: &[usize], want: [usize; 2]) -> Result<()> {
        if shape != want {
            return Err(Error::shape(what, shape, &want, "the FFT was planned for another grid size"));
        }
        Ok(())
    }

    /// δ̂ = Σ_x δ(x) e^{−ik·x}, the N × (N/2 + 1) half plane.
    pub fn forward(&self, field: ArrayView2<f64>) -> Result<Array2<Complex64>> {
        let (n, h) = (self.n, self.n / 2 + 1);
        self.check("fft2 forward", field.shape(), [n, n])?;
        let mut out = Array2::<Complex64>::zeros((n, h));
        let mut row = vec![0.0; n];
        let mut scratch = self.r2c.make_scratch_vec();
        for (y, src) in field.outer_iter().enumerate() {
            row.iter_mut().zip(src.iter()).for_each(|(r, &v)| *r = v);
            let dst = out.row_mut(y).into_slice().expect("a fresh array is contiguous");
            self.r2c
                .process_with_scratch(&mut row, dst, &mut scratch)
                .map_err(|e| Error::Other(format!("fft2 forward: {e}")))?;
        }
        self.columns(&mut out, &*self.col_forward);
        Ok(out)
    }

    /// The field whose forward transform is `spectrum`, divided by N². The imaginary parts of
    /// the self-conjugate entries (k_x = 0 and, N even, k_x = N/2, after the column pass) are
    /// dropped, as `numpy.fft.irfft2` does.
    pub fn inverse(&self, mut spectrum: Array2<Complex64>) -> Result<Array2<f64>> {
        let (n, h) = (self.n, self.n / 2 + 1);
        self.check("fft2 inverse", spectrum.shape(), [n, h])?;
        self.columns(&mut spectrum, &*self.col_inverse);
        let mut out = Array2::<f64>::zeros((n, n));
        let mut scratch = self.c2r.make_scratch_vec();
        let scale = 1.0 / (n * n) as f64;
        let mut row = vec![Complex64::default(); h];
        for (y, mut dst) in out.outer_iter_mut().enumerate() {
            row.copy_from_slice(spectrum.row(y).as_slice().expect("contiguous"));
            row[0].im = 0.0;
            if n.is_multiple_of(2) {
                row[h - 1].im = 0.0;
            }
            let d = dst.as_slice_mut().expect("a fresh array is contiguous");
            self.c2r
                .process_with_scratch(&mut row, d, &mut scratch)
                .map_err(|e| Error::Other(format!("fft2 inverse: {e}")))?;
            d.iter_mut().for_each(|v| *v *= scale);
        }
        Ok(out)
    }

    /// The complex transform along axis 0 of every column.
    fn columns(&self, a: &mut Array2<Complex64>, fft: &dyn Fft<f64>) {
        let mut col = vec![Complex64::default(); self.n];
        let mut scratch = vec![Complex64::default(); fft.get_inplace_scratch_len()];
        for mut c in a.columns_mut() {
            col.iter_mut().zip(c.iter()).for_each(|(d, s)| *d = *s);
            fft.process_with_scratch(&mut col, &mut scratch);
            c.iter_mut().zip(col.iter()).for_each(|(d, s)| *d = *s);
        }
    }
}
