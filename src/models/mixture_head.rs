//! The mixture density head shared by the MDN models (thesis eqs. 56–57; Bishop 1994): three
//! dense layers from a feature vector h to the mixture's logits a [N, K] (weights
//! α = softmax(a)), means μ [N, K, D] and raw widths s ([N, K] isotropic, [N, K, D] otherwise,
//! σ = floor + softplus(s) or floor + exp(s)), and the loss −ln Σ_m α_m φ_m(y|x).

use crate::autodiff::Var;
use crate::backend::{Backend, SigmaParam};
use crate::error::Result;
use crate::nn::{Init, Linear, ParamStore};
use crate::ops::gmm_nll::gmm_nll;
use crate::ops::GmmOptions;

/// The mixture parameters a model predicts for a batch of N maps.
pub struct MixtureParams<'t, B: Backend> {
    /// a [N, K]; the weights are α = softmax(a) (eq. 56).
    pub logits: Var<'t, B>,
    /// μ [N, K, D].
    pub means: Var<'t, B>,
    /// Raw widths s, [N, K] when isotropic else [N, K, D]; σ from `sigma` (see
    /// `ops/gmm_nll.rs`).
    pub raw_sigma: Var<'t, B>,
}

/// Layers `logits`, `means` and `sigmas` on a feature vector of length `features`.
#[derive(Clone, Debug)]
pub struct MixtureHead {
    pub components: usize,
    pub target_dim: usize,
    pub isotropic: bool,
    pub sigma: SigmaParam,
    logits: Linear,
    means: Linear,
    sigmas: Linear,
}

impl MixtureHead {
    /// Xavier-uniform weights; biases from the layers' default (callers may reset them).
    #[allow(clippy::too_many_arguments)]
    pub fn new<B: Backend>(
        store: &mut ParamStore<B>,
        features: usize,
        components: usize,
        target_dim: usize,
        isotropic: bool,
        sigma: SigmaParam,
        init: Init,
        seed: u64,
    ) -> Result<Self> {
        let (k, d) = (components, target_dim);
        let widths = if isotropic { k } else { k * d };
        Ok(MixtureHead {
            components,
            target_dim,
            isotropic,
            sigma,
            logits: Linear::new(store, "logits", features, k, true, init, seed)?,
            means: Linear::new(store, "means", features, k * d, true, init, seed)?,
            sigmas: Linear::new(store, "sigmas", features, widths, true, init, seed)?,
        })
    }
    /// The names of the head's biases (for initialisers that zero them).
    pub fn biases(&self) -> impl Iterator<Item = &String> {
        [&self.logits, &self.means, &self.sigmas]
            .into_iter()
            .filter_map(|l| l.bias.as_ref())
    }
    /// The mixture parameters from features h [N, F].
    pub fn forward<'t, B: Backend>(&self, s: &ParamStore<B>, h: Var<'t, B>) -> Result<MixtureParams<'t, B>> {
        let (n, k, d) = (h.shape()[0], self.components, self.target_dim);
        let logits = self.logits.forward(s, h)?.named("logits a");
        let means = self
            .means
            .forward(s, h)?
            .named("means (flat)")
            .reshape(&[n, k, d])?
            .named("means μ");
        let raw_sigma = self.sigmas.forward(s, h)?.named("raw σ");
        let raw_sigma = if self.isotropic {
            raw_sigma
        } else {
            raw_sigma.reshape(&[n, k, d])?
        };
        Ok(MixtureParams { logits, means, raw_sigma })
    }
    /// −ln p(y|x) per sample [N] for targets y [N, D].
    pub fn nll<'t, B: Backend>(&self, m: &MixtureParams<'t, B>, y: Var<'t, B>) -> Result<Var<'t, B>> {
        let opts = GmmOptions {
            isotropic: self.isotropic,
            sigma: self.sigma,
        };
        Ok(gmm_nll(m.logits, m.means, m.raw_sigma, y, opts)?.named("−ln p(y|x)"))
    }
}
