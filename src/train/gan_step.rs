//! One adversarial step at a time: the two networks, their stores and optimisers, and the
//! report's steps 1–6 — G generates a batch, D learns to tell it from a real batch, G
//! generates a new batch and learns from D's verdict on it. The training loop (`gan.rs`) and
//! the step benchmark (`examples/gan_step.rs`) both drive this, so what is timed is what
//! trains.
//!
//! Each step follows the optimisers' aliasing rule: the forward and backward run on a tape,
//! the running statistics the forward computed are written into the stores, the tape is
//! dropped, and only then does the optimiser update the parameters in place.

use crate::autodiff::{Grads, Tape};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::models::{Gan, GanArchitecture};
use crate::nn::{Adam, AdamConfig, Optimizer, ParamStore};
use crate::tensor::Tensor;
use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// Adam's settings for both networks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdamSettings {
    pub lr_generator: f64,
    pub lr_discriminator: f64,
    pub beta1: f64,
    pub beta2: f64,
}

impl AdamSettings {
    pub fn validate(&self) -> Result<()> {
        let ok = |x: f64| x.is_finite() && x > 0.0;
        if !ok(self.lr_generator) || !ok(self.lr_discriminator) {
            return Err(Error::invalid(
                "train gan",
                format!(
                    "learning rates must be positive numbers, got --lr-g {} and --lr-d {}",
                    self.lr_generator, self.lr_discriminator
                ),
            ));
        }
        if !(0.0..1.0).contains(&self.beta1) || !(0.0..1.0).contains(&self.beta2) {
            return Err(Error::invalid(
                "train gan",
                format!("Adam's β₁ and β₂ must be in [0, 1), got {} and {}", self.beta1, self.beta2),
            ));
        }
        Ok(())
    }
    fn optimizer<B: Backend>(&self, lr: f64) -> Adam<B> {
        Adam::with_config(
            lr,
            AdamConfig {
                beta1: self.beta1,
                beta2: self.beta2,
                ..AdamConfig::default()
            },
        )
    }
}

/// What one discriminator step saw.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DiscriminatorStats {
    pub loss: f64,
    /// Fraction of the real maps D called real (D(x) > ½).
    pub accuracy_real: f64,
    /// Fraction of the generated maps D called generated (D(G(z)) < ½).
    pub accuracy_fake: f64,
    /// Mean D(x) over the real maps and over the generated ones.
    pub mean_real: f64,
    pub mean_fake: f64,
}

/// What one generator step saw: its loss −ln D(G(z)) and the mean D(G(z)).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct GeneratorStats {
    pub loss: f64,
    pub mean_fake: f64,
}

/// Step statistics that carry a loss.
trait HasLoss {
    fn loss(&self) -> f64;
}
impl HasLoss for DiscriminatorStats {
    fn loss(&self) -> f64 {
        self.loss
    }
}
impl HasLoss for GeneratorStats {
    fn loss(&self) -> f64 {
        self.loss
    }
}

/// The two networks and their optimisers.
pub struct GanTrainer<B: Backend> {
    pub be: B,
    pub gan: Gan,
    /// The generator's parameters and batch-norm statistics.
    pub g: ParamStore<B>,
    pub d: ParamStore<B>,
    pub opt_g: Adam<B>,
    pub opt_d: Adam<B>,
    /// The label of real maps in D's loss (1, or less with one-sided label smoothing).
    pub real_label: f64,
}

/// n latent vectors z ~ N(0, 1)^latent, a pure function of the seed.
pub fn latents(seed: u64, n: usize, latent: usize) -> Vec<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n * latent).map(|_| StandardNormal.sample(&mut rng)).collect()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// How a step ended: done, or stopped before any parameter changed because the loss or the
/// gradient norm was not finite (`why` says which and its value).
#[derive(Debug)]
pub enum Step<T> {
    Done(T),
    NonFinite { network: &'static str, why: String },
}

impl<B: Backend> GanTrainer<B> {
    /// Fresh networks (initialised from the architecture's seed) and optimisers.
    pub fn new(be: B, arch: &GanArchitecture, adam: &AdamSettings, real_label: f64) -> Result<Self> {
        adam.validate()?;
        if !(real_label > 0.5 && real_label <= 1.0) {
            return Err(Error::invalid(
                "train gan",
                format!("the real label must be in (0.5, 1], got {real_label} (one-sided smoothing: 0.9)"),
            ));
        }
        let (mut g, mut d) = (ParamStore::new(be.clone()), ParamStore::new(be.clone()));
        let gan = Gan::new(&mut g, &mut d, arch)?;
        Ok(GanTrainer {
            opt_g: adam.optimizer(adam.lr_generator),
            opt_d: adam.optimizer(adam.lr_discriminator),
            be,
            gan,
            g,
            d,
            real_label,
        })
    }

    /// Latent vectors as a tensor [n, latent].
    pub fn latent_tensor(&self, z: &[f32]) -> Result<Tensor<B>> {
        let l = self.gan.arch.latent;
        Tensor::from_f32(&self.be, z, &[z.len() / l, l])
    }

    /// Maps [n, 1, S, S] from latents, the generator in training mode (batch statistics) and
    /// outside any gradient: the generated half of D's batch (the report's step 1). The
    /// running statistics this pass computes are written into the generator's store.
    pub fn generate_for_training(&mut self, z: &Tensor<B>) -> Result<Tensor<B>> {
        let tape = Tape::new(self.be.clone()).training(true).no_grad();
        let x = self.gan.generator.forward(&self.g, tape.input(z.clone()))?.value();
        self.g.apply_updates(&tape)?;
        Ok(x)
    }

    /// Maps [n, 1, S, S] from latents in evaluation mode (running statistics, no dropout).
    pub fn sample(&self, z: &Tensor<B>) -> Result<Tensor<B>> {
        let tape = Tape::new(self.be.clone()).no_grad();
        Ok(self.gan.generator.forward(&self.g, tape.input(z.clone()))?.value())
    }

    /// D's probabilities that the maps [n, 1, S, S] are real, in evaluation mode.
    pub fn judge(&self, x: &Tensor<B>) -> Result<Vec<f64>> {
        let tape = Tape::new(self.be.clone()).no_grad();
        self.gan.probability(&self.d, tape.input(x.clone()))?.to_vec()
    }

    /// The report's steps 2–3: D's loss on a real and a generated batch, its backward pass and
    /// its Adam step. `seed` draws the dropout masks. A non-finite loss or gradient changes no
    /// parameter and returns [`Step::NonFinite`].
    pub fn discriminator_step(&mut self, real: &Tensor<B>, fake: &Tensor<B>, seed: u64) -> Result<Step<DiscriminatorStats>> {
        let tape = Tape::new(self.be.clone()).training(true).seed(seed);
        let (out, grads) = (|| {
            let s = self
                .gan
                .discriminator_loss(&self.d, tape.input(real.clone()), tape.input(fake.clone()), self.real_label)?;
            let loss = s.loss.item()?;
            let (pr, pf) = (s.p_real.to_vec()?, s.p_fake.to_vec()?);
            let grads = if loss.is_finite() { Some(tape.backward(s.loss)?) } else { None };
            let stats = DiscriminatorStats {
                loss,
                accuracy_real: mean(&pr.iter().map(|&p| f64::from(u8::from(p > 0.5))).collect::<Vec<_>>()),
                accuracy_fake: mean(&pf.iter().map(|&p| f64::from(u8::from(p < 0.5))).collect::<Vec<_>>()),
                mean_real: mean(&pr),
                mean_fake: mean(&pf),
            };
            Ok((stats, grads))
        })()?;
        self.d.apply_updates(&tape)?;
        drop(tape);
        Self::update(&mut self.opt_d, &mut self.d, grads, "discriminator", out)
    }

    /// The report's steps 4–6: G's loss −ln D(G(z)) on fresh latents, the backward pass through
    /// D into G, and G's Adam step (D's gradients are computed and left unused, as in the
    /// report's loop; D's batch-norm statistics are updated by this pass, as in PyTorch).
    pub fn generator_step(&mut self, z: &Tensor<B>, seed: u64) -> Result<Step<GeneratorStats>> {
        let tape = Tape::new(self.be.clone()).training(true).seed(seed);
        let (out, grads) = (|| {
            let s = self.gan.generator_loss(&self.g, &self.d, tape.input(z.clone()))?;
            let loss = s.loss.item()?;
            let grads = if loss.is_finite() { Some(tape.backward(s.loss)?) } else { None };
            let stats = GeneratorStats {
                loss,
                mean_fake: mean(&s.p_fake.to_vec()?),
            };
            Ok((stats, grads))
        })()?;
        self.g.apply_updates(&tape)?;
        self.d.apply_updates(&tape)?;
        drop(tape);
        Self::update(&mut self.opt_g, &mut self.g, grads, "generator", out)
    }

    /// The optimiser step after a finite loss with a finite gradient norm; otherwise nothing.
    fn update<T: HasLoss>(
        opt: &mut Adam<B>,
        store: &mut ParamStore<B>,
        grads: Option<Grads<B>>,
        network: &'static str,
        out: T,
    ) -> Result<Step<T>> {
        let loss = out.loss();
        let Some(grads) = grads else {
            return Ok(Step::NonFinite {
                network,
                why: format!("the {network}'s loss was {loss}"),
            });
        };
        let be = store.backend().clone();
        let norm = crate::nn::optim::global_grad_norm(&be, store.params().filter_map(|(n, _)| store.grad(&grads, n)))?;
        if !norm.is_finite() {
            return Ok(Step::NonFinite {
                network,
                why: format!("the {network}'s loss was {loss:.4} but its gradient norm was {norm}"),
            });
        }
        opt.step(store, &grads)?;
        Ok(Step::Done(out))
    }

    /// Runs the failed step again under the tape's guard and names the first op that produced
    /// a non-finite value.
    pub fn diagnose(&self, network: &str, real: &Tensor<B>, fake: &Tensor<B>, z: &Tensor<B>, seed: u64) -> String {
        let tape = Tape::new(self.be.clone()).training(true).seed(seed).guard(true);
        let rerun = if network == "discriminator" {
            self.gan
                .discriminator_loss(&self.d, tape.input(real.clone()), tape.input(fake.clone()), self.real_label)
                .and_then(|s| tape.backward(s.loss))
        } else {
            self.gan
                .generator_loss(&self.g, &self.d, tape.input(z.clone()))
                .and_then(|s| tape.backward(s.loss))
        };
        super::shared::guard_culprit(rerun)
    }
}
