//! The fully connected layer in the thesis's notation: X_i = Σ_j V_ij h_j + T_i (eqs. 1, 3;
//! erratum: eqs. 13–14 put a stray ½ here), for a batch h [N, in], weights V [out, in]
//! (PyTorch's layout) and thresholds T [out]: X = h Vᵀ + T.
//!
//! Backward, with g = ∂E/∂X [N, out]:
//!   ∂E/∂h = g V          [N, in]   (eq. 21: the error sent one layer down)
//!   ∂E/∂V = gᵀ h         [out, in] (eq. 19: error × the input that fed the weight)
//!   ∂E/∂T = Σ_batch g    [out]     (eq. 20: the threshold's input is 1)

use crate::autodiff::{BackwardCtx, BackwardRule, Var};
use crate::backend::{Backend, Bcast, BinaryOp, MatmulDims};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

struct Linear {
    n: usize,
    fin: usize,
    fout: usize,
}

impl<B: Backend> BackwardRule<B> for Linear {
    fn name(&self) -> &str {
        "linear"
    }
    fn detail(&self) -> String {
        format!("{}→{}", self.fin, self.fout)
    }
    fn backward(&self, c: &BackwardCtx<'_, B>) -> Result<Vec<Option<Tensor<B>>>> {
        let Linear { n, fin, fout } = *self;
        let be = c.backend;
        let (h, v, g) = (c.inputs[0].storage(), c.inputs[1].storage(), c.grad.storage());
        let gh = c.needs[0]
            .then(|| {
                be.matmul(
                    g,
                    v,
                    MatmulDims {
                        m: n,
                        k: fout,
                        n: fin,
                        trans_a: false,
                        trans_b: false,
                    },
                )
            })
            .transpose()?;
        let gv = c.needs[1]
            .then(|| {
                be.matmul(
                    g,
                    h,
                    MatmulDims {
                        m: fout,
                        k: n,
                        n: fin,
                        trans_a: true,
                        trans_b: false,
                    },
                )
            })
            .transpose()?;
        let mut out = vec![
            gh.map(|s| Tensor::from_storage(s, vec![n, fin])),
            gv.map(|s| Tensor::from_storage(s, vec![fout, fin])),
        ];
        if c.inputs.len() == 3 {
            let gt = c.needs[2]
                .then(|| be.reduce_bcast(g, Bcast { mid: fout, inner: 1 }, n * fout))
                .transpose()?;
            out.push(gt.map(|s| Tensor::from_storage(s, vec![fout])));
        }
        Ok(out)
    }
}

/// X = h Vᵀ + T for h [N, in], V [out, in], optional T [out].
pub fn linear<'t, B: Backend>(h: Var<'t, B>, v: Var<'t, B>, t: Option<Var<'t, B>>) -> Result<Var<'t, B>> {
    let (sh, sv) = (h.shape(), v.shape());
    if sh.len() != 2 || sv.len() != 2 || sh[1] != sv[1] {
        return Err(Error::shape("linear", &sh, &sv, "expected input [N, in] and weight [out, in]"));
    }
    let (n, fin, fout) = (sh[0], sh[1], sv[0]);
    if let Some(t) = t {
        if t.shape() != [fout] {
            return Err(Error::shape("linear", &sv, &t.shape(), "bias must be [out]"));
        }
    }
    crate::tensor::checked_numel("linear", &[n, fout])?;
    let be = h.backend();
    let mut x = be.matmul(
        h.value().storage(),
        v.value().storage(),
        MatmulDims {
            m: n,
            k: fin,
            n: fout,
            trans_a: false,
            trans_b: true,
        },
    )?;
    let mut inputs = vec![h, v];
    if let Some(t) = t {
        x = be.binary(
            BinaryOp::Add,
            &x,
            Bcast::full(n * fout),
            t.value().storage(),
            Bcast { mid: fout, inner: 1 },
            n * fout,
        )?;
        inputs.push(t);
    }
    h.tape
        .record(Linear { n, fin, fout }, &inputs, Tensor::from_storage(x, vec![n, fout]))
}

impl<'t, B: Backend> Var<'t, B> {
    /// self · Vᵀ + T.
    pub fn linear(self, weight: Self, bias: Option<Self>) -> Result<Self> {
        linear(self, weight, bias)
    }
}
