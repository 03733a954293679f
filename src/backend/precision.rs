//! What precision each kernel promises, on each backend.
//!
//! A backend computes in its element type; these promises say where it does better, and what
//! a comparison between backends may expect. Parity tests and `cosmograd gradcheck --backend
//! gpu` take their tolerances from here, so the promise and the check cannot drift apart.
//!
//! | kernel family | `Cpu<f64>` | `Cpu<f32>` | `Gpu` (f32; WGSL has no f64) |
//! |---|---|---|---|
//! | elementwise maps, derivatives, binary ops, pointwise losses, optimiser updates | f64 rounding | f32 rounding of each formula (losses and updates evaluated in f64, rounded once) | f32 rounding of each formula; `exp`, `log`, `tanh`, `pow` within a few ulp (WGSL's accuracy rules) |
//! | sums: `sum_axis`, `reduce_bcast`, `sum_squares`, batch-norm statistics | f64 | accumulated in f64, rounded once | f32 tree reductions (fixed order, deterministic): error grows like √n·ε₃₂ |
//! | `matmul`, convolutions | f64 gemm | f32 gemm (f32 accumulation over k) | f32 accumulation over k (c_in·kh·kw for convolutions) |
//! | softmax rows | f64 | f32, max-subtracted | f32, max-subtracted |
//! | Gaussian-mixture NLL and its gradient | f64 | each sample in f64, rounded once | each sample in f32 with max-subtracted log-sum-exp: relative error ~1e-6 per term, absolute ~1e-5 on an NLL of order 10 |
//! | dropout mask | bit for bit (backend/random.rs) | bit for bit | bit for bit |
//!
//! For comparisons of an f32 backend against `Cpu<f64>` on the same inputs, [`Tolerance::F32`]
//! is the promise for one formula evaluated per element; [`Tolerance::f32_sum`] scales it with
//! √n for a kernel whose outputs sum n products (a reduction, a dot product of length n).

/// |got − want| ≤ atol + rtol·|want|, element by element.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    pub atol: f64,
    pub rtol: f64,
}

impl Tolerance {
    /// One f32 formula per element against f64 (a few ulp plus the inputs' rounding).
    pub const F32: Tolerance = Tolerance { atol: 1e-5, rtol: 1e-4 };

    /// An f32 result that sums `n` terms: the rounding errors of a sum grow like √n.
    pub fn f32_sum(n: usize) -> Tolerance {
        let s = (n.max(1) as f64).sqrt();
        Tolerance {
            atol: Self::F32.atol * s,
            rtol: Self::F32.rtol * s,
        }
    }

    pub fn ok(&self, got: f64, want: f64) -> bool {
        // NaN never passes: an unwritten (NaN-poisoned) output fails.
        (got - want).abs() <= self.atol + self.rtol * want.abs()
    }

    /// The first element outside the tolerance, as (index, got, want).
    pub fn first_violation(&self, got: &[f64], want: &[f64]) -> Option<(usize, f64, f64)> {
        if got.len() != want.len() {
            return Some((got.len().min(want.len()), f64::NAN, f64::NAN));
        }
        got.iter()
            .zip(want)
            .enumerate()
            .find(|(_, (g, w))| !self.ok(**g, **w))
            .map(|(i, (g, w))| (i, *g, *w))
    }
}
