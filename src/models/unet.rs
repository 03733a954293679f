//! The DDPM's noise-prediction network ε_θ(x_t, t): a U-Net on [N, 1, S, S] fields.
//!
//! The report's network (its Table 2.1) is an encoder/decoder with 10 base channels doubling
//! towards a 160-channel bottleneck and skip connections; this one keeps those sizes and adds
//! what a DDPM's U-Net has (Ho et al. 2020): a sinusoidal embedding of t injected in every
//! block, group normalisation in every block, SiLU, residual blocks. With the defaults
//! (S = 64, 10 base channels, depth 5):
//!
//! ```text
//! level  size   encoder block        decoder block (input: upsampled ⊕ skip)
//!   0    64²    10 → 10              20 → 10      → out conv 10 → 1
//!   1    32²    10 → 20              40 → 20      ↑ transposed conv 2×2/2, 20 → 10
//!   2    16²    20 → 40              80 → 40      ↑ 40 → 20
//!   3     8²    40 → 80             160 → 80      ↑ 80 → 40
//!   4     4²    80 → 160, middle 160 → 160, 320 → 160   ↑ 160 → 80
//! ```
//!
//! Going down, a 3×3 convolution of stride 2 halves the size; going up, a 2×2 transposed
//! convolution of stride 2 doubles it and halves the channels, and the result is concatenated
//! with the encoder's output of that level (the skip connection). The report's bottleneck is
//! 160 × 1 × 1; here the 160 channels sit at 4 × 4 (depth 5), and depth 7 reaches 1 × 1.
//!
//! A residual block (c_in → c_out), with e the time embedding [N, E]:
//!
//! ```text
//! h = conv3×3(SiLU(GN(x)))                     c_in → c_out
//! h = h + Linear(SiLU(e)) as [N, c_out, 1, 1]  the time, per channel
//! h = conv3×3(SiLU(GN(h)))                     c_out → c_out
//! out = h + (x, or conv1×1(x) when c_in ≠ c_out)
//! ```
//!
//! The time embedding: sin/cos of t at D geometrically spaced frequencies (Vaswani et al.
//! 2017, as Ho et al.), then Linear(D → E), SiLU, Linear(E → E), E = 4 × base channels. With
//! `circular`, every 3×3 convolution wraps around the edges: the density slices are periodic.

use crate::autodiff::Var;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::nn::{Conv2d, ConvTranspose2d, GroupNorm, Init, Linear, ParamStore};
use crate::ops::{Conv2dOptions, ConvTranspose2dOptions, PadMode, Padding};
use crate::tensor::Tensor;
use serde::{Deserialize, Serialize};

/// The sizes of a [`UNet`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UNetConfig {
    /// Channels of the fields (1 for density slices).
    pub in_channels: usize,
    /// Side of the square fields; divisible by 2^(depth − 1).
    pub size: usize,
    /// Channels of level 0; level i has base·2^i.
    pub base_channels: usize,
    /// Number of resolution levels (the report's: 64² → 4² with 10 → 160 channels is 5).
    pub depth: usize,
    /// Sinusoidal embedding dimension D of t (even).
    pub time_dim: usize,
    /// At most this many groups in each group norm (the largest divisor of the channels).
    pub max_groups: usize,
    /// Periodic padding in every 3×3 convolution.
    pub circular: bool,
    /// Seed of the initial weights (each layer is also seeded by its name).
    pub seed: u64,
}

impl Default for UNetConfig {
    /// The report's sizes: 1 × 64 × 64, 10 base channels doubling to 160.
    fn default() -> Self {
        UNetConfig {
            in_channels: 1,
            size: 64,
            base_channels: 10,
            depth: 5,
            time_dim: 32,
            max_groups: 8,
            circular: true,
            seed: 0,
        }
    }
}

impl UNetConfig {
    pub fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::invalid("unet", msg));
        if self.in_channels == 0 || self.base_channels == 0 {
            return bad(format!(
                "{} input channels and {} base channels: both must be at least 1",
                self.in_channels, self.base_channels
            ));
        }
        if self.depth == 0 || self.depth > 12 {
            return bad(format!("depth {} must be between 1 and 12", self.depth));
        }
        let f = 1usize << (self.depth - 1);
        if self.size == 0 || !self.size.is_multiple_of(f) {
            return bad(format!(
                "field size {} must be a positive multiple of 2^(depth − 1) = {f} (depth {})",
                self.size, self.depth
            ));
        }
        if self.size / f < 2 && self.circular {
            return bad(format!(
                "depth {} takes {}² fields down to 1 × 1, where a circular 3×3 convolution has nothing to wrap; use depth ≤ {}",
                self.depth,
                self.size,
                self.depth - 1
            ));
        }
        if self.time_dim < 2 || !self.time_dim.is_multiple_of(2) {
            return bad(format!("time embedding dimension {} must be even and at least 2", self.time_dim));
        }
        if self.max_groups == 0 {
            return bad("max_groups must be at least 1".into());
        }
        Ok(())
    }
    /// Channels of level i.
    pub fn channels(&self, level: usize) -> usize {
        self.base_channels << level
    }
    /// Width E of the time embedding after its MLP.
    pub fn embed_dim(&self) -> usize {
        4 * self.base_channels
    }
    fn conv3(&self, stride: usize) -> Conv2dOptions {
        let mode = if self.circular { PadMode::Circular } else { PadMode::Zeros };
        Conv2dOptions::new(stride, Padding::Same, mode)
    }
}

/// The sinusoidal embedding of times t: row n is [sin(t_n ω_0), …, sin(t_n ω_{D/2−1}),
/// cos(t_n ω_0), …] with ω_j = 10000^{−j/(D/2 − 1)} (ω_0 = 1 for D = 2), so that nearby steps
/// get nearby vectors at the low frequencies and distinct ones at the high frequencies.
pub fn timestep_embedding(t: &[f64], dim: usize) -> Vec<f64> {
    let half = dim / 2;
    let mut out = Vec::with_capacity(t.len() * dim);
    for &tn in t {
        let freqs = (0..half).map(|j| {
            let e = if half > 1 { j as f64 / (half - 1) as f64 } else { 0.0 };
            tn * (-(10000f64.ln()) * e).exp()
        });
        let angles: Vec<f64> = freqs.collect();
        out.extend(angles.iter().map(|a| a.sin()));
        out.extend(angles.iter().map(|a| a.cos()));
    }
    out
}

/// A residual block with a time injection (see the module docs).
#[derive(Clone, Debug)]
struct ResBlock {
    norm1: GroupNorm,
    conv1: Conv2d,
    time: Linear,
    norm2: GroupNorm,
    conv2: Conv2d,
    skip: Option<Conv2d>,
    c_out: usize,
}

impl ResBlock {
    fn new<B: Backend>(store: &mut ParamStore<B>, name: &str, c_in: usize, c_out: usize, cfg: &UNetConfig) -> Result<Self> {
        let (init, seed, g) = (Init::TorchDefault, cfg.seed, cfg.max_groups);
        let conv = |store: &mut ParamStore<B>, n: &str, ci: usize, k: usize, o: Conv2dOptions| {
            Conv2d::new(store, &format!("{name}.{n}"), ci, c_out, (k, k), o, true, init, seed)
        };
        Ok(ResBlock {
            norm1: GroupNorm::new(store, &format!("{name}.norm1"), c_in, GroupNorm::groups_for(c_in, g))?,
            conv1: conv(store, "conv1", c_in, 3, cfg.conv3(1))?,
            time: Linear::new(store, &format!("{name}.time"), cfg.embed_dim(), c_out, true, init, seed)?,
            norm2: GroupNorm::new(store, &format!("{name}.norm2"), c_out, GroupNorm::groups_for(c_out, g))?,
            conv2: conv(store, "conv2", c_out, 3, cfg.conv3(1))?,
            skip: if c_in != c_out {
                Some(conv(store, "skip", c_in, 1, Conv2dOptions::default())?)
            } else {
                None
            },
            c_out,
        })
    }

    /// x [N, c_in, H, W] and the activated embedding SiLU(e) [N, E] → [N, c_out, H, W].
    fn forward<'t, B: Backend>(&self, s: &ParamStore<B>, x: Var<'t, B>, emb: Var<'t, B>) -> Result<Var<'t, B>> {
        let n = x.shape()[0];
        let h = self.conv1.forward(s, self.norm1.forward(s, x)?.silu()?)?;
        let t = self.time.forward(s, emb)?.reshape(&[n, self.c_out, 1, 1])?;
        let h = h.add(t)?;
        let h = self.conv2.forward(s, self.norm2.forward(s, h)?.silu()?)?;
        let skip = match &self.skip {
            Some(c) => c.forward(s, x)?,
            None => x,
        };
        h.add(skip)
    }
}

/// The U-Net ε_θ(x, t). Parameters live in a [`ParamStore`] under `time.*`, `conv_in`,
/// `down{i}.*`, `downsample{i}`, `mid.*`, `upsample{i}`, `up{i}.*`, `norm_out`, `conv_out`.
#[derive(Clone, Debug)]
pub struct UNet {
    pub config: UNetConfig,
    time1: Linear,
    time2: Linear,
    conv_in: Conv2d,
    down: Vec<ResBlock>,
    downsample: Vec<Conv2d>,
    mid: ResBlock,
    upsample: Vec<ConvTranspose2d>,
    up: Vec<ResBlock>,
    norm_out: GroupNorm,
    conv_out: Conv2d,
}

impl UNet {
    /// Adds the parameters to `store`, initialised as PyTorch's defaults (U(±1/√fan_in) for
    /// weights and biases; group norms γ = 1, β = 0).
    pub fn new<B: Backend>(store: &mut ParamStore<B>, config: UNetConfig) -> Result<Self> {
        config.validate()?;
        let cfg = &config;
        let (init, seed) = (Init::TorchDefault, cfg.seed);
        let (e, l) = (cfg.embed_dim(), cfg.depth);
        let ch = |i: usize| cfg.channels(i);
        let mut down = Vec::new();
        let mut downsample = Vec::new();
        let mut upsample = Vec::new();
        let mut up = Vec::new();
        for i in 0..l {
            let c_in = if i == 0 { ch(0) } else { ch(i - 1) };
            down.push(ResBlock::new(store, &format!("down{i}"), c_in, ch(i), cfg)?);
            if i + 1 < l {
                let name = format!("downsample{i}");
                downsample.push(Conv2d::new(store, &name, ch(i), ch(i), (3, 3), cfg.conv3(2), true, init, seed)?);
            }
        }
        for i in (0..l).rev() {
            up.push(ResBlock::new(store, &format!("up{i}"), 2 * ch(i), ch(i), cfg)?);
            if i > 0 {
                let o = ConvTranspose2dOptions {
                    stride: 2,
                    padding: 0,
                    output_padding: 0,
                };
                let name = format!("upsample{i}");
                upsample.push(ConvTranspose2d::new(store, &name, ch(i), ch(i - 1), (2, 2), o, true, init, seed)?);
            }
        }
        Ok(UNet {
            time1: Linear::new(store, "time.lin1", cfg.time_dim, e, true, init, seed)?,
            time2: Linear::new(store, "time.lin2", e, e, true, init, seed)?,
            conv_in: Conv2d::new(store, "conv_in", cfg.in_channels, ch(0), (3, 3), cfg.conv3(1), true, init, seed)?,
            down,
            downsample,
            mid: ResBlock::new(store, "mid", ch(l - 1), ch(l - 1), cfg)?,
            upsample,
            up,
            norm_out: GroupNorm::new(store, "norm_out", ch(0), GroupNorm::groups_for(ch(0), cfg.max_groups))?,
            conv_out: Conv2d::new(store, "conv_out", ch(0), cfg.in_channels, (3, 3), cfg.conv3(1), true, init, seed)?,
            config,
        })
    }

    /// ε_θ(x, t) for fields x [N, C, S, S] at times t (one per field) → [N, C, S, S].
    pub fn forward<'t, B: Backend>(&self, s: &ParamStore<B>, x: Var<'t, B>, t: &[f64]) -> Result<Var<'t, B>> {
        let cfg = &self.config;
        let xs = x.shape();
        if xs.len() != 4 || xs[1..] != [cfg.in_channels, cfg.size, cfg.size] {
            return Err(Error::shape(
                "unet",
                &xs,
                &[xs.first().copied().unwrap_or(0), cfg.in_channels, cfg.size, cfg.size],
                "expected fields [N, C, S, S] of the configured channels and size",
            ));
        }
        let n = xs[0];
        if t.len() != n {
            return Err(Error::shape("unet", &xs, &[t.len()], "one time step per field"));
        }
        let tape = x.tape();
        let emb = Tensor::from_f64(tape.backend(), &timestep_embedding(t, cfg.time_dim), &[n, cfg.time_dim])?;
        let emb = self.time1.forward(s, tape.input(emb))?.silu()?;
        // Every block reads SiLU(e), so it is computed once.
        let emb = self.time2.forward(s, emb)?.silu()?.named("time embedding");
        let mut h = self.conv_in.forward(s, x)?;
        let mut skips = Vec::with_capacity(cfg.depth);
        for (i, block) in self.down.iter().enumerate() {
            h = block.forward(s, h, emb)?.named(&format!("down{i}"));
            skips.push(h);
            if let Some(d) = self.downsample.get(i) {
                h = d.forward(s, h)?;
            }
        }
        h = self.mid.forward(s, h, emb)?.named("bottleneck");
        let mut ups = self.upsample.iter();
        for block in &self.up {
            let skip = skips.pop().expect("one skip per level");
            h = block.forward(s, h.concat(skip, 1)?, emb)?;
            if let Some(u) = ups.next() {
                h = u.forward(s, h)?;
            }
        }
        let h = self.norm_out.forward(s, h)?.silu()?;
        Ok(self.conv_out.forward(s, h)?.named("ε_θ"))
    }
}
