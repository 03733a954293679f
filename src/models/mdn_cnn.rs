//! The thesis's Mixture Density Convolutional Network (§4), which infers the cosmological and
//! astrophysical parameters (Ω_m, σ_8, A_SN1, A_SN2, A_AGN1, A_AGN2) from one 256×256 map:
//!
//! ```text
//! input 256×256×1
//! → Conv 16 filters 4×4, "same" padding          256×256×16
//! → Batch normalisation                          256×256×16
//! → ReLU → MaxPool 2×2 stride 2                  128×128×16
//! → Conv 32 filters 3×3 same → ReLU → MaxPool 2   64×64×32
//! → Conv 64 filters 2×2 same → ReLU → MaxPool 2   32×32×64
//! → Flatten                                       65536
//! → Dense 128 ReLU → Dense 64 ReLU → Dense 64 tanh
//! → mixture head: K weights α_m (softmax, eq. 56), K means μ_m ∈ ℝ^D, K widths σ_m (eq. 57)
//! → negative log-likelihood −ln Σ_m α_m φ_m(y|x)
//! ```
//!
//! "All activation functions are ReLUs except for the second to last dense layer, whose
//! activation function is tanh" (§4). The widths are standard deviations (erratum: the thesis
//! calls σ_m a variance) and come out of `gmm_nll` as floor + softplus of the raw head output.
//!
//! ```
//! use cosmograd::models::{MdnCnn, MdnCnnConfig};
//! use cosmograd::nn::ParamStore;
//! use cosmograd::prelude::*;
//!
//! let be = Cpu::<f32>::default();
//! let mut store = ParamStore::new(be);
//! let cfg = MdnCnnConfig { input_size: 16, ..Default::default() };
//! let model = MdnCnn::new(&mut store, cfg).unwrap();
//! let tape = Tape::new(be).training(true);
//! let x = tape.input(Tensor::zeros(&be, &[2, 1, 16, 16]).unwrap());
//! let y = tape.input(Tensor::zeros(&be, &[2, 6]).unwrap());
//! let loss = model.loss(&store, x, y).unwrap();
//! assert!(loss.item().unwrap().is_finite());
//! ```

use crate::autodiff::Var;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::nn::{BatchNorm2d, Conv2d, Init, Linear, MaxPool2d, ParamStore};
use crate::ops::gmm_nll::gmm_nll;
use crate::ops::{Conv2dOptions, GmmOptions};

/// The sizes of an [`MdnCnn`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MdnCnnConfig {
    /// Side of the square input maps; the three 2×2 poolings need a multiple of 8. The thesis: 256.
    pub input_size: usize,
    /// Mixture components K (the thesis's M in eq. 56; its last dense layer has 3).
    pub components: usize,
    /// Target dimension D (the thesis's c in eq. 57): Ω_m, σ_8 and the four feedback amplitudes.
    pub target_dim: usize,
    /// One σ_m per component, as eq. 57; otherwise one per component and target dimension.
    pub isotropic: bool,
    /// Seed of the initial weights (each layer's weights are also seeded by its name).
    pub seed: u64,
}

impl Default for MdnCnnConfig {
    /// The thesis's network.
    fn default() -> Self {
        MdnCnnConfig {
            input_size: 256,
            components: 3,
            target_dim: 6,
            isotropic: true,
            seed: 42,
        }
    }
}

impl MdnCnnConfig {
    fn validate(&self) -> Result<()> {
        let s = self.input_size;
        if s == 0 || !s.is_multiple_of(8) {
            return Err(Error::invalid(
                "mdn_cnn",
                format!("input size {s} must be a positive multiple of 8 (three 2×2 max poolings)"),
            ));
        }
        if self.components == 0 || self.target_dim == 0 {
            return Err(Error::invalid(
                "mdn_cnn",
                format!("{} components of dimension {} is no mixture", self.components, self.target_dim),
            ));
        }
        Ok(())
    }
    /// Length of the flattened feature map: 64 channels of (size/8)², 65536 for the thesis.
    pub fn flat_features(&self) -> usize {
        64 * (self.input_size / 8).pow(2)
    }
}

/// The mixture parameters the network predicts for a batch of N maps.
pub struct MixtureParams<'t, B: Backend> {
    /// a [N, K]; the weights are α = softmax(a) (eq. 56).
    pub logits: Var<'t, B>,
    /// μ [N, K, D].
    pub means: Var<'t, B>,
    /// Raw widths s, [N, K] when isotropic else [N, K, D]; σ = floor + softplus(s) (see
    /// `ops/gmm_nll.rs`).
    pub raw_sigma: Var<'t, B>,
}

/// The thesis's MDN-CNN; its parameters live in a [`ParamStore`] under the names
/// `c1`, `bn1`, `c2`, `c3`, `d1`, `d2`, `d3`, `logits`, `means`, `sigmas`.
#[derive(Clone, Debug)]
pub struct MdnCnn {
    pub config: MdnCnnConfig,
    c1: Conv2d,
    bn1: BatchNorm2d,
    c2: Conv2d,
    c3: Conv2d,
    d1: Linear,
    d2: Linear,
    d3: Linear,
    logits: Linear,
    means: Linear,
    sigmas: Linear,
}

impl MdnCnn {
    /// Adds the parameters to `store`: He-normal weights before ReLUs, Xavier-uniform before
    /// tanh and in the mixture head.
    pub fn new<B: Backend>(store: &mut ParamStore<B>, config: MdnCnnConfig) -> Result<Self> {
        config.validate()?;
        let MdnCnnConfig {
            components: k,
            target_dim: d,
            seed,
            ..
        } = config;
        let same = Conv2dOptions::same();
        let (he, xavier) = (Init::HeNormal, Init::XavierUniform);
        let sigmas = if config.isotropic { k } else { k * d };
        Ok(MdnCnn {
            config,
            c1: Conv2d::new(store, "c1", 1, 16, (4, 4), same, true, he, seed)?,
            bn1: BatchNorm2d::new(store, "bn1", 16)?,
            c2: Conv2d::new(store, "c2", 16, 32, (3, 3), same, true, he, seed)?,
            c3: Conv2d::new(store, "c3", 32, 64, (2, 2), same, true, he, seed)?,
            d1: Linear::new(store, "d1", config.flat_features(), 128, true, he, seed)?,
            d2: Linear::new(store, "d2", 128, 64, true, he, seed)?,
            d3: Linear::new(store, "d3", 64, 64, true, xavier, seed)?,
            logits: Linear::new(store, "logits", 64, k, true, xavier, seed)?,
            means: Linear::new(store, "means", 64, k * d, true, xavier, seed)?,
            sigmas: Linear::new(store, "sigmas", 64, sigmas, true, xavier, seed)?,
        })
    }

    /// The mixture parameters for maps x [N, 1, S, S]. On a training tape the batch norm uses
    /// the batch statistics and queues its running-statistic update (see `nn::BatchNorm`).
    pub fn forward<'t, B: Backend>(&self, s: &ParamStore<B>, x: Var<'t, B>) -> Result<MixtureParams<'t, B>> {
        let size = self.config.input_size;
        let xs = x.shape();
        if xs.len() != 4 || xs[1..] != [1, size, size] {
            return Err(Error::shape(
                "mdn_cnn",
                &xs,
                &[xs.first().copied().unwrap_or(0), 1, size, size],
                "expected maps [N, 1, S, S] of the configured input size",
            ));
        }
        // The labels name the values in traces and pictures of the tape (`Tape::to_dot`); a
        // dense layer's X and h are the thesis's pre-activation and output (eqs. 1–2).
        let pool = MaxPool2d::new(2);
        let h = self.c1.forward(s, x)?.named("conv1");
        let h = self.bn1.forward(s, h)?.named("bn1");
        let h = pool.forward(h.relu()?.named("relu1"))?.named("pool1");
        let h = self.c2.forward(s, h)?.named("conv2");
        let h = pool.forward(h.relu()?.named("relu2"))?.named("pool2");
        let h = self.c3.forward(s, h)?.named("conv3");
        let h = pool.forward(h.relu()?.named("relu3"))?.named("pool3");
        let h = h.flatten()?.named("flat");
        let h = self.d1.forward(s, h)?.named("dense1 X").relu()?.named("dense1 h");
        let h = self.d2.forward(s, h)?.named("dense2 X").relu()?.named("dense2 h");
        let h = self.d3.forward(s, h)?.named("dense3 X").tanh()?.named("dense3 h");
        let (n, k, d) = (xs[0], self.config.components, self.config.target_dim);
        let logits = self.logits.forward(s, h)?.named("logits a");
        let means = self
            .means
            .forward(s, h)?
            .named("means (flat)")
            .reshape(&[n, k, d])?
            .named("means μ");
        let raw_sigma = self.sigmas.forward(s, h)?.named("raw σ");
        let raw_sigma = if self.config.isotropic {
            raw_sigma
        } else {
            raw_sigma.reshape(&[n, k, d])?
        };
        Ok(MixtureParams { logits, means, raw_sigma })
    }

    /// The training loss: the mean over the batch of −ln p(y|x), p from eqs. 56–57, for
    /// targets y [N, D].
    pub fn loss<'t, B: Backend>(&self, s: &ParamStore<B>, x: Var<'t, B>, y: Var<'t, B>) -> Result<Var<'t, B>> {
        let m = self.forward(s, x)?;
        let opts = GmmOptions {
            isotropic: self.config.isotropic,
            ..Default::default()
        };
        Ok(gmm_nll(m.logits, m.means, m.raw_sigma, y, opts)?
            .named("−ln p(y|x)")
            .mean()?
            .named("E"))
    }
}
