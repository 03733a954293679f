//! Pooling over each plane of [N, C, H, W] (derivations in notes/pooling.md):
//! - max pooling h_out = max over the window; ∂E/∂h_in = g at the window's argmax, 0 elsewhere
//!   (the forward saves the argmax; overlapping windows add up);
//! - average pooling h_out = (1/k²) Σ window; ∂E/∂h_in = Σ over the windows containing it of g/k²;
//! - global average pooling, composed as reshape [N, C, H·W] → mean over the last axis.
//!
//! No padding; windows that do not fit are dropped: O = 1 + ⌊(N − F)/S⌋.

use crate::autodiff::{BackwardCtx, BackwardRule, Var};
use crate::backend::{Backend, Pool2dGeom};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Checks the shape and resolves the geometry of a kh×kw window moved by `stride`.
pub fn pool2d_geom(op: &'static str, x: &[usize], kernel: (usize, usize), stride: usize) -> Result<Pool2dGeom> {
    let (kh, kw) = kernel;
    if x.len() != 4 {
        return Err(Error::shape(op, x, &[kh, kw], "expected input [N, C, H, W] (and a kh×kw window)"));
    }
    if stride == 0 || kh == 0 || kw == 0 {
        return Err(Error::invalid(
            op,
            format!("window {kh}×{kw} and stride {stride} must be at least 1 (input {x:?})"),
        ));
    }
    if kh > x[2] || kw > x[3] {
        return Err(Error::shape(op, x, &[kh, kw], "window larger than the image"));
    }
    Ok(Pool2dGeom {
        n: x[0],
        c: x[1],
        h: x[2],
        w: x[3],
        kh,
        kw,
        stride,
        h_out: (x[2] - kh) / stride + 1,
        w_out: (x[3] - kw) / stride + 1,
    })
}

fn out_shape(g: &Pool2dGeom) -> Vec<usize> {
    vec![g.n, g.c, g.h_out, g.w_out]
}

/// Max pooling (with the forward's argmax, the within-plane offset of each window's maximum)
/// or average pooling (`argmax` None).
struct Pooled<B: Backend> {
    geom: Pool2dGeom,
    argmax: Option<B::Storage>,
}

impl<B: Backend> BackwardRule<B> for Pooled<B> {
    fn name(&self) -> &str {
        if self.argmax.is_some() {
            "maxpool2d"
        } else {
            "avgpool2d"
        }
    }
    fn detail(&self) -> String {
        format!("{}×{} s{}", self.geom.kh, self.geom.kw, self.geom.stride)
    }
    fn backward(&self, c: &BackwardCtx<'_, B>) -> Result<Vec<Option<Tensor<B>>>> {
        let (be, g, gy) = (c.backend, self.geom, c.grad.storage());
        let gx = match &self.argmax {
            Some(arg) => be.maxpool2d_backward(gy, arg, g)?,
            None => be.avgpool2d_backward(gy, g)?,
        };
        Ok(vec![Some(Tensor::from_storage(gx, c.inputs[0].shape().to_vec()))])
    }
}

/// Max over each kh×kw window moved by `stride`.
pub fn maxpool2d<'t, B: Backend>(x: Var<'t, B>, kernel: (usize, usize), stride: usize) -> Result<Var<'t, B>> {
    let g = pool2d_geom("maxpool2d", &x.shape(), kernel, stride)?;
    // The argmax travels as an element: exact in f32 only below 2^24 pixels per plane.
    if x.backend().elem_bytes() < 8 && g.h * g.w > 1 << 24 {
        return Err(Error::shape(
            "maxpool2d",
            &x.shape(),
            &[g.kh, g.kw],
            "planes above 2^24 pixels need f64",
        ));
    }
    let (y, arg) = x.backend().maxpool2d_forward(x.value().storage(), g)?;
    let rule = Pooled::<B> {
        geom: g,
        argmax: Some(arg),
    };
    x.tape.record(rule, &[x], Tensor::from_storage(y, out_shape(&g)))
}

/// Mean over each kh×kw window moved by `stride`.
pub fn avgpool2d<'t, B: Backend>(x: Var<'t, B>, kernel: (usize, usize), stride: usize) -> Result<Var<'t, B>> {
    let g = pool2d_geom("avgpool2d", &x.shape(), kernel, stride)?;
    let y = x.backend().avgpool2d_forward(x.value().storage(), g)?;
    x.tape
        .record(Pooled::<B> { geom: g, argmax: None }, &[x], Tensor::from_storage(y, out_shape(&g)))
}

/// [N, C, H, W] → [N, C]: the mean of each plane.
pub fn global_avg_pool2d<'t, B: Backend>(x: Var<'t, B>) -> Result<Var<'t, B>> {
    let s = x.shape();
    if s.len() != 4 {
        return Err(Error::shape("global_avg_pool2d", &s, &[0, 0, 0, 0], "expected input [N, C, H, W]"));
    }
    x.reshape(&[s[0], s[1], s[2] * s[3]])?.mean_axis(2, false)
}

impl<'t, B: Backend> Var<'t, B> {
    /// Max pooling with a square k×k window and stride s.
    pub fn maxpool2d(self, k: usize, stride: usize) -> Result<Self> {
        maxpool2d(self, (k, k), stride)
    }
    /// Average pooling with a square k×k window and stride s.
    pub fn avgpool2d(self, k: usize, stride: usize) -> Result<Self> {
        avgpool2d(self, (k, k), stride)
    }
    /// Max pooling with a kh×kw window, as the free [`maxpool2d`].
    pub fn maxpool2d_window(self, kernel: (usize, usize), stride: usize) -> Result<Self> {
        maxpool2d(self, kernel, stride)
    }
    /// Average pooling with a kh×kw window, as the free [`avgpool2d`].
    pub fn avgpool2d_window(self, kernel: (usize, usize), stride: usize) -> Result<Self> {
        avgpool2d(self, kernel, stride)
    }
    pub fn global_avg_pool2d(self) -> Result<Self> {
        global_avg_pool2d(self)
    }
}
