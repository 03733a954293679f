//! Ops that move or relabel elements: reshape/flatten (gradient: reshape back), 2-D transpose
//! (gradient: transpose back), concat along an axis (gradient: each input's slice of g).

use crate::autodiff::{BackwardCtx, BackwardRule, Var};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::tensor::{checked_numel, Tensor};

struct Reshape;

impl<B: Backend> BackwardRule<B> for Reshape {
    fn name(&self) -> &str {
        "reshape"
    }
    fn backward(&self, c: &BackwardCtx<'_, B>) -> Result<Vec<Option<Tensor<B>>>> {
        Ok(vec![Some(c.grad.reshape(c.inputs[0].shape())?)])
    }
}

struct Transpose {
    rows: usize,
    cols: usize,
}

impl<B: Backend> BackwardRule<B> for Transpose {
    fn name(&self) -> &str {
        "transpose"
    }
    fn backward(&self, c: &BackwardCtx<'_, B>) -> Result<Vec<Option<Tensor<B>>>> {
        let g = c.backend.transpose(c.grad.storage(), self.cols, self.rows)?;
        Ok(vec![Some(Tensor::from_storage(g, vec![self.rows, self.cols]))])
    }
}

struct Concat {
    outer: usize,
    blocks: Vec<usize>,
}

impl<B: Backend> BackwardRule<B> for Concat {
    fn name(&self) -> &str {
        "concat"
    }
    fn backward(&self, c: &BackwardCtx<'_, B>) -> Result<Vec<Option<Tensor<B>>>> {
        let total: usize = self.blocks.iter().sum();
        let mut start = 0;
        let mut out = Vec::with_capacity(self.blocks.len());
        for (j, &block) in self.blocks.iter().enumerate() {
            out.push(
                c.needs[j]
                    .then(|| -> Result<_> {
                        let s = c.backend.slice_block(c.grad.storage(), self.outer, total, start, block)?;
                        Ok(Tensor::from_storage(s, c.inputs[j].shape().to_vec()))
                    })
                    .transpose()?,
            );
            start += block;
        }
        Ok(out)
    }
}

struct Narrow {
    outer: usize,
    /// Elements per outer row: before the slice, in it, after it.
    before: usize,
    len: usize,
    after: usize,
}

impl<B: Backend> BackwardRule<B> for Narrow {
    fn name(&self) -> &str {
        "narrow"
    }
    fn backward(&self, c: &BackwardCtx<'_, B>) -> Result<Vec<Option<Tensor<B>>>> {
        // The adjoint of taking a slice: the slice's gradient, zeros around it.
        let be = c.backend;
        let zeros_before = be.fill(self.outer * self.before, 0.0)?;
        let zeros_after = be.fill(self.outer * self.after, 0.0)?;
        let parts = [
            (&zeros_before, self.before),
            (c.grad.storage(), self.len),
            (&zeros_after, self.after),
        ];
        let g = be.concat(&parts, self.outer)?;
        Ok(vec![Some(Tensor::from_storage(g, c.inputs[0].shape().to_vec()))])
    }
}

/// Concatenates along `axis`; all other dimensions must agree (U-Net skips: axis 1).
pub fn concat<'t, B: Backend>(parts: &[Var<'t, B>], axis: usize) -> Result<Var<'t, B>> {
    let first = parts.first().ok_or_else(|| Error::invalid("concat", "needs at least one input"))?;
    let s0 = first.shape();
    if axis >= s0.len() {
        return Err(Error::invalid("concat", format!("axis {axis} out of range for shape {s0:?}")));
    }
    let mut out_shape = s0.clone();
    out_shape[axis] = 0;
    let inner: usize = s0[axis + 1..].iter().product();
    let outer: usize = s0[..axis].iter().product();
    let mut blocks = Vec::new();
    let values: Vec<Tensor<B>> = parts.iter().map(|p| p.value()).collect();
    for v in &values {
        let s = v.shape();
        if s.len() != s0.len() || s.iter().enumerate().any(|(j, &d)| j != axis && d != s0[j]) {
            return Err(Error::shape("concat", &s0, s, format!("all dimensions but axis {axis} must agree")));
        }
        out_shape[axis] += s[axis];
        blocks.push(s[axis] * inner);
    }
    let refs: Vec<(&B::Storage, usize)> = values.iter().zip(&blocks).map(|(v, &b)| (v.storage(), b)).collect();
    let out = first.backend().concat(&refs, outer)?;
    first
        .tape
        .record(Concat { outer, blocks }, parts, Tensor::from_storage(out, out_shape))
}

impl<'t, B: Backend> Var<'t, B> {
    /// The same elements under another shape.
    pub fn reshape(self, shape: &[usize]) -> Result<Self> {
        let t = self.value();
        if checked_numel("reshape", shape)? != t.numel() {
            return Err(Error::shape("reshape", t.shape(), shape, "element counts differ"));
        }
        self.tape.record(Reshape, &[self], t.reshape(shape)?)
    }
    /// [N, …] → [N, Π…] (the flatten before the dense layers).
    pub fn flatten(self) -> Result<Self> {
        let s = self.shape();
        let n = *s.first().ok_or_else(|| Error::invalid("flatten", "needs at least one dimension"))?;
        self.reshape(&[n, s[1..].iter().product()])
    }
    /// The transpose of a 2-D tensor.
    pub fn transpose2d(self) -> Result<Self> {
        let s = self.shape();
        if s.len() != 2 {
            return Err(Error::shape("transpose", &s, &[0, 0], "expected a 2-D tensor"));
        }
        let out = self.backend().transpose(self.value().storage(), s[0], s[1])?;
        self.tape.record(
            Transpose { rows: s[0], cols: s[1] },
            &[self],
            Tensor::from_storage(out, vec![s[1], s[0]]),
        )
    }
    /// Elements `start .. start + len` along `axis` (e.g. splitting a head's outputs).
    pub fn narrow(self, axis: usize, start: usize, len: usize) -> Result<Self> {
        let s = self.shape();
        if axis >= s.len() || start.checked_add(len).is_none_or(|end| end > s[axis]) {
            return Err(Error::invalid(
                "narrow",
                format!("range {start}..{start}+{len} of axis {axis} is outside shape {s:?}"),
            ));
        }
        let inner: usize = s[axis + 1..].iter().product();
        let outer: usize = s[..axis].iter().product();
        let (before, len_e, after) = (start * inner, len * inner, (s[axis] - start - len) * inner);
        let out = self
            .backend()
            .slice_block(self.value().storage(), outer, s[axis] * inner, before, len_e)?;
        let mut shape = s.clone();
        shape[axis] = len;
        let rule = Narrow {
            outer,
            before,
            len: len_e,
            after,
        };
        self.tape.record(rule, &[self], Tensor::from_storage(out, shape))
    }
    pub fn concat(self, other: Self, axis: usize) -> Result<Self> {
        concat(&[self, other], axis)
    }
}
