//! Nearest-neighbour upsampling by an integer factor f (the U-Net decoder): h_out[y, x] =
//! h[⌊y/f⌋, ⌊x/f⌋], so ∂E/∂h[i, j] = Σ of g over the f×f block it was copied to
//! (notes/upsample.md).

use crate::autodiff::{BackwardCtx, BackwardRule, Var};
use crate::backend::{Backend, UpsampleGeom};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

struct Upsample {
    geom: UpsampleGeom,
}

impl<B: Backend> BackwardRule<B> for Upsample {
    fn name(&self) -> &str {
        "upsample_nearest"
    }
    fn detail(&self) -> String {
        format!("×{}", self.geom.factor)
    }
    fn backward(&self, c: &BackwardCtx<'_, B>) -> Result<Vec<Option<Tensor<B>>>> {
        let gx = c.backend.upsample_nearest_backward(c.grad.storage(), self.geom)?;
        Ok(vec![Some(Tensor::from_storage(gx, c.inputs[0].shape().to_vec()))])
    }
}

/// [N, C, H, W] → [N, C, f·H, f·W].
pub fn upsample_nearest<'t, B: Backend>(x: Var<'t, B>, factor: usize) -> Result<Var<'t, B>> {
    let s = x.shape();
    if s.len() != 4 {
        return Err(Error::shape("upsample_nearest", &s, &[factor], "expected input [N, C, H, W]"));
    }
    if factor == 0 {
        return Err(Error::invalid(
            "upsample_nearest",
            format!("factor must be at least 1 (input {s:?})"),
        ));
    }
    // f·H, f·W and the element count, checked: a wrapping product would allocate a small
    // buffer for a huge shape.
    let (Some(ho), Some(wo)) = (s[2].checked_mul(factor), s[3].checked_mul(factor)) else {
        return Err(Error::invalid(
            "upsample_nearest",
            format!("factor {factor} makes the image of {s:?} larger than any memory"),
        ));
    };
    let shape = vec![s[0], s[1], ho, wo];
    crate::tensor::checked_numel("upsample_nearest", &shape)?;
    let geom = UpsampleGeom {
        n: s[0],
        c: s[1],
        h: s[2],
        w: s[3],
        factor,
    };
    let y = x.backend().upsample_nearest_forward(x.value().storage(), geom)?;
    x.tape.record(Upsample { geom }, &[x], Tensor::from_storage(y, shape))
}

impl<'t, B: Backend> Var<'t, B> {
    pub fn upsample_nearest(self, factor: usize) -> Result<Self> {
        upsample_nearest(self, factor)
    }
}
