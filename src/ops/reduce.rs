//! Sums and means, over everything or along one axis.
//!
//! y = Σ_i x_i has ∂y/∂x_i = 1, so the backward copies g to every summed position
//! (`Backend::expand_axis`); a mean also scales by 1/n.

use crate::autodiff::{BackwardCtx, BackwardRule, Var};
use crate::backend::{AxisDims, Backend, UnaryOp};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

struct SumAxis {
    dims: AxisDims,
    scale: f64,
    mean: bool,
}

impl<B: Backend> BackwardRule<B> for SumAxis {
    fn name(&self) -> &str {
        if self.mean {
            "mean"
        } else {
            "sum"
        }
    }
    fn backward(&self, c: &BackwardCtx<'_, B>) -> Result<Vec<Option<Tensor<B>>>> {
        let be = c.backend;
        let mut g = be.expand_axis(c.grad.storage(), self.dims)?;
        if self.scale != 1.0 {
            g = be.unary(UnaryOp::MulScalar(self.scale), &g)?;
        }
        Ok(vec![Some(Tensor::from_storage(g, c.inputs[0].shape().to_vec()))])
    }
}

/// `x`'s shape viewed as [outer, n, inner] around `axis` (everything when `None`), and the
/// shape of the reduction's output: the axis removed, or kept as size 1 with `keepdim`.
pub(crate) fn axis_dims(name: &'static str, s: &[usize], axis: Option<usize>, keepdim: bool) -> Result<(AxisDims, Vec<usize>)> {
    match axis {
        None => Ok((
            AxisDims {
                outer: 1,
                n: s.iter().product(),
                inner: 1,
            },
            vec![1; if keepdim { s.len() } else { 0 }],
        )),
        Some(a) if a < s.len() => {
            let dims = AxisDims {
                outer: s[..a].iter().product(),
                n: s[a],
                inner: s[a + 1..].iter().product(),
            };
            let mut o = s.to_vec();
            if keepdim {
                o[a] = 1;
            } else {
                o.remove(a);
            }
            Ok((dims, o))
        }
        Some(a) => Err(Error::invalid(name, format!("axis {a} out of range for shape {s:?}"))),
    }
}

fn reduce<'t, B: Backend>(x: Var<'t, B>, axis: Option<usize>, keepdim: bool, mean: bool) -> Result<Var<'t, B>> {
    let s = x.shape();
    let name = if mean { "mean" } else { "sum" };
    let (dims, out_shape) = axis_dims(name, &s, axis, keepdim)?;
    if mean && dims.n == 0 {
        return Err(Error::invalid(name, format!("mean over an empty axis of shape {s:?}")));
    }
    let be = x.backend();
    let mut y = be.sum_axis(x.value().storage(), dims)?;
    let scale = if mean { 1.0 / dims.n as f64 } else { 1.0 };
    if mean {
        y = be.unary(UnaryOp::MulScalar(scale), &y)?;
    }
    x.tape
        .record(SumAxis { dims, scale, mean }, &[x], Tensor::from_storage(y, out_shape))
}

impl<'t, B: Backend> Var<'t, B> {
    /// Σ of all elements → a scalar (shape []).
    pub fn sum(self) -> Result<Self> {
        reduce(self, None, false, false)
    }
    /// Mean of all elements → a scalar (shape []).
    pub fn mean(self) -> Result<Self> {
        reduce(self, None, false, true)
    }
    /// Σ along `axis`, which is removed (or kept as size 1 with `keepdim`).
    pub fn sum_axis(self, axis: usize, keepdim: bool) -> Result<Self> {
        reduce(self, Some(axis), keepdim, false)
    }
    /// Mean along `axis`.
    pub fn mean_axis(self, axis: usize, keepdim: bool) -> Result<Self> {
        reduce(self, Some(axis), keepdim, true)
    }
}
