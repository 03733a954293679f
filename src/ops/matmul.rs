//! C = op(A) · op(B) for 2-D A, B, op ∈ {identity, transpose}.
//!
//! Backward (g = ∂E/∂C): ∂E/∂op(A) = g · op(B)ᵀ and ∂E/∂op(B) = op(A)ᵀ · g; where an operand
//! was used transposed, its gradient is the transpose of that, which the transpose flags of
//! the same kernel express without copying.

use crate::autodiff::{BackwardCtx, BackwardRule, Var};
use crate::backend::{Backend, MatmulDims};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

struct Matmul {
    d: MatmulDims,
}

impl<B: Backend> BackwardRule<B> for Matmul {
    fn name(&self) -> &str {
        "matmul"
    }
    fn detail(&self) -> String {
        format!("{}×{}·{}×{}", self.d.m, self.d.k, self.d.k, self.d.n)
    }
    fn backward(&self, c: &BackwardCtx<'_, B>) -> Result<Vec<Option<Tensor<B>>>> {
        let MatmulDims { m, k, n, trans_a, trans_b } = self.d;
        let (a, b, g) = (c.inputs[0].storage(), c.inputs[1].storage(), c.grad.storage());
        let mm = |x, y, m, k, n, ta, tb| {
            c.backend.matmul(
                x,
                y,
                MatmulDims {
                    m,
                    k,
                    n,
                    trans_a: ta,
                    trans_b: tb,
                },
            )
        };
        let ga = c.needs[0]
            .then(|| {
                if trans_a {
                    mm(b, g, k, n, m, trans_b, true) // Aᵀ's gradient transposed: op(B) · gᵀ
                } else {
                    mm(g, b, m, n, k, false, !trans_b) // g · op(B)ᵀ
                }
            })
            .transpose()?;
        let gb = c.needs[1]
            .then(|| {
                if trans_b {
                    mm(g, a, n, m, k, true, trans_a) // gᵀ · op(A)
                } else {
                    mm(a, g, k, m, n, !trans_a, false) // op(A)ᵀ · g
                }
            })
            .transpose()?;
        let wrap = |s: Option<B::Storage>, t: &Tensor<B>| s.map(|s| Tensor::from_storage(s, t.shape().to_vec()));
        Ok(vec![wrap(ga, c.inputs[0]), wrap(gb, c.inputs[1])])
    }
}

/// op(A) · op(B); `trans_a`/`trans_b` say whether each stored matrix is used transposed.
pub fn matmul_t<'t, B: Backend>(a: Var<'t, B>, b: Var<'t, B>, trans_a: bool, trans_b: bool) -> Result<Var<'t, B>> {
    let (sa, sb) = (a.shape(), b.shape());
    if sa.len() != 2 || sb.len() != 2 {
        return Err(Error::shape("matmul", &sa, &sb, "both operands must be 2-D"));
    }
    let (m, ka) = if trans_a { (sa[1], sa[0]) } else { (sa[0], sa[1]) };
    let (kb, n) = if trans_b { (sb[1], sb[0]) } else { (sb[0], sb[1]) };
    if ka != kb {
        return Err(Error::shape("matmul", &sa, &sb, format!("inner dimensions differ ({ka} vs {kb})")));
    }
    // [m, 0]·[0, n] holds no elements but makes m·n of them: the count must exist.
    crate::tensor::checked_numel("matmul", &[m, n])?;
    let d = MatmulDims {
        m,
        k: ka,
        n,
        trans_a,
        trans_b,
    };
    let out = a.backend().matmul(a.value().storage(), b.value().storage(), d)?;
    a.tape.record(Matmul { d }, &[a, b], Tensor::from_storage(out, vec![m, n]))
}

impl<'t, B: Backend> Var<'t, B> {
    /// self · other.
    pub fn matmul(self, other: Self) -> Result<Self> {
        matmul_t(self, other, false, false)
    }
}
