//! A stronger MDN-CNN for periodic maps, beside the thesis's (`mdn_cnn.rs`):
//!
//! ```text
//! input S×S×C
//! → stage 1: [Conv w₁ 3×3 circular → BatchNorm → ReLU] × convs     S×S×w₁
//! → AvgPool 2 → stage 2 (w₂) → … → stage L (w_L)                   S/2^(L−1) × … × w_L
//! → global average pooling                                          w_L
//! → Dense hidden ReLU → Dropout p
//! → mixture head (K weights, K×D means, K×D widths)
//! ```
//!
//! Why each choice, for CMD-style maps (science.md §3–4):
//! - **Circular padding**: the maps are periodic (a slab of a periodic box), so the opposite
//!   edge is the true neighbour; zero padding would invent an edge the data never has.
//! - **Global average pooling** instead of flattening: the parameters are properties of the
//!   field's statistics, the same wherever in the map they are measured. A ReLU of a band-passed
//!   field averaged over the map is a band-power estimate, which is what carries the information
//!   of a Gaussian field; flattening (the thesis's 65536 → 128 layer, 8.4 M weights) instead
//!   lets the network memorise positions of individual structures and overfit 3000 maps.
//! - **Average pooling** between stages keeps the field's low-k content linear (max pooling
//!   of a Gaussian field mixes scales); **two convolutions per stage** give each scale a
//!   receptive field of 5×5 at its resolution.
//! - **Diagonal widths** (one σ per component and parameter): Ω_m and a feedback amplitude
//!   are constrained to very different precision, which one σ per component cannot say.

use super::mdn_cnn::check_input;
use super::mixture_head::{MixtureHead, MixtureParams};
use crate::autodiff::Var;
use crate::backend::{Backend, SigmaParam};
use crate::error::{Error, Result};
use crate::nn::{AvgPool2d, BatchNorm2d, Conv2d, Dropout, GlobalAvgPool2d, Init, Linear, ParamStore};
use crate::ops::{Conv2dOptions, PadMode, Padding};

/// The sizes of an [`MdnPeriodic`].
#[derive(Clone, Debug, PartialEq)]
pub struct MdnPeriodicConfig {
    pub input_size: usize,
    pub in_channels: usize,
    /// Channels of each stage; the map is halved between stages.
    pub widths: Vec<usize>,
    /// 3×3 convolutions per stage.
    pub convs_per_stage: usize,
    /// Width of the dense layer before the head.
    pub hidden: usize,
    /// Drop probability after the dense layer (training only).
    pub dropout: f64,
    pub components: usize,
    pub target_dim: usize,
    pub isotropic: bool,
    pub sigma: SigmaParam,
    pub seed: u64,
}

impl Default for MdnPeriodicConfig {
    fn default() -> Self {
        MdnPeriodicConfig {
            input_size: 64,
            in_channels: 1,
            widths: vec![16, 32, 64, 128],
            convs_per_stage: 2,
            hidden: 128,
            dropout: 0.1,
            components: 3,
            target_dim: 6,
            isotropic: false,
            sigma: SigmaParam::Softplus { floor: 1e-3 },
            seed: 42,
        }
    }
}

impl MdnPeriodicConfig {
    fn validate(&self) -> Result<()> {
        let stages = self.widths.len();
        if stages == 0 || self.widths.contains(&0) || self.convs_per_stage == 0 || self.hidden == 0 {
            return Err(Error::invalid(
                "mdn_periodic",
                format!(
                    "widths {:?}, {} convolutions per stage and a hidden layer of {}: each must be ≥ 1",
                    self.widths, self.convs_per_stage, self.hidden
                ),
            ));
        }
        let div = 1usize << (stages - 1);
        if self.input_size == 0 || !self.input_size.is_multiple_of(div) {
            return Err(Error::invalid(
                "mdn_periodic",
                format!(
                    "input size {} must be a positive multiple of {div} ({} halvings between {stages} stages)",
                    self.input_size,
                    stages - 1
                ),
            ));
        }
        if self.components == 0 || self.target_dim == 0 || self.in_channels == 0 {
            return Err(Error::invalid(
                "mdn_periodic",
                format!(
                    "{} components of dimension {} on {} input channels is no model",
                    self.components, self.target_dim, self.in_channels
                ),
            ));
        }
        Dropout::new(self.dropout)?;
        Ok(())
    }
}

/// One convolution with its batch norm.
#[derive(Clone, Debug)]
struct ConvBn {
    conv: Conv2d,
    bn: BatchNorm2d,
}

/// The periodic MDN-CNN; parameters `s<i>c<j>` (convolution j of stage i, no bias: the batch
/// norm's β is the threshold), `s<i>c<j>bn`, `hidden`, and the head's `logits`, `means`,
/// `sigmas`.
#[derive(Clone, Debug)]
pub struct MdnPeriodic {
    pub config: MdnPeriodicConfig,
    stages: Vec<Vec<ConvBn>>,
    hidden: Linear,
    dropout: Dropout,
    pub head: MixtureHead,
}

impl MdnPeriodic {
    pub fn new<B: Backend>(store: &mut ParamStore<B>, config: MdnPeriodicConfig) -> Result<Self> {
        config.validate()?;
        let seed = config.seed;
        let circular = Conv2dOptions::new(1, Padding::Same, PadMode::Circular);
        let mut stages = Vec::new();
        let mut c_in = config.in_channels;
        for (i, &w) in config.widths.iter().enumerate() {
            let mut stage = Vec::new();
            for j in 0..config.convs_per_stage {
                let name = format!("s{i}c{j}");
                let conv = Conv2d::new(store, &name, c_in, w, (3, 3), circular, false, Init::HeNormal, seed)?;
                let bn = BatchNorm2d::new(store, &format!("{name}bn"), w)?;
                stage.push(ConvBn { conv, bn });
                c_in = w;
            }
            stages.push(stage);
        }
        let hidden = Linear::new(store, "hidden", c_in, config.hidden, true, Init::HeNormal, seed)?;
        let head = MixtureHead::new(
            store,
            config.hidden,
            config.components,
            config.target_dim,
            config.isotropic,
            config.sigma,
            Init::XavierUniform,
            seed,
        )?;
        Ok(MdnPeriodic {
            dropout: Dropout::new(config.dropout)?,
            config,
            stages,
            hidden,
            head,
        })
    }

    pub fn forward<'t, B: Backend>(&self, s: &ParamStore<B>, x: Var<'t, B>) -> Result<MixtureParams<'t, B>> {
        check_input("mdn_periodic", &x.shape(), self.config.in_channels, self.config.input_size)?;
        let mut h = x;
        for (i, stage) in self.stages.iter().enumerate() {
            if i > 0 {
                h = AvgPool2d::new(2).forward(h)?.named(&format!("pool{i}"));
            }
            for (j, l) in stage.iter().enumerate() {
                h = l.conv.forward(s, h)?.named(&format!("s{i}c{j}"));
                h = l.bn.forward(s, h)?.relu()?.named(&format!("s{i}c{j} h"));
            }
        }
        let h = GlobalAvgPool2d.forward(h)?.named("global pool");
        let h = self.hidden.forward(s, h)?.relu()?.named("hidden h");
        let h = self.dropout.forward(h)?;
        self.head.forward(s, h)
    }
}
