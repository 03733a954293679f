//! A stronger MDN-CNN for periodic maps, beside the thesis's (`mdn_cnn.rs`):
//!
//! ```text
//! input S×S×C
//! → stem: [Conv 16 3×3 stride 2 circular → BatchNorm → ReLU] × n_stem      S/2^n_stem
//! → stage 1: [Conv w₁ 3×3 circular → BatchNorm → ReLU] × n₁
//! → AvgPool 2 → stage 2 (w₂, n₂) → … → stage L (w_L, n_L)
//! → global average pooling                                                w_L
//! → Dense hidden ReLU → Dropout p
//! → mixture head (K weights, K×D means, K×D widths)
//! ```
//!
//! [`MdnPeriodicConfig::stages_for`] sizes it for a map side: a stem of stride-2 layers down to
//! 64×64, then stages of widths 16, 32, 64, 128 (two convolutions each) down to 8×8. The stem
//! filters the map at full resolution (what the high-k band powers need) but keeps only every
//! other pixel of the result: a full-resolution stage would cost more than all the rest.
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
    /// Stride-2 convolutions (16 channels) before the stages.
    pub stem: usize,
    /// Channels of each stage; the map is halved between stages.
    pub widths: Vec<usize>,
    /// 3×3 convolutions of each stage.
    pub convs: Vec<usize>,
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
            stem: 0,
            widths: vec![16, 32, 64, 128],
            convs: vec![2, 2, 2, 2],
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
    /// (stem, widths, convolutions per stage) for maps of side `size` (see the module docs).
    pub fn stages_for(size: usize) -> (usize, Vec<usize>, Vec<usize>) {
        let mut side = size;
        let mut stem = 0;
        // Halve while the result stays at 64×64 or more (96 keeps its side: 48 would lose scales).
        while side / 2 >= 64 && side.is_multiple_of(2) {
            side /= 2;
            stem += 1;
        }
        let mut stages = 1;
        while side.is_multiple_of(1 << stages) && side >> stages >= 8 && stages < 4 {
            stages += 1;
        }
        let trunk = [16, 32, 64, 128];
        (stem, trunk[..stages].to_vec(), vec![2; stages])
    }
    fn validate(&self) -> Result<()> {
        let stages = self.widths.len();
        if stages == 0 || self.widths.contains(&0) || self.convs.contains(&0) || self.hidden == 0 || self.convs.len() != stages {
            return Err(Error::invalid(
                "mdn_periodic",
                format!(
                    "widths {:?}, convolutions {:?} per stage and a hidden layer of {}: one count per stage, each ≥ 1",
                    self.widths, self.convs, self.hidden
                ),
            ));
        }
        let div = 1usize << (self.stem + stages - 1);
        if self.input_size == 0 || !self.input_size.is_multiple_of(div) {
            return Err(Error::invalid(
                "mdn_periodic",
                format!(
                    "input size {} must be a positive multiple of {div} ({} stride-2 layers and {} halvings between {stages} stages)",
                    self.input_size,
                    self.stem,
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

/// The periodic MDN-CNN; parameters `stem<i>` and `s<i>c<j>` (stem layer i, convolution j of
/// stage i; no biases: the batch norm's β is the threshold), each with its batch norm
/// `stem<i>bn`, `s<i>c<j>bn`, then `hidden`, and the head's `logits`, `means`, `sigmas`.
#[derive(Clone, Debug)]
pub struct MdnPeriodic {
    pub config: MdnPeriodicConfig,
    stem: Vec<ConvBn>,
    stages: Vec<Vec<ConvBn>>,
    hidden: Linear,
    dropout: Dropout,
    pub head: MixtureHead,
}

impl MdnPeriodic {
    pub fn new<B: Backend>(store: &mut ParamStore<B>, config: MdnPeriodicConfig) -> Result<Self> {
        config.validate()?;
        let seed = config.seed;
        let mut c_in = config.in_channels;
        let mut layer = |store: &mut ParamStore<B>, name: String, w: usize, stride: usize| -> Result<ConvBn> {
            let opts = Conv2dOptions::new(stride, Padding::Same, PadMode::Circular);
            let conv = Conv2d::new(store, &name, c_in, w, (3, 3), opts, false, Init::HeNormal, seed)?;
            let bn = BatchNorm2d::new(store, &format!("{name}bn"), w)?;
            c_in = w;
            Ok(ConvBn { conv, bn })
        };
        let stem = (0..config.stem)
            .map(|i| layer(store, format!("stem{i}"), 16, 2))
            .collect::<Result<Vec<_>>>()?;
        let mut stages = Vec::new();
        for (i, (&w, &convs)) in config.widths.iter().zip(&config.convs).enumerate() {
            stages.push(
                (0..convs)
                    .map(|j| layer(store, format!("s{i}c{j}"), w, 1))
                    .collect::<Result<Vec<_>>>()?,
            );
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
            stem,
            stages,
            hidden,
            head,
        })
    }

    pub fn forward<'t, B: Backend>(&self, s: &ParamStore<B>, x: Var<'t, B>) -> Result<MixtureParams<'t, B>> {
        check_input("mdn_periodic", &x.shape(), self.config.in_channels, self.config.input_size)?;
        let mut h = x;
        for (i, l) in self.stem.iter().enumerate() {
            h = l.conv.forward(s, h)?.named(&format!("stem{i}"));
            h = l.bn.forward(s, h)?.relu()?.named(&format!("stem{i} h"));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stride_two_stem_down_to_sixty_four_then_stages_down_to_eight() {
        let s = MdnPeriodicConfig::stages_for;
        assert_eq!(s(64), (0, vec![16, 32, 64, 128], vec![2, 2, 2, 2]));
        assert_eq!(s(128), (1, vec![16, 32, 64, 128], vec![2, 2, 2, 2]));
        assert_eq!(s(256), (2, vec![16, 32, 64, 128], vec![2, 2, 2, 2]));
        assert_eq!(s(32), (0, vec![16, 32, 64], vec![2, 2, 2]));
        assert_eq!(s(8), (0, vec![16], vec![2]));
        assert_eq!(s(12), (0, vec![16], vec![2])); // 6×6 would be below 8×8
        assert_eq!(s(96), (0, vec![16, 32, 64, 128], vec![2, 2, 2, 2])); // 96 → 48 → 24 → 12
        assert_eq!(s(192), (1, vec![16, 32, 64, 128], vec![2, 2, 2, 2])); // 192 → 96, then as 96
    }
}
