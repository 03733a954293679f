//! The denoising diffusion probabilistic model (Ho et al. 2020) of the second report, with its
//! formulas corrected (notes/ddpm.md derives them and names each erratum).
//!
//! Forward (noising) process, T steps with a linear schedule β_1 … β_T from 1e-4 to 0.02:
//!
//! ```text
//! q(x_t | x_{t−1}) = N(√α_t x_{t−1}, β_t I),  α_t = 1 − β_t          (report: β ε — erratum, √β ε)
//! q(x_t | x_0)     = N(√ᾱ_t x_0, (1 − ᾱ_t) I), ᾱ_t = Π_{s≤t} α_s
//!                   ⇒ x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε,  ε ~ N(0, I)
//! ```
//!
//! Training: t uniform in 1…T, the network ε_θ(x_t, t) predicts ε, loss E = mean (ε_θ − ε)².
//!
//! Ancestral sampling, from x_T ~ N(0, I), for t = T … 1 (z ~ N(0, I), none at t = 1):
//!
//! ```text
//! x_{t−1} = μ_θ(x_t, t) + σ_t z,   μ_θ = (1/√α_t) (x_t − β_t/√(1 − ᾱ_t) ε_θ)   (report: 1/√x̄_t — erratum)
//! σ_t² = β̃_t = β_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t)     (or β_t: Ho et al.'s other choice)
//! ```
//!
//! DDIM (Song et al. 2021) on a subsequence τ of S steps, deterministic for η = 0:
//!
//! ```text
//! x̂_0 = (x_t − √(1 − ᾱ_t) ε_θ) / √ᾱ_t
//! x_{t'} = √ᾱ_{t'} x̂_0 + √(1 − ᾱ_{t'} − σ²) ε_θ + σ z,  σ = η √((1 − ᾱ_{t'})/(1 − ᾱ_t)) √(1 − ᾱ_t/ᾱ_{t'})
//! ```
//!
//! The samplers are plain host loops over f64 vectors, generic over the ε predictor: the
//! network ([`Ddpm::predictor`]) or, in the tests, the exact ε of a Gaussian data distribution.

use super::unet::{UNet, UNetConfig};
use crate::autodiff::{Tape, Var};
use crate::backend::random::splitmix64;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::nn::ParamStore;
use crate::ops::loss;
use crate::tensor::Tensor;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// The variance schedule: β_t, α_t = 1 − β_t and ᾱ_t = Π_{s≤t} α_s for t = 1 … T (ᾱ_0 = 1).
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    betas: Vec<f64>,
    alpha_bars: Vec<f64>,
}

impl Schedule {
    /// β linear from `beta_1` to `beta_t` over `steps` steps (Ho et al.: 1e-4, 0.02, 1000).
    pub fn linear(steps: usize, beta_1: f64, beta_t: f64) -> Result<Self> {
        if steps == 0 {
            return Err(Error::invalid("ddpm", "the schedule needs at least one step"));
        }
        let ok = |b: f64| b.is_finite() && b > 0.0 && b < 1.0;
        if !ok(beta_1) || !ok(beta_t) {
            return Err(Error::invalid("ddpm", format!("β must lie in (0, 1), got {beta_1} … {beta_t}")));
        }
        let betas: Vec<f64> = (0..steps)
            .map(|i| {
                let f = if steps > 1 { i as f64 / (steps - 1) as f64 } else { 0.0 };
                beta_1 + f * (beta_t - beta_1)
            })
            .collect();
        let mut alpha_bars = Vec::with_capacity(steps);
        let mut prod = 1.0;
        for b in &betas {
            prod *= 1.0 - b;
            alpha_bars.push(prod);
        }
        Ok(Schedule { betas, alpha_bars })
    }
    /// T.
    pub fn steps(&self) -> usize {
        self.betas.len()
    }
    /// β_t, t in 1 … T.
    pub fn beta(&self, t: usize) -> f64 {
        self.betas[t - 1]
    }
    /// α_t = 1 − β_t.
    pub fn alpha(&self, t: usize) -> f64 {
        1.0 - self.beta(t)
    }
    /// ᾱ_t, t in 0 … T (ᾱ_0 = 1: no noise).
    pub fn alpha_bar(&self, t: usize) -> f64 {
        if t == 0 {
            1.0
        } else {
            self.alpha_bars[t - 1]
        }
    }
    /// β̃_t = β_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t): the variance of q(x_{t−1} | x_t, x_0) (0 at t = 1).
    pub fn posterior_variance(&self, t: usize) -> f64 {
        self.beta(t) * (1.0 - self.alpha_bar(t - 1)) / (1.0 - self.alpha_bar(t))
    }
}

/// x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε for a batch: `x0` and `eps` hold `t.len()` samples of equal
/// length, sample i at time t[i].
pub fn q_sample(s: &Schedule, x0: &[f64], eps: &[f64], t: &[usize]) -> Vec<f64> {
    let per = x0.len() / t.len().max(1);
    let mut out = Vec::with_capacity(x0.len());
    for (i, &ti) in t.iter().enumerate() {
        let (a, b) = (s.alpha_bar(ti).sqrt(), (1.0 - s.alpha_bar(ti)).sqrt());
        let r = i * per..(i + 1) * per;
        out.extend(x0[r.clone()].iter().zip(&eps[r]).map(|(x, e)| a * x + b * e));
    }
    out
}

/// `n` standard normal numbers from the stream `seed` (the same numbers for the same seed).
pub fn normals(seed: u64, n: usize) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|_| StandardNormal.sample(&mut rng)).collect()
}

/// The seed of stream `k` derived from `seed` (x_T, the noise of each reverse step).
pub fn substream(seed: u64, k: u64) -> u64 {
    splitmix64(seed ^ splitmix64(k.wrapping_add(0x5eed)))
}

/// Draws t uniformly from 1 … T for each of `n` samples.
pub fn random_times(seed: u64, n: usize, steps: usize) -> Vec<usize> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(1..=steps)).collect()
}

/// The variance of the ancestral sampler's noise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AncestralVariance {
    /// σ_t² = β̃_t = β_t (1 − ᾱ_{t−1})/(1 − ᾱ_t), exact when x_0 is a point.
    Posterior,
    /// σ_t² = β_t, exact when x_0 ~ N(0, I).
    Beta,
}

/// How to draw samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Sampler {
    /// All T reverse steps of the Markov chain.
    Ancestral(AncestralVariance),
    /// DDIM on `steps` of the T times; η = 0 is deterministic given x_T.
    Ddim { steps: usize, eta: f64 },
}

impl Sampler {
    /// How many network evaluations it takes.
    pub fn evaluations(&self, schedule: &Schedule) -> usize {
        match *self {
            Sampler::Ancestral(_) => schedule.steps(),
            Sampler::Ddim { steps, .. } => ddim_times(schedule.steps(), steps).len(),
        }
    }
}

/// DDIM's times: `steps` values of 1 … T, evenly spaced and rounded (T and 1 always
/// included), in descending order.
pub fn ddim_times(total: usize, steps: usize) -> Vec<usize> {
    let steps = steps.clamp(1, total);
    let mut t: Vec<usize> = (0..steps)
        .map(|i| {
            if steps == 1 {
                total
            } else {
                1 + ((total - 1) as f64 * i as f64 / (steps - 1) as f64).round() as usize
            }
        })
        .collect();
    t.dedup();
    t.reverse();
    t
}

/// An ε predictor: ε(x_t, t) for a batch x_t of samples that are all at time t.
pub trait EpsModel {
    fn eps(&mut self, x: &[f64], t: usize) -> Result<Vec<f64>>;
}

impl<F: FnMut(&[f64], usize) -> Result<Vec<f64>>> EpsModel for F {
    fn eps(&mut self, x: &[f64], t: usize) -> Result<Vec<f64>> {
        self(x, t)
    }
}

/// Draws `n` samples of `dim` values each. `progress(done, total)` is called after every
/// network evaluation. Every random number comes from `seed`: x_T from one stream and the
/// noise of each step from its own, so the same seed gives the same samples.
pub fn sample(
    s: &Schedule,
    model: &mut dyn EpsModel,
    sampler: Sampler,
    n: usize,
    dim: usize,
    seed: u64,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<f64>> {
    let mut x = normals(substream(seed, 0), n * dim);
    let total = sampler.evaluations(s);
    let len = x.len();
    let check = |e: &[f64], t: usize| {
        if e.len() != len {
            return Err(Error::Other(format!(
                "the ε model returned {} values for {} at t = {t}",
                e.len(),
                n * dim
            )));
        }
        Ok(())
    };
    match sampler {
        Sampler::Ancestral(variance) => {
            for (done, t) in (1..=s.steps()).rev().enumerate() {
                let e = model.eps(&x, t)?;
                check(&e, t)?;
                let (a, b) = (1.0 / s.alpha(t).sqrt(), s.beta(t) / (1.0 - s.alpha_bar(t)).sqrt());
                let sigma = match variance {
                    _ if t == 1 => 0.0,
                    AncestralVariance::Posterior => s.posterior_variance(t).sqrt(),
                    AncestralVariance::Beta => s.beta(t).sqrt(),
                };
                let z = if sigma > 0.0 {
                    normals(substream(seed, t as u64), x.len())
                } else {
                    Vec::new()
                };
                for (i, (xi, ei)) in x.iter_mut().zip(&e).enumerate() {
                    *xi = a * (*xi - b * ei) + if sigma > 0.0 { sigma * z[i] } else { 0.0 };
                }
                progress(done + 1, total);
            }
        }
        Sampler::Ddim { steps, eta } => {
            if !(eta.is_finite() && eta >= 0.0) {
                return Err(Error::invalid("ddim", format!("η must be ≥ 0, got {eta}")));
            }
            let times = ddim_times(s.steps(), steps);
            for (done, &t) in times.iter().enumerate() {
                let prev = times.get(done + 1).copied().unwrap_or(0);
                let e = model.eps(&x, t)?;
                check(&e, t)?;
                let (ab, ap) = (s.alpha_bar(t), s.alpha_bar(prev));
                let sigma = eta * ((1.0 - ap) / (1.0 - ab)).sqrt() * (1.0 - ab / ap).sqrt();
                let dir = (1.0 - ap - sigma * sigma).max(0.0).sqrt();
                let z = if sigma > 0.0 {
                    normals(substream(seed, t as u64), x.len())
                } else {
                    Vec::new()
                };
                for (i, (xi, ei)) in x.iter_mut().zip(&e).enumerate() {
                    let x0 = (*xi - (1.0 - ab).sqrt() * ei) / ab.sqrt();
                    *xi = ap.sqrt() * x0 + dir * ei + if sigma > 0.0 { sigma * z[i] } else { 0.0 };
                }
                progress(done + 1, total);
            }
        }
    }
    Ok(x)
}

/// The sizes of a [`Ddpm`]: its network and its schedule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DdpmConfig {
    pub unet: UNetConfig,
    /// T.
    pub steps: usize,
    pub beta_start: f64,
    pub beta_end: f64,
}

impl Default for DdpmConfig {
    /// The report's (and Ho et al.'s): T = 1000, β from 1e-4 to 0.02, the report's U-Net sizes.
    fn default() -> Self {
        DdpmConfig {
            unet: UNetConfig::default(),
            steps: 1000,
            beta_start: 1e-4,
            beta_end: 0.02,
        }
    }
}

/// A DDPM: the schedule and the network ε_θ.
#[derive(Clone, Debug)]
pub struct Ddpm {
    pub config: DdpmConfig,
    pub schedule: Schedule,
    pub net: UNet,
}

impl Ddpm {
    /// Adds the network's parameters to `store`.
    pub fn new<B: Backend>(store: &mut ParamStore<B>, config: DdpmConfig) -> Result<Self> {
        let schedule = Schedule::linear(config.steps, config.beta_start, config.beta_end)?;
        let net = UNet::new(store, config.unet.clone())?;
        Ok(Ddpm { config, schedule, net })
    }

    /// Values per sample (C·S·S).
    pub fn sample_len(&self) -> usize {
        let u = &self.config.unet;
        u.in_channels * u.size * u.size
    }

    /// The training loss for clean fields x_0 (N samples, row-major), times t and noise ε:
    /// mean over all values of (ε_θ(x_t, t) − ε)² with x_t from [`q_sample`].
    pub fn loss<'t, B: Backend>(
        &self,
        store: &ParamStore<B>,
        tape: &'t Tape<B>,
        x0: &[f64],
        t: &[usize],
        eps: &[f64],
    ) -> Result<Var<'t, B>> {
        let u = &self.config.unet;
        let shape = [t.len(), u.in_channels, u.size, u.size];
        if x0.len() != t.len() * self.sample_len() || eps.len() != x0.len() {
            return Err(Error::shape(
                "ddpm",
                &shape,
                &[x0.len(), eps.len()],
                "x_0 and ε must hold one field per time step",
            ));
        }
        if let Some(&bad) = t.iter().find(|&&ti| ti == 0 || ti > self.schedule.steps()) {
            return Err(Error::invalid(
                "ddpm",
                format!("time step {bad} outside 1 … {}", self.schedule.steps()),
            ));
        }
        let be = tape.backend();
        let xt = tape.input(Tensor::from_f64(be, &q_sample(&self.schedule, x0, eps, t), &shape)?);
        let target = tape.input(Tensor::from_f64(be, eps, &shape)?);
        let tf: Vec<f64> = t.iter().map(|&v| v as f64).collect();
        let pred = self.net.forward(store, xt, &tf)?;
        loss::mse(pred, target)
    }

    /// The network as an ε predictor for [`sample`]: evaluates batches of at most `chunk`
    /// fields on tapes that record no gradients.
    pub fn predictor<'a, B: Backend>(&'a self, store: &'a ParamStore<B>, chunk: usize) -> impl EpsModel + 'a {
        let per = self.sample_len();
        let u = self.config.unet.clone();
        let chunk = chunk.max(1);
        move |x: &[f64], t: usize| -> Result<Vec<f64>> {
            let mut out = Vec::with_capacity(x.len());
            for part in x.chunks(chunk * per) {
                let n = part.len() / per;
                let tape = Tape::new(store.backend().clone()).no_grad();
                let xv = tape.input(Tensor::from_f64(tape.backend(), part, &[n, u.in_channels, u.size, u.size])?);
                out.extend(self.net.forward(store, xv, &vec![t as f64; n])?.to_vec()?);
            }
            Ok(out)
        }
    }
}
