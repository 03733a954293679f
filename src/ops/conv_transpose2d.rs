//! Transposed 2-D convolution (the U-Net's and a DCGAN generator's upsampling), PyTorch's
//! semantics: x [N, C_in, H, W], V [C_in, C_out, kh, kw], output [N, C_out, H_o, W_o] with
//! H_o = (H − 1)·S − 2P + kh + output_padding. Each input pixel scatters V times itself onto
//! an S-strided grid (derivation in notes/conv_transpose2d.md).
//!
//! It is exactly the input-gradient of the convolution from the output space back to x's
//! space (weights [C_in, C_out, kh, kw] are that convolution's [c_out, c_in, kh, kw]), so it
//! reuses the conv kernels with the roles swapped:
//!   forward            = conv2d_backward_input(x, V)
//!   ∂E/∂x              = conv2d_forward(g, V)
//!   ∂E/∂V              = conv2d_backward_weight(input = g, output-gradient = x)
//!   ∂E/∂T              = Σ g per output channel

use super::conv2d::{conv2d_geom, Conv2dOptions, PadMode, Padding};
use crate::autodiff::{BackwardCtx, BackwardRule, Var};
use crate::backend::{Backend, Bcast, Conv2dGeom};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvTranspose2dOptions {
    pub stride: usize,
    pub padding: usize,
    /// Extra rows/columns at the bottom/right of the output (< stride), to pick among the
    /// output sizes that a strided convolution maps to the same input size.
    pub output_padding: usize,
}

impl Default for ConvTranspose2dOptions {
    fn default() -> Self {
        ConvTranspose2dOptions {
            stride: 1,
            padding: 0,
            output_padding: 0,
        }
    }
}

impl ConvTranspose2dOptions {
    pub fn new(stride: usize, padding: usize, output_padding: usize) -> Self {
        ConvTranspose2dOptions {
            stride,
            padding,
            output_padding,
        }
    }
    /// Builder: `ConvTranspose2dOptions::default().stride(2).padding(1).output_padding(1)`.
    pub fn stride(mut self, stride: usize) -> Self {
        self.stride = stride;
        self
    }
    pub fn padding(mut self, padding: usize) -> Self {
        self.padding = padding;
        self
    }
    pub fn output_padding(mut self, output_padding: usize) -> Self {
        self.output_padding = output_padding;
        self
    }
}

/// The geometry of the convolution whose input-gradient this transposed convolution is:
/// its input is our output [N, C_out, H_o, W_o] and its output our input [N, C_in, H, W].
fn geom(x: &[usize], w: &[usize], o: ConvTranspose2dOptions) -> Result<Conv2dGeom> {
    const OP: &str = "conv_transpose2d";
    if x.len() != 4 || w.len() != 4 {
        return Err(Error::shape(
            OP,
            x,
            w,
            "expected input [N, C_in, H, W] and weight [C_in, C_out, kh, kw]",
        ));
    }
    if x[1] != w[0] {
        return Err(Error::shape(
            OP,
            x,
            w,
            format!("channel mismatch: the input has {} channels, the weight expects {}", x[1], w[0]),
        ));
    }
    if o.stride == 0 {
        return Err(Error::invalid(OP, format!("stride must be at least 1 (input {x:?}, weight {w:?})")));
    }
    if o.output_padding >= o.stride {
        return Err(Error::invalid(
            OP,
            format!("output_padding {} must be smaller than the stride {}", o.output_padding, o.stride),
        ));
    }
    // Checked: a huge stride or padding must be an error, not a wrapped size.
    let size = |n: usize, k: usize| -> Result<Option<usize>> {
        let full = (n.max(1) - 1)
            .checked_mul(o.stride)
            .and_then(|v| v.checked_add(k)?.checked_add(o.output_padding));
        let pads = o.padding.checked_mul(2);
        match (full, pads) {
            (Some(f), Some(p)) => Ok(f.checked_sub(p)),
            _ => Err(Error::invalid(
                OP,
                format!(
                    "stride {} and padding {} make an output larger than any memory (input {x:?})",
                    o.stride, o.padding
                ),
            )),
        }
    };
    let (Some(ho), Some(wo)) = (size(x[2], w[2])?, size(x[3], w[3])?) else {
        return Err(Error::shape(OP, x, w, format!("padding {} leaves no output", o.padding)));
    };
    let conv = Conv2dOptions::new(o.stride, Padding::Symmetric(o.padding), PadMode::Zeros);
    let g = conv2d_geom(OP, &[x[0], w[1], ho, wo], &[w[0], w[1], w[2], w[3]], conv)?;
    if (g.h_out, g.w_out) != (x[2], x[3]) {
        return Err(Error::shape(OP, x, w, format!("padding {} leaves no output", o.padding)));
    }
    Ok(g)
}

struct ConvTranspose2d {
    geom: Conv2dGeom,
}

impl<B: Backend> BackwardRule<B> for ConvTranspose2d {
    fn name(&self) -> &str {
        "conv_transpose2d"
    }
    fn detail(&self) -> String {
        let g = &self.geom;
        format!("{}→{} {}×{} s{} p{}", g.c_out, g.c_in, g.kh, g.kw, g.stride, g.pad_top)
    }
    fn backward(&self, c: &BackwardCtx<'_, B>) -> Result<Vec<Option<Tensor<B>>>> {
        let (be, g) = (c.backend, self.geom);
        let (x, w, gy) = (c.inputs[0], c.inputs[1], c.grad.storage());
        let gx = c.needs[0]
            .then(|| -> Result<_> {
                Ok(Tensor::from_storage(
                    be.conv2d_forward(gy, w.storage(), None, g)?,
                    x.shape().to_vec(),
                ))
            })
            .transpose()?;
        let gw = c.needs[1]
            .then(|| -> Result<_> {
                Ok(Tensor::from_storage(
                    be.conv2d_backward_weight(gy, x.storage(), g)?,
                    w.shape().to_vec(),
                ))
            })
            .transpose()?;
        let mut out = vec![gx, gw];
        if c.inputs.len() == 3 {
            let map = Bcast {
                mid: g.c_in,
                inner: g.h * g.w,
            };
            out.push(
                c.needs[2]
                    .then(|| -> Result<_> { Ok(Tensor::from_storage(be.reduce_bcast(gy, map, g.in_len())?, vec![g.c_in])) })
                    .transpose()?,
            );
        }
        Ok(out)
    }
}

/// The transposed convolution of x [N, C_in, H, W] with V [C_in, C_out, kh, kw] (+ T [C_out]).
pub fn conv_transpose2d<'t, B: Backend>(
    x: Var<'t, B>,
    w: Var<'t, B>,
    bias: Option<Var<'t, B>>,
    o: ConvTranspose2dOptions,
) -> Result<Var<'t, B>> {
    let (sx, sw) = (x.shape(), w.shape());
    let g = geom(&sx, &sw, o)?;
    let be = x.backend();
    let mut y = be.conv2d_backward_input(x.value().storage(), w.value().storage(), g)?;
    let mut inputs = vec![x, w];
    if let Some(b) = bias {
        if b.shape() != [g.c_in] {
            return Err(Error::shape("conv_transpose2d", &sw, &b.shape(), "bias must be [C_out]"));
        }
        let map = Bcast {
            mid: g.c_in,
            inner: g.h * g.w,
        };
        y = be.binary(
            crate::backend::BinaryOp::Add,
            &y,
            Bcast::full(g.in_len()),
            b.value().storage(),
            map,
            g.in_len(),
        )?;
        inputs.push(b);
    }
    let shape = vec![g.n, g.c_in, g.h, g.w];
    x.tape.record(ConvTranspose2d { geom: g }, &inputs, Tensor::from_storage(y, shape))
}

impl<'t, B: Backend> Var<'t, B> {
    pub fn conv_transpose2d(self, weight: Self, bias: Option<Self>, o: ConvTranspose2dOptions) -> Result<Self> {
        conv_transpose2d(self, weight, bias, o)
    }
}
