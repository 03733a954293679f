//! `Cpu<E>`: every kernel as rayon-parallel host code, generic over `f32` and `f64` (f64 is
//! what gradient checks run in). Storage is a reference-counted host vector.
//!
//! One file per kernel family; each optimised kernel keeps beside it the plain
//! loop-per-formula version it replaces, and the tests check one against the other.

mod elementwise;
mod gmm_nll;
mod layout;
mod loss;
pub mod matmul;
mod optim;
mod random;
mod reduce;
mod softmax;

// Image kernels.
pub mod batchnorm;
pub mod conv2d;
pub mod groupnorm;
pub mod memory;
mod pool2d;
mod upsample;

use super::*;
use crate::error::Result;
use num_traits::Float;
use std::fmt::Debug;
use std::marker::PhantomData;
use std::sync::Arc;

/// Below this many elements a loop runs on one thread: rayon's fork/join costs more.
pub(crate) const PAR_MIN: usize = 1 << 15;

/// A floating-point element the CPU backend computes in.
pub trait Element: Float + Debug + Default + Send + Sync + 'static + std::iter::Sum {
    const NAME: &'static str;
    fn of(x: f64) -> Self;
    fn f64(self) -> f64;
    /// C ← α op(A) op(B) + β C through matrixmultiply's sgemm / dgemm, with explicit strides.
    ///
    /// # Safety
    /// The pointers with their strides must address valid m×k, k×n and m×n matrices, and C
    /// must not overlap A or B.
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemm(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        beta: Self,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    );
}

macro_rules! element {
    ($t:ty, $name:expr, $gemm:path) => {
        impl Element for $t {
            const NAME: &'static str = $name;
            #[inline(always)]
            fn of(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn f64(self) -> f64 {
                self as f64
            }
            unsafe fn gemm(
                m: usize,
                k: usize,
                n: usize,
                alpha: Self,
                a: *const Self,
                rsa: isize,
                csa: isize,
                b: *const Self,
                rsb: isize,
                csb: isize,
                beta: Self,
                c: *mut Self,
                rsc: isize,
                csc: isize,
            ) {
                $gemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc)
            }
        }
    };
}
element!(f32, "f32", matrixmultiply::sgemm);
element!(f64, "f64", matrixmultiply::dgemm);

/// The CPU backend. A zero-sized value: `Cpu::<f32>::default()`.
pub struct Cpu<E: Element = f32>(PhantomData<E>);

impl<E: Element> Default for Cpu<E> {
    fn default() -> Self {
        Cpu(PhantomData)
    }
}
impl<E: Element> Clone for Cpu<E> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<E: Element> Copy for Cpu<E> {}
impl<E: Element> Debug for Cpu<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cpu<{}>", E::NAME)
    }
}

pub type Storage<E> = Arc<Vec<E>>;

impl<E: Element> Backend for Cpu<E> {
    type Storage = Storage<E>;

    fn name(&self) -> String {
        format!("cpu-{} ({} threads)", E::NAME, rayon::current_num_threads())
    }
    fn elem_bytes(&self) -> usize {
        std::mem::size_of::<E>()
    }
    fn from_f64(&self, data: &[f64]) -> Result<Storage<E>> {
        Ok(Arc::new(data.iter().map(|&x| E::of(x)).collect()))
    }
    fn from_f32(&self, data: &[f32]) -> Result<Storage<E>> {
        Ok(Arc::new(data.iter().map(|&x| E::of(x as f64)).collect()))
    }
    fn to_f64(&self, s: &Storage<E>) -> Result<Vec<f64>> {
        Ok(s.iter().map(|x| x.f64()).collect())
    }
    fn to_f32(&self, s: &Storage<E>) -> Result<Vec<f32>> {
        Ok(s.iter().map(|x| x.f64() as f32).collect())
    }
    fn len(&self, s: &Storage<E>) -> usize {
        s.len()
    }
    fn fill(&self, len: usize, value: f64) -> Result<Storage<E>> {
        Ok(Arc::new(vec![E::of(value); len]))
    }

    fn unary(&self, op: UnaryOp, x: &Storage<E>) -> Result<Storage<E>> {
        Ok(Arc::new(elementwise::unary(op, x)))
    }
    fn unary_backward(&self, op: UnaryOp, x: &Storage<E>, y: &Storage<E>, g: &Storage<E>) -> Result<Storage<E>> {
        Ok(Arc::new(elementwise::unary_backward(op, x, y, g)))
    }
    fn binary(&self, op: BinaryOp, a: &Storage<E>, am: Bcast, b: &Storage<E>, bm: Bcast, len: usize) -> Result<Storage<E>> {
        Ok(Arc::new(elementwise::binary(op, a, am, b, bm, len)))
    }
    fn reduce_bcast(&self, g: &Storage<E>, map: Bcast, len: usize) -> Result<Storage<E>> {
        Ok(Arc::new(reduce::reduce_bcast(g, map, len)))
    }
    fn sum_axis(&self, x: &Storage<E>, d: AxisDims) -> Result<Storage<E>> {
        Ok(Arc::new(reduce::sum_axis(x, d)))
    }
    fn logsumexp_axis(&self, x: &Storage<E>, d: AxisDims) -> Result<Storage<E>> {
        Ok(Arc::new(reduce::logsumexp_axis(x, d)))
    }
    fn expand_axis(&self, g: &Storage<E>, d: AxisDims) -> Result<Storage<E>> {
        Ok(Arc::new(reduce::expand_axis(g, d)))
    }
    fn transpose(&self, x: &Storage<E>, rows: usize, cols: usize) -> Result<Storage<E>> {
        Ok(Arc::new(layout::transpose(x, rows, cols)))
    }
    fn concat(&self, parts: &[(&Storage<E>, usize)], outer: usize) -> Result<Storage<E>> {
        let parts: Vec<(&[E], usize)> = parts.iter().map(|(s, b)| (s.as_slice(), *b)).collect();
        Ok(Arc::new(layout::concat(&parts, outer)))
    }
    fn slice_block(&self, x: &Storage<E>, outer: usize, block: usize, start: usize, len: usize) -> Result<Storage<E>> {
        Ok(Arc::new(layout::slice_block(x, outer, block, start, len)))
    }
    fn matmul(&self, a: &Storage<E>, b: &Storage<E>, d: MatmulDims) -> Result<Storage<E>> {
        Ok(Arc::new(matmul::matmul(a, b, d)))
    }
    fn softmax_rows(&self, x: &Storage<E>, rows: usize, cols: usize, log: bool) -> Result<Storage<E>> {
        Ok(Arc::new(softmax::softmax_rows(x, rows, cols, log)))
    }
    fn softmax_rows_backward(&self, y: &Storage<E>, g: &Storage<E>, rows: usize, cols: usize, log: bool) -> Result<Storage<E>> {
        Ok(Arc::new(softmax::softmax_rows_backward(y, g, rows, cols, log)))
    }
    fn pointwise_loss(&self, kind: LossKind, p: &Storage<E>, t: &Storage<E>) -> Result<Storage<E>> {
        Ok(Arc::new(loss::pointwise_loss(kind, p, t)))
    }
    fn pointwise_loss_backward(&self, kind: LossKind, p: &Storage<E>, t: &Storage<E>, g: &Storage<E>, gm: Bcast) -> Result<Storage<E>> {
        Ok(Arc::new(loss::pointwise_loss_backward(kind, p, t, g, gm)))
    }
    fn gmm_nll_forward(&self, inp: GmmInputs<'_, Storage<E>>, dims: GmmDims) -> Result<(Storage<E>, Storage<E>)> {
        let (nll, gamma) = gmm_nll::forward(&slices(inp), dims);
        Ok((Arc::new(nll), Arc::new(gamma)))
    }
    fn gmm_nll_backward(
        &self,
        inp: GmmInputs<'_, Storage<E>>,
        gamma: &Storage<E>,
        g: &Storage<E>,
        dims: GmmDims,
    ) -> Result<(Storage<E>, Storage<E>, Storage<E>)> {
        let (a, b, c) = gmm_nll::backward(&slices(inp), gamma, g, dims);
        Ok((Arc::new(a), Arc::new(b), Arc::new(c)))
    }
    fn dropout_mask(&self, len: usize, p: f64, seed: u64) -> Result<Storage<E>> {
        Ok(Arc::new(random::dropout_mask(len, p, seed)))
    }
    // In place when the caller holds the only handle (the trait's aliasing rule); a shared
    // handle is copied first by `Arc::make_mut`, so its other holders keep the old values.
    fn adam_update(&self, p: &mut Storage<E>, m: &mut Storage<E>, v: &mut Storage<E>, g: &Storage<E>, h: AdamStep) -> Result<()> {
        optim::adam(
            Arc::make_mut(p).as_mut_slice(),
            Arc::make_mut(m).as_mut_slice(),
            Arc::make_mut(v).as_mut_slice(),
            g,
            h,
        );
        Ok(())
    }
    fn sgd_update(&self, p: &mut Storage<E>, vel: &mut Storage<E>, g: &Storage<E>, h: SgdStep) -> Result<()> {
        optim::sgd(Arc::make_mut(p).as_mut_slice(), Arc::make_mut(vel).as_mut_slice(), g, h);
        Ok(())
    }
    fn sum_squares(&self, xs: &[&Storage<E>]) -> Result<Vec<f64>> {
        Ok(xs.iter().map(|x| reduce::sum_squares(x)).collect())
    }
    fn count_nonfinite(&self, xs: &[&Storage<E>]) -> Result<Vec<usize>> {
        Ok(xs.iter().map(|x| reduce::count_nonfinite(x)).collect())
    }
    /// Every CPU kernel has finished when it returns.
    fn sync(&self) -> Result<()> {
        Ok(())
    }

    // ---- image kernels ----
    fn conv2d_forward(&self, x: &Storage<E>, w: &Storage<E>, bias: Option<&Storage<E>>, g: Conv2dGeom) -> Result<Storage<E>> {
        Ok(Arc::new(conv2d::conv2d_forward(x, w, bias.map(|b| b.as_slice()), g)))
    }
    fn conv2d_backward_input(&self, gy: &Storage<E>, w: &Storage<E>, g: Conv2dGeom) -> Result<Storage<E>> {
        Ok(Arc::new(conv2d::conv2d_backward_input(gy, w, g)))
    }
    fn conv2d_backward_weight(&self, x: &Storage<E>, gy: &Storage<E>, g: Conv2dGeom) -> Result<Storage<E>> {
        Ok(Arc::new(conv2d::conv2d_backward_weight(x, gy, g)))
    }
    fn maxpool2d_forward(&self, x: &Storage<E>, g: Pool2dGeom) -> Result<(Storage<E>, Storage<E>)> {
        let (y, arg) = pool2d::maxpool2d_forward(x, g);
        Ok((Arc::new(y), Arc::new(arg)))
    }
    fn maxpool2d_backward(&self, gy: &Storage<E>, argmax: &Storage<E>, g: Pool2dGeom) -> Result<Storage<E>> {
        Ok(Arc::new(pool2d::maxpool2d_backward(gy, argmax, g)))
    }
    fn avgpool2d_forward(&self, x: &Storage<E>, g: Pool2dGeom) -> Result<Storage<E>> {
        Ok(Arc::new(pool2d::avgpool2d_forward(x, g)))
    }
    fn avgpool2d_backward(&self, gy: &Storage<E>, g: Pool2dGeom) -> Result<Storage<E>> {
        Ok(Arc::new(pool2d::avgpool2d_backward(gy, g)))
    }
    fn upsample_nearest_forward(&self, x: &Storage<E>, g: UpsampleGeom) -> Result<Storage<E>> {
        Ok(Arc::new(upsample::upsample_nearest_forward(x, g)))
    }
    fn upsample_nearest_backward(&self, gy: &Storage<E>, g: UpsampleGeom) -> Result<Storage<E>> {
        Ok(Arc::new(upsample::upsample_nearest_backward(gy, g)))
    }
    fn batchnorm_forward(
        &self,
        x: &Storage<E>,
        gamma: &Storage<E>,
        beta: &Storage<E>,
        d: BatchNormDims,
    ) -> Result<(Storage<E>, Storage<E>, Storage<E>)> {
        let (y, mean, inv_std) = batchnorm::batchnorm_forward(x, gamma, beta, d);
        Ok((Arc::new(y), Arc::new(mean), Arc::new(inv_std)))
    }
    fn batchnorm_backward(
        &self,
        x: &Storage<E>,
        gy: &Storage<E>,
        gamma: &Storage<E>,
        mean: &Storage<E>,
        inv_std: &Storage<E>,
        d: BatchNormDims,
    ) -> Result<(Storage<E>, Storage<E>, Storage<E>)> {
        let (gx, gg, gb) = batchnorm::batchnorm_backward(x, gy, gamma, mean, inv_std, d);
        Ok((Arc::new(gx), Arc::new(gg), Arc::new(gb)))
    }
    fn groupnorm_forward(
        &self,
        x: &Storage<E>,
        gamma: &Storage<E>,
        beta: &Storage<E>,
        d: GroupNormDims,
    ) -> Result<(Storage<E>, Storage<E>, Storage<E>)> {
        let (y, mean, inv_std) = groupnorm::groupnorm_forward(x, gamma, beta, d);
        Ok((Arc::new(y), Arc::new(mean), Arc::new(inv_std)))
    }
    fn groupnorm_backward(
        &self,
        x: &Storage<E>,
        gy: &Storage<E>,
        gamma: &Storage<E>,
        mean: &Storage<E>,
        inv_std: &Storage<E>,
        d: GroupNormDims,
    ) -> Result<(Storage<E>, Storage<E>, Storage<E>)> {
        let (gx, gg, gb) = groupnorm::groupnorm_backward(x, gy, gamma, mean, inv_std, d);
        Ok((Arc::new(gx), Arc::new(gg), Arc::new(gb)))
    }
}

fn slices<E: Element>(inp: GmmInputs<'_, Storage<E>>) -> GmmInputs<'_, Vec<E>> {
    GmmInputs {
        logits: inp.logits.as_ref(),
        means: inp.means.as_ref(),
        raw_sigma: inp.raw_sigma.as_ref(),
        target: inp.target.as_ref(),
    }
}
