//! The mixture density network's loss (thesis §3.4, eqs. 56–57; Bishop 1994): the negative
//! log-likelihood of targets y under p(y|x) = Σ_m α_m(x) φ_m(y|x), one value per sample.
//!
//! Inputs: mixture logits a [N, K] (α = softmax(a), eq. 56), means μ [N, K, D], raw widths s
//! [N, K, D] (diagonal) or [N, K] (isotropic, eq. 57, where σ_m is a standard deviation —
//! erratum: the thesis calls it a variance), targets y [N, D]. σ = floor + softplus(s) keeps
//! every width positive and bounded below, so the likelihood cannot run off to infinity on a
//! collapsing component.
//!
//! The forward saves the responsibilities γ_m = α_m φ_m / Σ_j α_j φ_j; the backward rule
//! (derived in `notes/gmm_nll.md`, computed in `backend/cpu/gmm_nll.rs`) is
//!   ∂E/∂a_m = α_m − γ_m,  ∂E/∂μ_md = −γ_m (y_d − μ_md)/σ²,  ∂E/∂σ = γ_m (1/σ − r²/σ³) per dim.

use crate::autodiff::{BackwardCtx, BackwardRule, Var};
use crate::backend::{AxisDims, Backend, GmmDims, GmmInputs, SigmaParam, UnaryOp};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Options of the mixture NLL.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GmmOptions {
    /// One σ per component (thesis eq. 57) instead of one per component and dimension.
    pub isotropic: bool,
    pub sigma: SigmaParam,
}

impl Default for GmmOptions {
    fn default() -> Self {
        GmmOptions {
            isotropic: false,
            sigma: SigmaParam::Softplus { floor: 1e-3 },
        }
    }
}

struct GmmNll<B: Backend> {
    dims: GmmDims,
    /// Responsibilities γ [N, K], saved by the forward.
    gamma: B::Storage,
}

impl<B: Backend> BackwardRule<B> for GmmNll<B> {
    fn name(&self) -> &str {
        "gmm_nll"
    }
    fn detail(&self) -> String {
        format!(
            "K={} D={}{}",
            self.dims.k,
            self.dims.d,
            if self.dims.isotropic { " isotropic" } else { "" }
        )
    }
    fn backward(&self, c: &BackwardCtx<'_, B>) -> Result<Vec<Option<Tensor<B>>>> {
        let inp = GmmInputs {
            logits: c.inputs[0].storage(),
            means: c.inputs[1].storage(),
            raw_sigma: c.inputs[2].storage(),
            target: c.inputs[3].storage(),
        };
        let (ga, gm, gs) = c.backend.gmm_nll_backward(inp, &self.gamma, c.grad.storage(), self.dims)?;
        // The target enters only through z = (y − μ)/σ, as y − μ: ∂E/∂y_d = −Σ_k ∂E/∂μ_kd.
        let gy = if c.needs[3] {
            let d = self.dims;
            let s = c.backend.sum_axis(
                &gm,
                AxisDims {
                    outer: d.n,
                    n: d.k,
                    inner: d.d,
                },
            )?;
            Some(c.backend.unary(UnaryOp::Neg, &s)?)
        } else {
            None
        };
        let wrap = |s, j: usize| c.needs[j].then(|| Tensor::from_storage(s, c.inputs[j].shape().to_vec()));
        Ok(vec![wrap(ga, 0), wrap(gm, 1), wrap(gs, 2), gy.and_then(|s| wrap(s, 3))])
    }
}

/// Per-sample mixture NLL [N]; take `.mean()` for the training loss. The alias of
/// [`Var::gmm_nll`] (`logits.gmm_nll(means, raw_sigma, target, opts)`).
pub fn gmm_nll<'t, B: Backend>(
    logits: Var<'t, B>,
    means: Var<'t, B>,
    raw_sigma: Var<'t, B>,
    target: Var<'t, B>,
    opts: GmmOptions,
) -> Result<Var<'t, B>> {
    let (sl, sm, ss, sy) = (logits.shape(), means.shape(), raw_sigma.shape(), target.shape());
    if sl.len() != 2 || sy.len() != 2 {
        return Err(Error::shape("gmm_nll", &sl, &sy, "expected logits [N, K] and targets [N, D]"));
    }
    let (n, k, d) = (sl[0], sl[1], sy[1]);
    if sy[0] != n || k == 0 || d == 0 {
        return Err(Error::shape(
            "gmm_nll",
            &sl,
            &sy,
            "logits and targets must share N, with K ≥ 1 and D ≥ 1",
        ));
    }
    if sm != [n, k, d] {
        return Err(Error::shape("gmm_nll", &sm, &[n, k, d], "means must be [N, K, D]"));
    }
    let want_s: Vec<usize> = if opts.isotropic { vec![n, k] } else { vec![n, k, d] };
    if ss != want_s {
        return Err(Error::shape(
            "gmm_nll",
            &ss,
            &want_s,
            "raw sigmas must be [N, K] (isotropic) or [N, K, D]",
        ));
    }
    let floor = match opts.sigma {
        SigmaParam::Softplus { floor } | SigmaParam::Exp { floor } => floor,
    };
    if floor.is_nan() || floor < 0.0 {
        return Err(Error::invalid("gmm_nll", format!("sigma floor must be ≥ 0, got {floor}")));
    }
    let dims = GmmDims {
        n,
        k,
        d,
        isotropic: opts.isotropic,
        sigma: opts.sigma,
    };
    let (vl, vm, vs, vy) = (logits.value(), means.value(), raw_sigma.value(), target.value());
    let inp = GmmInputs {
        logits: vl.storage(),
        means: vm.storage(),
        raw_sigma: vs.storage(),
        target: vy.storage(),
    };
    let (nll, gamma) = logits.backend().gmm_nll_forward(inp, dims)?;
    logits.tape.record(
        GmmNll::<B> { dims, gamma },
        &[logits, means, raw_sigma, target],
        Tensor::from_storage(nll, vec![n]),
    )
}

impl<'t, B: Backend> Var<'t, B> {
    /// The mixture NLL with `self` as the mixture logits [N, K] (see [`gmm_nll`]).
    pub fn gmm_nll(self, means: Self, raw_sigma: Self, target: Self, opts: GmmOptions) -> Result<Self> {
        gmm_nll(self, means, raw_sigma, target, opts)
    }
}

impl GmmOptions {
    /// One σ per component (shared by the D dimensions) instead of one per dimension.
    pub fn isotropic(mut self, on: bool) -> Self {
        self.isotropic = on;
        self
    }
    /// How σ is made positive from the raw network output (and its floor).
    pub fn sigma(mut self, sigma: SigmaParam) -> Self {
        self.sigma = sigma;
        self
    }
}
