//! Seeded initialisers. fan_in and fan_out are those of PyTorch: for a weight [out, in, kh, kw],
//! fan_in = in·kh·kw and fan_out = out·kh·kw.

use super::ParamStore;
use crate::backend::Backend;
use crate::error::Result;
use crate::tensor::Tensor;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    Zeros,
    Constant(f64),
    /// He (Kaiming) normal: N(0, 2/fan_in), for ReLU layers.
    HeNormal,
    /// He uniform: U(±√(6/fan_in)).
    HeUniform,
    /// Xavier (Glorot) uniform: U(±√(6/(fan_in + fan_out))), for tanh/sigmoid layers.
    XavierUniform,
    /// Xavier normal: N(0, 2/(fan_in + fan_out)).
    XavierNormal,
    /// PyTorch's default for Linear/Conv weights and biases: U(±1/√fan_in) (what
    /// `kaiming_uniform_(a=√5)` works out to). Not Keras's `lecun_uniform`, which is
    /// U(±√(3/fan_in)), √3 times wider; this variant was called `LecunUniform` before.
    TorchDefault,
    Normal {
        std: f64,
    },
}

/// (fan_in, fan_out) of a weight of this shape.
pub fn fans(shape: &[usize]) -> (usize, usize) {
    match shape.len() {
        0 => (1, 1),
        1 => (shape[0], shape[0]),
        _ => {
            let receptive: usize = shape[2..].iter().product();
            (shape[1] * receptive, shape[0] * receptive)
        }
    }
}

impl Init {
    /// Draws values for `shape`; `fan_in` overrides the shape's (biases use their layer's).
    ///
    /// # Panics
    /// On `Normal { std }` with a negative or non-finite std ([`Init::tensor`] returns an error).
    pub fn sample(&self, shape: &[usize], fan_in: Option<usize>, seed: u64) -> Vec<f64> {
        let n: usize = shape.iter().product();
        let (fi, fo) = fans(shape);
        let fi = fan_in.unwrap_or(fi).max(1) as f64;
        let fo = fo.max(1) as f64;
        let mut rng = StdRng::seed_from_u64(seed);
        let uniform = |rng: &mut StdRng, a: f64| (0..n).map(|_| rng.random_range(-a..a)).collect::<Vec<_>>();
        let normal = |rng: &mut StdRng, std: f64| {
            let d = Normal::new(0.0, std).expect("finite std");
            (0..n).map(|_| d.sample(rng)).collect::<Vec<_>>()
        };
        match *self {
            Init::Zeros => vec![0.0; n],
            Init::Constant(c) => vec![c; n],
            Init::HeNormal => normal(&mut rng, (2.0 / fi).sqrt()),
            Init::HeUniform => uniform(&mut rng, (6.0 / fi).sqrt()),
            Init::XavierUniform => uniform(&mut rng, (6.0 / (fi + fo)).sqrt()),
            Init::XavierNormal => normal(&mut rng, (2.0 / (fi + fo)).sqrt()),
            Init::TorchDefault => uniform(&mut rng, 1.0 / fi.sqrt()),
            Init::Normal { std } => normal(&mut rng, std),
        }
    }
    /// The values of [`Init::sample`] as a tensor; an invalid initialiser is an error here.
    pub fn tensor<B: Backend>(&self, b: &B, shape: &[usize], fan_in: Option<usize>, seed: u64) -> Result<Tensor<B>> {
        match *self {
            Init::Normal { std } if !(std.is_finite() && std >= 0.0) => {
                return Err(crate::error::Error::invalid(
                    "init",
                    format!("normal std must be finite and ≥ 0, got {std}"),
                ));
            }
            Init::Constant(c) if !c.is_finite() => {
                return Err(crate::error::Error::invalid("init", format!("constant must be finite, got {c}")));
            }
            _ => {}
        }
        Tensor::from_f64(b, &self.sample(shape, fan_in, seed), shape)
    }
}

/// A seed per parameter name, derived from a model seed: adding a layer does not change the
/// initial values of the others.
pub fn seed_for(model_seed: u64, name: &str) -> u64 {
    name.bytes().fold(model_seed ^ 0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

/// Adds `<name>.weight` of `shape` drawn from `init` and, with `bias = Some((len, fan_in))`,
/// `<name>.bias` [len] from PyTorch's default U(±1/√fan_in); both seeded by name. Returns
/// their names.
pub(crate) fn add_weight_and_bias<B: Backend>(
    store: &mut ParamStore<B>,
    name: &str,
    shape: &[usize],
    bias: Option<(usize, usize)>,
    init: Init,
    seed: u64,
) -> Result<(String, Option<String>)> {
    let weight = format!("{name}.weight");
    let b = store.backend().clone();
    store.add(&weight, init.tensor(&b, shape, None, seed_for(seed, &weight))?)?;
    let Some((len, fan_in)) = bias else {
        return Ok((weight, None));
    };
    let bname = format!("{name}.bias");
    let t = Init::TorchDefault.tensor(&b, &[len], Some(fan_in), seed_for(seed, &bname))?;
    store.add(&bname, t)?;
    Ok((weight, Some(bname)))
}
