//! 2-D convolution (cross-correlation, as in every deep-learning library), NCHW. In the
//! thesis's notation (derivation in notes/conv2d.md), for output channel o and pixel (i, j):
//!   X[o, i, j] = T[o] + Σ_{c, p, q} V[o, c, p, q] · h[c, i·S + p − P_top, j·S + q − P_left]
//! with h read as 0 outside the image (zero padding) or wrapped around it (circular).
//!
//! Backward, with g = ∂E/∂X:
//!   ∂E/∂h = the transposed convolution of g with V (every tap that read h[c, y, x] sends back
//!           V · g)                                  → `Backend::conv2d_backward_input`
//!   ∂E/∂V[o, c, p, q] = Σ_{n, i, j} g[o, i, j] · h[c, i·S + p − P_top, …]
//!                                                   → `Backend::conv2d_backward_weight`
//!   ∂E/∂T[o] = Σ_{n, i, j} g[o, i, j]               → `Backend::reduce_bcast`
//!
//! Output size per axis (thesis eq. 51 with the padding it omits): O = 1 + ⌊(N + P_total − F)/S⌋.

use crate::autodiff::{BackwardCtx, BackwardRule, Var};
use crate::backend::{Backend, Bcast, Conv2dGeom};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// How much padding surrounds the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Padding {
    /// None: only positions where the kernel fits entirely.
    Valid,
    /// Output size ⌈N/S⌉: total padding max((⌈N/S⌉ − 1)·S + F − N, 0), split with the extra
    /// row/column at the bottom/right (the TensorFlow/Keras convention the thesis's even
    /// 4×4 and 2×2 kernels need).
    Same,
    /// p on every side.
    Symmetric(usize),
    /// Each side on its own.
    Explicit {
        top: usize,
        bottom: usize,
        left: usize,
        right: usize,
    },
}

/// What the padding contains.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PadMode {
    Zeros,
    /// Pixels from the opposite edge: the image is a torus (periodic maps such as CMD's).
    Circular,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dOptions {
    pub stride: usize,
    pub padding: Padding,
    pub mode: PadMode,
}

impl Default for Conv2dOptions {
    fn default() -> Self {
        Conv2dOptions {
            stride: 1,
            padding: Padding::Valid,
            mode: PadMode::Zeros,
        }
    }
}

impl Conv2dOptions {
    pub fn new(stride: usize, padding: Padding, mode: PadMode) -> Self {
        Conv2dOptions { stride, padding, mode }
    }
    /// Stride 1, 'same' zero padding.
    pub fn same() -> Self {
        Conv2dOptions::new(1, Padding::Same, PadMode::Zeros)
    }
    /// Builder: `Conv2dOptions::default().stride(2).padding(Padding::Same).mode(PadMode::Circular)`.
    pub fn stride(mut self, stride: usize) -> Self {
        self.stride = stride;
        self
    }
    pub fn padding(mut self, padding: Padding) -> Self {
        self.padding = padding;
        self
    }
    pub fn mode(mut self, mode: PadMode) -> Self {
        self.mode = mode;
        self
    }
}

impl Padding {
    /// (before, after) along one axis of size n for kernel size f and stride s.
    fn along(&self, n: usize, f: usize, s: usize, vertical: bool) -> (usize, usize) {
        match *self {
            Padding::Valid => (0, 0),
            Padding::Same => {
                let total = ((n.div_ceil(s).max(1) - 1) * s + f).saturating_sub(n);
                (total / 2, total - total / 2)
            }
            Padding::Symmetric(p) => (p, p),
            Padding::Explicit { top, bottom, left, right } => {
                if vertical {
                    (top, bottom)
                } else {
                    (left, right)
                }
            }
        }
    }
}

/// Checks the shapes and resolves the geometry of x [N, C_in, H, W] ⋆ w [C_out, C_in, kh, kw].
pub fn conv2d_geom(op: &'static str, x: &[usize], w: &[usize], o: Conv2dOptions) -> Result<Conv2dGeom> {
    if x.len() != 4 || w.len() != 4 {
        return Err(Error::shape(
            op,
            x,
            w,
            "expected input [N, C_in, H, W] and weight [C_out, C_in, kh, kw]",
        ));
    }
    if x[1] != w[1] {
        return Err(Error::shape(
            op,
            x,
            w,
            format!("channel mismatch: the input has {} channels, the weight expects {}", x[1], w[1]),
        ));
    }
    if o.stride == 0 {
        return Err(Error::invalid(op, format!("stride must be at least 1 (input {x:?}, weight {w:?})")));
    }
    if w.contains(&0) || x.contains(&0) {
        return Err(Error::shape(op, x, w, "empty input or weight"));
    }
    let (h, wd, kh, kw) = (x[2], x[3], w[2], w[3]);
    let (pt, pb) = o.padding.along(h, kh, o.stride, true);
    let (pl, pr) = o.padding.along(wd, kw, o.stride, false);
    // Checked sums: an explicit padding near usize::MAX must be an error, not a wrapped size.
    let padded = |n: usize, a: usize, b: usize| n.checked_add(a).and_then(|v| v.checked_add(b));
    let (Some(hp), Some(wp)) = (padded(h, pt, pb), padded(wd, pl, pr)) else {
        return Err(Error::invalid(
            op,
            format!("padding ({pt}, {pb}, {pl}, {pr}) is larger than any image"),
        ));
    };
    if hp < kh || wp < kw {
        return Err(Error::shape(
            op,
            x,
            w,
            format!("kernel {kh}×{kw} larger than the padded image {hp}×{wp}"),
        ));
    }
    let circular = o.mode == PadMode::Circular;
    if circular && (pt.max(pb) > h || pl.max(pr) > wd) {
        return Err(Error::shape(
            op,
            x,
            w,
            format!("circular padding ({pt}, {pb}, {pl}, {pr}) wider than the image"),
        ));
    }
    let (h_out, w_out) = ((hp - kh) / o.stride + 1, (wp - kw) / o.stride + 1);
    // The output and the im2col buffer (patch × output pixels) must have countable sizes.
    crate::tensor::checked_numel(op, &[x[0], w[0], h_out, w_out])?;
    crate::tensor::checked_numel(op, &[x[1], kh, kw, h_out, w_out])?;
    Ok(Conv2dGeom {
        n: x[0],
        c_in: x[1],
        h,
        w: wd,
        c_out: w[0],
        kh,
        kw,
        stride: o.stride,
        pad_top: pt,
        pad_bottom: pb,
        pad_left: pl,
        pad_right: pr,
        circular,
        h_out,
        w_out,
    })
}

struct Conv2d {
    geom: Conv2dGeom,
}

impl<B: Backend> BackwardRule<B> for Conv2d {
    fn name(&self) -> &str {
        "conv2d"
    }
    fn detail(&self) -> String {
        let g = &self.geom;
        format!(
            "{}→{} {}×{} s{} pad({},{},{},{}){}",
            g.c_in,
            g.c_out,
            g.kh,
            g.kw,
            g.stride,
            g.pad_top,
            g.pad_bottom,
            g.pad_left,
            g.pad_right,
            if g.circular { " circular" } else { "" }
        )
    }
    fn backward(&self, c: &BackwardCtx<'_, B>) -> Result<Vec<Option<Tensor<B>>>> {
        let (be, g) = (c.backend, self.geom);
        let (x, w, gy) = (c.inputs[0], c.inputs[1], c.grad.storage());
        let gx = c.needs[0]
            .then(|| -> Result<_> {
                Ok(Tensor::from_storage(
                    be.conv2d_backward_input(gy, w.storage(), g)?,
                    x.shape().to_vec(),
                ))
            })
            .transpose()?;
        let gw = c.needs[1]
            .then(|| -> Result<_> {
                Ok(Tensor::from_storage(
                    be.conv2d_backward_weight(x.storage(), gy, g)?,
                    w.shape().to_vec(),
                ))
            })
            .transpose()?;
        let mut out = vec![gx, gw];
        if c.inputs.len() == 3 {
            let map = Bcast {
                mid: g.c_out,
                inner: g.out_plane(),
            };
            out.push(
                c.needs[2]
                    .then(|| -> Result<_> { Ok(Tensor::from_storage(be.reduce_bcast(gy, map, g.out_len())?, vec![g.c_out])) })
                    .transpose()?,
            );
        }
        Ok(out)
    }
}

/// X = V ⋆ h + T for h [N, C_in, H, W], V [C_out, C_in, kh, kw], optional T [C_out].
pub fn conv2d<'t, B: Backend>(x: Var<'t, B>, w: Var<'t, B>, bias: Option<Var<'t, B>>, o: Conv2dOptions) -> Result<Var<'t, B>> {
    let (sx, sw) = (x.shape(), w.shape());
    let geom = conv2d_geom("conv2d", &sx, &sw, o)?;
    if let Some(b) = bias {
        if b.shape() != [geom.c_out] {
            return Err(Error::shape("conv2d", &sw, &b.shape(), "bias must be [C_out]"));
        }
    }
    let (xv, wv) = (x.value(), w.value());
    let bv = bias.map(|b| b.value());
    let y = x
        .backend()
        .conv2d_forward(xv.storage(), wv.storage(), bv.as_ref().map(|b| b.storage()), geom)?;
    let mut inputs = vec![x, w];
    inputs.extend(bias);
    let shape = vec![geom.n, geom.c_out, geom.h_out, geom.w_out];
    x.tape.record(Conv2d { geom }, &inputs, Tensor::from_storage(y, shape))
}

impl<'t, B: Backend> Var<'t, B> {
    /// This image convolved with `weight` (+ `bias` per output channel).
    pub fn conv2d(self, weight: Self, bias: Option<Self>, o: Conv2dOptions) -> Result<Self> {
        conv2d(self, weight, bias, o)
    }
}
