//! The GAN of the DDPM/GAN report (chapter 3, `../shared/seeds/004_…`) and a convolutional GAN
//! beside it, both on 1×S×S maps in the model's [−1, 1] units.
//!
//! **`report`** — the report's networks exactly:
//!
//! ```text
//! discriminator  S² (4096) → 2048 → 1024 → 512 → 256 → 1, ReLU + Dropout 0.3 after each
//!                hidden layer, sigmoid output (a probability), BCE on it
//! generator      latent 100 → 256 → 512 → 1024 → S², ReLU between, tanh output
//! ```
//!
//! The report lists only the discriminator; its code is that of the PyTorch GAN tutorial it
//! follows (same layer list, dropout, loop, batch 32), whose generator is the MLP above with
//! the output widened to the map. Weights and biases start from PyTorch's default
//! U(±1/√fan_in), as the report's `nn.Linear`s did.
//!
//! **`dcgan`** — a convolutional GAN (Radford et al. 2016) for periodic fields:
//!
//! ```text
//! generator      z → Linear → w₀×(S/2ᴸ)² → BN → ReLU
//!                → L × [nearest upsample ×2 → Conv 3×3 → BN → ReLU]  (w₁ … w_L channels)
//!                → Conv 3×3 → 1 channel → tanh
//! discriminator  x → L × [Conv 4×4 stride 2 → (BN, from the second; optional) → LeakyReLU 0.2]
//!                → flatten → Linear → 1 logit, BCE on logits
//! ```
//!
//! Upsampling by a nearest-neighbour copy and a convolution, not by a transposed convolution:
//! a stride-2 transposed convolution overlaps its kernel unevenly and prints a checkerboard at
//! the Nyquist frequency (Odena et al. 2016), which is exactly where the power spectrum judges
//! the samples. With `periodic` every convolution pads circularly: the fields live on a torus,
//! and zero padding would teach both networks that edges exist. Weights start from N(0, 0.02)
//! (the DCGAN paper's choice).
//!
//! Losses. The discriminator minimises BCE with real maps labelled `real_label` (1, or 0.9
//! with one-sided label smoothing) and generated maps labelled 0. The generator minimises
//! BCE(D(G(z)), 1) = −ln D(G(z)): the non-saturating loss, which is also what the report's
//! loop computes (it trains G against the labels 1). The report's discriminator sees its 32
//! real and 32 generated maps as one batch of 64 (its `torch.cat`); the DCGAN's, which has
//! batch norm, sees them as two batches, so that the batch statistics never mix real and
//! generated maps (PyTorch's DCGAN example; the running statistics then compound over the two
//! passes as they do there).
//!
//! ```
//! use cosmograd::models::{Gan, GanArch, GanArchitecture};
//! use cosmograd::nn::ParamStore;
//! use cosmograd::prelude::*;
//!
//! let be = Cpu::<f32>::default();
//! let (mut g, mut d) = (ParamStore::new(be), ParamStore::new(be));
//! let arch = GanArchitecture::dcgan(16, 8, 4, true, 1);
//! let gan = Gan::new(&mut g, &mut d, &arch).unwrap();
//! let tape = Tape::new(be).training(true);
//! let z = tape.input(Tensor::zeros(&be, &[2, 8]).unwrap());
//! let maps = gan.generator.forward(&g, z).unwrap();
//! assert_eq!(maps.shape(), vec![2, 1, 16, 16]);
//! let loss = gan.generator_loss(&g, &d, z).unwrap();
//! assert!(loss.loss.item().unwrap() > 0.0);
//! ```

use crate::autodiff::Var;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::nn::{BatchNorm2d, Conv2d, Dropout, Init, Linear, ParamStore};
use crate::ops::loss::{bce, bce_with_logits};
use crate::ops::{Conv2dOptions, PadMode, Padding, Reduction};
use crate::tensor::Tensor;
use serde::{Deserialize, Serialize};

/// Which pair of networks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum GanArch {
    /// The report's MLPs exactly (discriminator 4096→2048→1024→512→256→1, generator
    /// 100→256→512→1024→4096).
    Report,
    /// Upsample+conv generator and strided-conv discriminator with batch norm.
    Dcgan,
}

impl GanArch {
    pub fn name(&self) -> &'static str {
        match self {
            GanArch::Report => "report",
            GanArch::Dcgan => "dcgan",
        }
    }
}

/// Everything needed to rebuild both networks (a JSON record in checkpoints and `config.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GanArchitecture {
    pub arch: GanArch,
    /// Side of the square maps.
    pub size: usize,
    /// Length of the latent vector z ~ N(0, 1).
    pub latent: usize,
    /// `report`: the generator's hidden widths. `dcgan`: its channels, from the smallest
    /// resolution (S/2ᴸ, L = len − 1 upsamplings) to the full one.
    pub generator_widths: Vec<usize>,
    /// `report`: the discriminator's hidden widths. `dcgan`: the channels of its L strided
    /// convolutions.
    pub discriminator_widths: Vec<usize>,
    /// Dropout after each hidden layer of the `report` discriminator.
    pub dropout: f64,
    /// `dcgan`: circular padding in every convolution.
    pub periodic: bool,
    /// `dcgan`: the discriminator's LeakyReLU slope.
    pub leaky_slope: f64,
    /// `dcgan`: batch norm after the discriminator's strided convolutions 2 … L (the DCGAN
    /// paper's). Without it those convolutions get biases. Batch statistics taken over a batch
    /// of generated maps alone remove that batch's overall amplitude, so a discriminator with
    /// them barely sees whether G's maps have the data's power (`notes/results-gan.md`).
    #[serde(default = "yes")]
    pub discriminator_norm: bool,
    /// Seed of the initial weights.
    pub seed: u64,
}

fn yes() -> bool {
    true
}

impl GanArchitecture {
    /// The report's networks for S×S maps (S = 64: 4096 inputs).
    pub fn report(size: usize, seed: u64) -> Self {
        GanArchitecture {
            arch: GanArch::Report,
            size,
            latent: 100,
            generator_widths: vec![256, 512, 1024],
            discriminator_widths: vec![2048, 1024, 512, 256],
            dropout: 0.3,
            periodic: false,
            leaky_slope: 0.0,
            discriminator_norm: false,
            seed,
        }
    }
    /// A DCGAN for S×S maps with base width w: generator channels 8w, 4w, 2w, w, w over
    /// S/16 … S (fewer stages for small S), discriminator w, 2w, 4w, 8w.
    pub fn dcgan(size: usize, latent: usize, width: usize, periodic: bool, seed: u64) -> Self {
        // Four stages for 64², fewer when the map is too small to halve four times to ≥ 4.
        let stages = (1..=4).rev().find(|&l| size.is_multiple_of(1 << l) && size >> l >= 2).unwrap_or(1);
        let d: Vec<usize> = (0..stages).map(|i| width << i).collect();
        let mut g: Vec<usize> = d.iter().rev().copied().collect();
        g.push(width);
        GanArchitecture {
            arch: GanArch::Dcgan,
            size,
            latent,
            generator_widths: g,
            discriminator_widths: d,
            dropout: 0.0,
            periodic,
            leaky_slope: 0.2,
            discriminator_norm: true,
            seed,
        }
    }
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an architecture serialises")
    }
    pub fn from_json(s: &str) -> Result<Self> {
        serde_json::from_str(s).map_err(|e| Error::Other(format!("not a GAN architecture record ({e}): {s}")))
    }
    /// Checks that the sizes fit together; every message says what to change.
    pub fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::invalid("gan", msg));
        let s = self.size;
        if s < 4 {
            return bad(format!("map size {s} is too small; the GAN needs maps of at least 4×4"));
        }
        if self.latent == 0 {
            return bad("the latent vector needs at least one number".into());
        }
        if self.generator_widths.contains(&0) || self.discriminator_widths.contains(&0) {
            return bad(format!(
                "layer widths must be positive, got generator {:?}, discriminator {:?}",
                self.generator_widths, self.discriminator_widths
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return bad(format!("dropout must be in [0, 1), got {}", self.dropout));
        }
        match self.arch {
            GanArch::Report => {
                if self.generator_widths.is_empty() || self.discriminator_widths.is_empty() {
                    return bad("the report's MLPs need at least one hidden layer each".into());
                }
            }
            GanArch::Dcgan => {
                let up = self.generator_widths.len().saturating_sub(1);
                let down = self.discriminator_widths.len();
                if up == 0 || down == 0 {
                    return bad("the DCGAN needs at least one upsampling and one strided convolution".into());
                }
                if !s.is_multiple_of(1 << up) || !s.is_multiple_of(1 << down) {
                    return bad(format!(
                        "map size {s} cannot be halved {} times: the DCGAN's generator upsamples {up} times and its \
                         discriminator halves {down} times; use maps whose side is a multiple of {}",
                        up.max(down),
                        1usize << up.max(down)
                    ));
                }
                if !(self.leaky_slope.is_finite() && self.leaky_slope >= 0.0) {
                    return bad(format!("LeakyReLU slope must be ≥ 0, got {}", self.leaky_slope));
                }
            }
        }
        Ok(())
    }
}

/// The generator: latent vectors z [N, latent] → maps [N, 1, S, S] in [−1, 1].
#[derive(Clone, Debug)]
pub struct Generator {
    arch: GanArchitecture,
    /// `report`: the MLP's layers. `dcgan`: the projection of z.
    dense: Vec<Linear>,
    /// `dcgan`: one batch norm after the projection and after each upsampling convolution.
    norms: Vec<BatchNorm2d>,
    /// `dcgan`: the upsampling convolutions, then the output convolution.
    convs: Vec<Conv2d>,
}

/// The discriminator: maps [N, 1, S, S] → one logit each, [N, 1] (the report's sigmoid is
/// applied by the loss, [`Gan::probability`]).
#[derive(Clone, Debug)]
pub struct Discriminator {
    arch: GanArchitecture,
    dense: Vec<Linear>,
    dropout: Dropout,
    /// `dcgan`: batch norms of convolutions 2 … L.
    norms: Vec<BatchNorm2d>,
    convs: Vec<Conv2d>,
}

/// Both networks. Their parameters live in two stores, so the two optimisers and checkpoints
/// never touch each other's; one tape may hold both (the generator's step runs D on G(z)).
#[derive(Clone, Debug)]
pub struct Gan {
    pub arch: GanArchitecture,
    pub generator: Generator,
    pub discriminator: Discriminator,
}

/// D's loss on one real and one generated batch, and what it said about each.
pub struct DiscriminatorStep<'t, B: Backend> {
    pub loss: Var<'t, B>,
    /// D's probability that each real map is real, [N_real, 1].
    pub p_real: Var<'t, B>,
    /// … and that each generated map is real, [N_fake, 1].
    pub p_fake: Var<'t, B>,
}

/// G's loss −ln D(G(z)) and D's probabilities on G(z).
pub struct GeneratorStep<'t, B: Backend> {
    pub loss: Var<'t, B>,
    pub p_fake: Var<'t, B>,
}

fn check_input<B: Backend>(what: &'static str, x: &Var<'_, B>, want: &[usize]) -> Result<()> {
    let s = x.shape();
    if s.len() != want.len() + 1 || s[1..] != *want {
        let mut expected = vec![s.first().copied().unwrap_or(0)];
        expected.extend_from_slice(want);
        return Err(Error::shape(
            what,
            &s,
            &expected,
            "the input does not match the network's configured size",
        ));
    }
    Ok(())
}

impl Gan {
    /// Both networks, their parameters added to `g_store` and `d_store`.
    pub fn new<B: Backend>(g_store: &mut ParamStore<B>, d_store: &mut ParamStore<B>, arch: &GanArchitecture) -> Result<Self> {
        arch.validate()?;
        let (generator, discriminator) = match arch.arch {
            GanArch::Report => (Generator::report(g_store, arch)?, Discriminator::report(d_store, arch)?),
            GanArch::Dcgan => (Generator::dcgan(g_store, arch)?, Discriminator::dcgan(d_store, arch)?),
        };
        Ok(Gan {
            arch: arch.clone(),
            generator,
            discriminator,
        })
    }

    /// D's probability that each map is real: σ(logit).
    pub fn probability<'t, B: Backend>(&self, d_store: &ParamStore<B>, x: Var<'t, B>) -> Result<Var<'t, B>> {
        self.discriminator.forward(d_store, x)?.sigmoid()
    }

    /// BCE of D's outputs on `x` against `label` (mean over the batch), and D's probabilities.
    /// The report's network outputs a probability and takes BCE on it (its `nn.Sigmoid` and
    /// `nn.BCELoss`); the DCGAN takes BCE on the logit (the same function, without the
    /// probability's rounding to 0 or 1).
    fn bce_against<'t, B: Backend>(&self, d_store: &ParamStore<B>, x: Var<'t, B>, label: f64) -> Result<(Var<'t, B>, Var<'t, B>)> {
        let logits = self.discriminator.forward(d_store, x)?;
        let tape = logits.tape();
        let target = tape.input(Tensor::full(tape.backend(), &logits.shape(), label)?);
        let p = logits.sigmoid()?;
        let loss = match self.arch.arch {
            GanArch::Report => bce(p, target, Reduction::Mean)?,
            GanArch::Dcgan => bce_with_logits(logits, target, Reduction::Mean)?,
        };
        Ok((loss, p))
    }

    /// The discriminator's loss: real maps labelled `real_label`, generated maps labelled 0.
    /// `report`: one pass over the 2N maps concatenated, BCE averaged over them (the report's
    /// loop). `dcgan`: one pass per batch, the two mean BCEs added (PyTorch's DCGAN example).
    pub fn discriminator_loss<'t, B: Backend>(
        &self,
        d_store: &ParamStore<B>,
        real: Var<'t, B>,
        fake: Var<'t, B>,
        real_label: f64,
    ) -> Result<DiscriminatorStep<'t, B>> {
        if !(0.0..=1.0).contains(&real_label) {
            return Err(Error::invalid("gan", format!("the real label must be in [0, 1], got {real_label}")));
        }
        match self.arch.arch {
            GanArch::Report => {
                let (nr, nf) = (real.shape()[0], fake.shape()[0]);
                let logits = self.discriminator.forward(d_store, real.concat(fake, 0)?)?;
                let tape = logits.tape();
                let mut labels = vec![real_label; nr];
                labels.resize(nr + nf, 0.0);
                let target = tape.input_f64(&labels, &[nr + nf, 1])?;
                let p = logits.sigmoid()?;
                let loss = bce(p, target, Reduction::Mean)?;
                Ok(DiscriminatorStep {
                    loss,
                    p_real: p.narrow(0, 0, nr)?,
                    p_fake: p.narrow(0, nr, nf)?,
                })
            }
            GanArch::Dcgan => {
                let (loss_real, p_real) = self.bce_against(d_store, real, real_label)?;
                let (loss_fake, p_fake) = self.bce_against(d_store, fake, 0.0)?;
                Ok(DiscriminatorStep {
                    loss: loss_real.add(loss_fake)?,
                    p_real,
                    p_fake,
                })
            }
        }
    }

    /// The generator's non-saturating loss −ln D(G(z)), mean over the batch (BCE against 1).
    pub fn generator_loss<'t, B: Backend>(
        &self,
        g_store: &ParamStore<B>,
        d_store: &ParamStore<B>,
        z: Var<'t, B>,
    ) -> Result<GeneratorStep<'t, B>> {
        let fake = self.generator.forward(g_store, z)?;
        let (loss, p_fake) = self.bce_against(d_store, fake, 1.0)?;
        Ok(GeneratorStep { loss, p_fake })
    }
}

/// Convolution options: 'same' padding, circular or zero.
fn conv_options(stride: usize, periodic: bool) -> Conv2dOptions {
    let mode = if periodic { PadMode::Circular } else { PadMode::Zeros };
    Conv2dOptions::new(stride, Padding::Same, mode)
}

/// The DCGAN paper's initial weights.
const DCGAN_INIT: Init = Init::Normal { std: 0.02 };

impl Generator {
    fn report<B: Backend>(store: &mut ParamStore<B>, a: &GanArchitecture) -> Result<Self> {
        let mut sizes = vec![a.latent];
        sizes.extend(&a.generator_widths);
        sizes.push(a.size * a.size);
        let dense = sizes
            .windows(2)
            .enumerate()
            .map(|(i, w)| Linear::new(store, &format!("fc{}", i + 1), w[0], w[1], true, Init::TorchDefault, a.seed))
            .collect::<Result<_>>()?;
        Ok(Generator {
            arch: a.clone(),
            dense,
            norms: Vec::new(),
            convs: Vec::new(),
        })
    }

    fn dcgan<B: Backend>(store: &mut ParamStore<B>, a: &GanArchitecture) -> Result<Self> {
        let w = &a.generator_widths;
        let start = a.size >> (w.len() - 1);
        // No biases before batch norm: its β does their job.
        let project = Linear::new(store, "project", a.latent, w[0] * start * start, false, DCGAN_INIT, a.seed)?;
        let mut norms = vec![BatchNorm2d::new(store, "bn0", w[0])?];
        let mut convs = Vec::new();
        let same = conv_options(1, a.periodic);
        for i in 1..w.len() {
            convs.push(Conv2d::new(
                store,
                &format!("up{i}"),
                w[i - 1],
                w[i],
                (3, 3),
                same,
                false,
                DCGAN_INIT,
                a.seed,
            )?);
            norms.push(BatchNorm2d::new(store, &format!("bn{i}"), w[i])?);
        }
        let last = *w.last().expect("validated: at least two widths");
        convs.push(Conv2d::new(store, "out", last, 1, (3, 3), same, true, DCGAN_INIT, a.seed)?);
        Ok(Generator {
            arch: a.clone(),
            dense: vec![project],
            norms,
            convs,
        })
    }

    /// Maps [N, 1, S, S] in [−1, 1] from latent vectors z [N, latent].
    pub fn forward<'t, B: Backend>(&self, s: &ParamStore<B>, z: Var<'t, B>) -> Result<Var<'t, B>> {
        let a = &self.arch;
        check_input("gan generator", &z, &[a.latent])?;
        let n = z.shape()[0];
        match a.arch {
            GanArch::Report => {
                let mut h = z;
                for (i, layer) in self.dense.iter().enumerate() {
                    h = layer.forward(s, h)?;
                    h = if i + 1 < self.dense.len() { h.relu()? } else { h.tanh()? };
                }
                h.reshape(&[n, 1, a.size, a.size])
            }
            GanArch::Dcgan => {
                let w = &a.generator_widths;
                let start = a.size >> (w.len() - 1);
                let h = self.dense[0].forward(s, z)?.reshape(&[n, w[0], start, start])?;
                let mut h = self.norms[0].forward(s, h)?.relu()?;
                for (conv, norm) in self.convs.iter().zip(&self.norms[1..]) {
                    h = norm.forward(s, conv.forward(s, h.upsample_nearest(2)?)?)?.relu()?;
                }
                self.convs.last().expect("an output convolution").forward(s, h)?.tanh()
            }
        }
    }
}

impl Discriminator {
    fn report<B: Backend>(store: &mut ParamStore<B>, a: &GanArchitecture) -> Result<Self> {
        let mut sizes = vec![a.size * a.size];
        sizes.extend(&a.discriminator_widths);
        sizes.push(1);
        let dense = sizes
            .windows(2)
            .enumerate()
            .map(|(i, w)| Linear::new(store, &format!("fc{}", i + 1), w[0], w[1], true, Init::TorchDefault, a.seed))
            .collect::<Result<_>>()?;
        Ok(Discriminator {
            arch: a.clone(),
            dense,
            dropout: Dropout::new(a.dropout)?,
            norms: Vec::new(),
            convs: Vec::new(),
        })
    }

    fn dcgan<B: Backend>(store: &mut ParamStore<B>, a: &GanArchitecture) -> Result<Self> {
        let w = &a.discriminator_widths;
        let down = conv_options(2, a.periodic);
        let mut convs = Vec::new();
        let mut norms = Vec::new();
        let mut c_in = 1;
        for (i, &c) in w.iter().enumerate() {
            // The first convolution has a bias and no batch norm (DCGAN); the others the reverse,
            // or a bias too when the discriminator has no batch norm.
            let norm = i > 0 && a.discriminator_norm;
            convs.push(Conv2d::new(
                store,
                &format!("down{}", i + 1),
                c_in,
                c,
                (4, 4),
                down,
                !norm,
                DCGAN_INIT,
                a.seed,
            )?);
            if norm {
                norms.push(BatchNorm2d::new(store, &format!("bn{}", i + 1), c)?);
            }
            c_in = c;
        }
        let end = a.size >> w.len();
        let fc = Linear::new(store, "fc", c_in * end * end, 1, true, DCGAN_INIT, a.seed)?;
        Ok(Discriminator {
            arch: a.clone(),
            dense: vec![fc],
            dropout: Dropout::new(0.0)?,
            norms,
            convs,
        })
    }

    /// One logit per map, [N, 1]: D(x) = σ(logit) is the probability that x is real.
    pub fn forward<'t, B: Backend>(&self, s: &ParamStore<B>, x: Var<'t, B>) -> Result<Var<'t, B>> {
        let a = &self.arch;
        check_input("gan discriminator", &x, &[1, a.size, a.size])?;
        match a.arch {
            GanArch::Report => {
                // The report's `x.view(x.size(0), 4096)`.
                let mut h = x.flatten()?;
                let last = self.dense.len() - 1;
                for layer in &self.dense[..last] {
                    h = self.dropout.forward(layer.forward(s, h)?.relu()?)?;
                }
                self.dense[last].forward(s, h)
            }
            GanArch::Dcgan => {
                let mut h = x;
                for (i, conv) in self.convs.iter().enumerate() {
                    h = conv.forward(s, h)?;
                    if let Some(norm) = i.checked_sub(1).and_then(|j| self.norms.get(j)) {
                        h = norm.forward(s, h)?;
                    }
                    h = h.leaky_relu(a.leaky_slope)?;
                }
                self.dense[0].forward(s, h.flatten()?)
            }
        }
    }
}
