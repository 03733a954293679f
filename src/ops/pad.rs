//! Padding the last axes of a tensor with zeros, a mirror image (reflect) or the opposite
//! edge (circular), as `torch.nn.functional.pad` with `mode="constant"` (value 0), `"reflect"`
//! and `"circular"`.
//!
//! Every output element is either 0 or a copy of one input element, so the op is a fixed
//! index map out[i] = x[src(i)] (or 0), and its adjoint sums the gradient back:
//!   ∂E/∂x_j = Σ_{i : src(i) = j} g_i.
//! For zeros each x_j is read once (the gradient is the middle slice of g); reflect and
//! circular read edge elements twice, so their gradient adds the padded border back onto the
//! elements it copied. Derivation: notes/pad.md.
//!
//! Axis by axis, the output is a concatenation of pieces of the input (or zeros), so the
//! forward is `slice_block` + `concat` and the backward slices g into the same pieces and adds
//! each onto its place: existing kernels only, on every backend.

use crate::autodiff::{BackwardCtx, BackwardRule, Var};
use crate::backend::{AxisDims, Backend, Bcast, BinaryOp};
use crate::error::{Error, Result};
use crate::tensor::{checked_numel, Tensor};

/// What the border contains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PadFill {
    /// Zeros (`mode="constant"`, value 0).
    #[default]
    Zeros,
    /// The mirror image without repeating the edge: [a b c] padded by 2 is [c b a b c b a]
    /// (`mode="reflect"`; each pad must be smaller than its axis).
    Reflect,
    /// Elements from the opposite edge, the axis being periodic: [a b c] padded by 2 is
    /// [b c a b c a b] (`mode="circular"`; each pad at most its axis).
    Circular,
}

impl From<super::conv2d::PadMode> for PadFill {
    fn from(m: super::conv2d::PadMode) -> Self {
        match m {
            super::conv2d::PadMode::Zeros => PadFill::Zeros,
            super::conv2d::PadMode::Circular => PadFill::Circular,
        }
    }
}

/// A run of the output along one axis: `len` zeros, or input elements `start .. start + len`.
#[derive(Clone, Copy, Debug)]
enum Piece {
    Zeros(usize),
    Copy { start: usize, len: usize },
}

impl Piece {
    fn len(self) -> usize {
        match self {
            Piece::Zeros(len) | Piece::Copy { len, .. } => len,
        }
    }
}

/// The pieces of an axis of length n padded by (before, after): reflect's mirrored runs are
/// single elements, as a run of `slice_block` cannot be read backwards.
fn pieces(n: usize, before: usize, after: usize, fill: PadFill) -> Vec<Piece> {
    let mut p = Vec::new();
    match fill {
        PadFill::Zeros => p.push(Piece::Zeros(before)),
        PadFill::Circular => p.push(Piece::Copy {
            start: n - before,
            len: before,
        }),
        PadFill::Reflect => p.extend((0..before).map(|i| Piece::Copy { start: before - i, len: 1 })),
    }
    p.push(Piece::Copy { start: 0, len: n });
    match fill {
        PadFill::Zeros => p.push(Piece::Zeros(after)),
        PadFill::Circular => p.push(Piece::Copy { start: 0, len: after }),
        PadFill::Reflect => p.extend((0..after).map(|i| Piece::Copy { start: n - 2 - i, len: 1 })),
    }
    p.retain(|q| q.len() > 0);
    p
}

/// One padded axis: the input viewed as [outer, n, inner] and the output's pieces.
struct Step {
    dims: AxisDims,
    pieces: Vec<Piece>,
}

impl Step {
    fn out_n(&self) -> usize {
        self.pieces.iter().map(|p| p.len()).sum()
    }

    fn forward<B: Backend>(&self, be: &B, x: &B::Storage) -> Result<B::Storage> {
        let AxisDims { outer, n, inner } = self.dims;
        let parts: Vec<(B::Storage, usize)> = self
            .pieces
            .iter()
            .map(|&p| match p {
                Piece::Zeros(len) => Ok((be.fill(outer * len * inner, 0.0)?, len * inner)),
                Piece::Copy { start, len } => Ok((be.slice_block(x, outer, n * inner, start * inner, len * inner)?, len * inner)),
            })
            .collect::<Result<_>>()?;
        let refs: Vec<(&B::Storage, usize)> = parts.iter().map(|(s, b)| (s, *b)).collect();
        be.concat(&refs, outer)
    }

    /// g [outer, out_n, inner] → [outer, n, inner]: each copied piece of g added onto the
    /// elements it came from (placed between zeros by `concat`).
    fn backward<B: Backend>(&self, be: &B, g: &B::Storage) -> Result<B::Storage> {
        let AxisDims { outer, n, inner } = self.dims;
        let (total, len) = (self.out_n() * inner, outer * n * inner);
        let mut acc: Option<B::Storage> = None;
        let mut at = 0;
        for &p in &self.pieces {
            if let Piece::Copy { start, len: l } = p {
                let gp = be.slice_block(g, outer, total, at * inner, l * inner)?;
                let placed = if l == n {
                    gp
                } else {
                    let before = be.fill(outer * start * inner, 0.0)?;
                    let after = be.fill(outer * (n - start - l) * inner, 0.0)?;
                    let parts = [(&before, start * inner), (&gp, l * inner), (&after, (n - start - l) * inner)];
                    be.concat(&parts, outer)?
                };
                acc = Some(match acc {
                    None => placed,
                    Some(a) => be.binary(BinaryOp::Add, &a, Bcast::full(len), &placed, Bcast::full(len), len)?,
                });
            }
            at += p.len();
        }
        // (No piece at all only when the axis is empty.)
        match acc {
            Some(a) => Ok(a),
            None => be.fill(len, 0.0),
        }
    }
}

struct Pad {
    /// In the order the forward applied them (last padded axis first).
    steps: Vec<Step>,
    fill: PadFill,
}

impl<B: Backend> BackwardRule<B> for Pad {
    fn name(&self) -> &str {
        "pad"
    }
    fn detail(&self) -> String {
        format!("{:?}", self.fill).to_lowercase()
    }
    fn backward(&self, c: &BackwardCtx<'_, B>) -> Result<Vec<Option<Tensor<B>>>> {
        let mut g = c.grad.storage().clone();
        for step in self.steps.iter().rev() {
            g = step.backward(c.backend, &g)?;
        }
        Ok(vec![Some(Tensor::from_storage(g, c.inputs[0].shape().to_vec()))])
    }
}

/// Pads the last `pads.len()` axes of `x`: `pads[i] = (before, after)` for axis
/// `ndim − pads.len() + i`, so `pad(x, &[(top, bottom), (left, right)], fill)` pads the H and W
/// of an [N, C, H, W] tensor. PyTorch lists the same numbers last axis first:
/// `F.pad(x, (left, right, top, bottom), mode)`.
pub fn pad<'t, B: Backend>(x: Var<'t, B>, pads: &[(usize, usize)], fill: PadFill) -> Result<Var<'t, B>> {
    let s = x.shape();
    if pads.len() > s.len() {
        return Err(Error::invalid(
            "pad",
            format!("{} axes of padding for shape {s:?} of {} axes", pads.len(), s.len()),
        ));
    }
    let first = s.len() - pads.len();
    let mut shape = s.clone();
    let mut steps = Vec::new();
    for (i, &(before, after)) in pads.iter().enumerate().rev() {
        let a = first + i;
        let n = s[a];
        let fits = match fill {
            PadFill::Zeros => true,
            PadFill::Circular => before <= n && after <= n,
            PadFill::Reflect => before < n && after < n,
        };
        if !fits {
            let rule = if fill == PadFill::Reflect { "smaller than" } else { "at most" };
            return Err(Error::invalid(
                "pad",
                format!("{fill:?} padding ({before}, {after}) of axis {a} (size {n}) in shape {s:?}: each pad must be {rule} the axis"),
            ));
        }
        let out_n = n
            .checked_add(before)
            .and_then(|m| m.checked_add(after))
            .ok_or_else(|| Error::invalid("pad", format!("padding ({before}, {after}) overflows axis {a}")))?;
        let dims = AxisDims {
            outer: shape[..a].iter().product(),
            n,
            inner: shape[a + 1..].iter().product(),
        };
        shape[a] = out_n;
        checked_numel("pad", &shape)?;
        if before + after > 0 {
            steps.push(Step {
                dims,
                pieces: pieces(n, before, after, fill),
            });
        }
    }
    let be = x.backend();
    let mut y = x.value().storage().clone();
    for step in &steps {
        y = step.forward(be, &y)?;
    }
    x.tape.record(Pad { steps, fill }, &[x], Tensor::from_storage(y, shape))
}

impl<'t, B: Backend> Var<'t, B> {
    /// Pads the last `pads.len()` axes (see [`pad`]).
    pub fn pad(self, pads: &[(usize, usize)], fill: PadFill) -> Result<Self> {
        pad(self, pads, fill)
    }
}
