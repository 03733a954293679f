//! An MDN for parameter inference from maps, whichever its trunk: the thesis's network
//! ([`MdnCnn`]) or the periodic one ([`MdnPeriodic`]), described by an [`MdnArchitecture`] — a
//! plain JSON record that checkpoints carry, so that a reader can rebuild the model elsewhere
//! (`notes/mdn_checkpoint_python.md` does it in PyTorch).

use super::mdn_cnn::{MdnCnn, MdnCnnConfig, KERAS_BN_EPS, KERAS_BN_MOMENTUM};
use super::mdn_periodic::{MdnPeriodic, MdnPeriodicConfig};
use super::mixture_head::{MixtureHead, MixtureParams};
use crate::autodiff::Var;
use crate::backend::{Backend, SigmaParam};
use crate::error::{Error, Result};
use crate::eval::mixture::Scale;
use crate::nn::ParamStore;
use serde::{Deserialize, Serialize};

/// Which trunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ArchKind {
    /// The thesis's network exactly (§4), initialised as its Keras model.
    Thesis,
    /// Circular padding, two convolutions per scale, global average pooling, dropout.
    Periodic,
}

impl ArchKind {
    pub fn name(&self) -> &'static str {
        match self {
            ArchKind::Thesis => "thesis",
            ArchKind::Periodic => "periodic",
        }
    }
}

/// One inferred parameter: its name (`Omega_m`, `sigma_8`, `A_SN1`, …) and how it is scaled
/// to the network's target in [0, 1].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub name: String,
    pub scale: Scale,
}

/// How the raw widths become standard deviations, as JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SigmaSpec {
    /// `softplus`: σ = floor + ln(1 + eˢ); `exp`: σ = floor + eˢ.
    pub kind: String,
    pub floor: f64,
}

/// Batch-norm constants in PyTorch's convention (momentum = weight of the batch statistic).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchNormSpec {
    pub eps: f64,
    pub momentum: f64,
}

/// The periodic trunk's sizes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeriodicSpec {
    /// Stride-2 16-channel convolutions before the stages.
    pub stem: usize,
    pub widths: Vec<usize>,
    /// 3×3 convolutions of each stage.
    pub convs: Vec<usize>,
    pub hidden: usize,
    pub dropout: f64,
}

/// Everything needed to rebuild the network (and to read its outputs) outside cosmograd.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MdnArchitecture {
    pub arch: ArchKind,
    /// Side of the square input maps.
    pub input_size: usize,
    /// Input channels, one per field, in the order of `fields`.
    pub in_channels: usize,
    /// Mixture components K.
    pub components: usize,
    /// One σ per component (thesis eq. 57) or one per component and target.
    pub isotropic: bool,
    pub sigma: SigmaSpec,
    /// The targets in output order (D = their number) and their scaling.
    pub targets: Vec<Target>,
    /// Batch normalisation as built (the thesis's: Keras's ε and momentum).
    pub batchnorm: BatchNormSpec,
    /// Thesis trunk: Keras initialisers (Glorot-uniform, zero biases) rather than He/PyTorch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keras_defaults: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub periodic: Option<PeriodicSpec>,
    /// Seed of the initial weights.
    pub seed: u64,
}

impl SigmaSpec {
    pub fn param(&self) -> Result<SigmaParam> {
        match self.kind.as_str() {
            "softplus" => Ok(SigmaParam::Softplus { floor: self.floor }),
            "exp" => Ok(SigmaParam::Exp { floor: self.floor }),
            other => Err(Error::invalid(
                "mdn",
                format!("unknown σ parametrisation `{other}`; use softplus or exp"),
            )),
        }
    }
}

impl MdnArchitecture {
    /// The architecture of `kind` with that trunk's defaults.
    pub fn new(kind: ArchKind, input_size: usize, in_channels: usize, components: usize, targets: Vec<Target>, seed: u64) -> Self {
        let sigma = SigmaSpec {
            kind: "softplus".into(),
            floor: 1e-3,
        };
        match kind {
            ArchKind::Thesis => MdnArchitecture {
                arch: kind,
                input_size,
                in_channels,
                components,
                isotropic: true,
                sigma,
                targets,
                batchnorm: BatchNormSpec {
                    eps: KERAS_BN_EPS,
                    momentum: KERAS_BN_MOMENTUM,
                },
                keras_defaults: Some(true),
                periodic: None,
                seed,
            },
            ArchKind::Periodic => {
                let d = MdnPeriodicConfig::default();
                let (stem, widths, convs) = MdnPeriodicConfig::stages_for(input_size);
                MdnArchitecture {
                    arch: kind,
                    input_size,
                    in_channels,
                    components,
                    isotropic: false,
                    sigma,
                    targets,
                    batchnorm: BatchNormSpec { eps: 1e-5, momentum: 0.1 },
                    keras_defaults: None,
                    periodic: Some(PeriodicSpec {
                        stem,
                        widths,
                        convs,
                        hidden: d.hidden,
                        dropout: d.dropout,
                    }),
                    seed,
                }
            }
        }
    }
    pub fn target_dim(&self) -> usize {
        self.targets.len()
    }
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an architecture serialises")
    }
    pub fn from_json(s: &str) -> Result<Self> {
        serde_json::from_str(s).map_err(|e| Error::invalid("mdn", format!("not an MDN architecture record: {e}")))
    }
}

/// An MDN of either trunk. (One per model: the larger variant's size costs nothing.)
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Mdn {
    Thesis(MdnCnn),
    Periodic(MdnPeriodic),
}

impl Mdn {
    /// Builds the model and adds its parameters to `store`.
    pub fn new<B: Backend>(store: &mut ParamStore<B>, a: &MdnArchitecture) -> Result<Self> {
        if a.targets.is_empty() {
            return Err(Error::invalid("mdn", "no targets: name at least one parameter to infer"));
        }
        let sigma = a.sigma.param()?;
        match a.arch {
            ArchKind::Thesis => {
                let cfg = MdnCnnConfig {
                    input_size: a.input_size,
                    in_channels: a.in_channels,
                    components: a.components,
                    target_dim: a.target_dim(),
                    isotropic: a.isotropic,
                    sigma,
                    keras_defaults: a.keras_defaults.unwrap_or(true),
                    seed: a.seed,
                };
                Ok(Mdn::Thesis(MdnCnn::new(store, cfg)?))
            }
            ArchKind::Periodic => {
                let p = a
                    .periodic
                    .clone()
                    .ok_or_else(|| Error::invalid("mdn", "a periodic architecture record needs its `periodic` sizes"))?;
                let cfg = MdnPeriodicConfig {
                    input_size: a.input_size,
                    in_channels: a.in_channels,
                    stem: p.stem,
                    widths: p.widths,
                    convs: p.convs,
                    hidden: p.hidden,
                    dropout: p.dropout,
                    components: a.components,
                    target_dim: a.target_dim(),
                    isotropic: a.isotropic,
                    sigma,
                    seed: a.seed,
                };
                Ok(Mdn::Periodic(MdnPeriodic::new(store, cfg)?))
            }
        }
    }
    pub fn head(&self) -> &MixtureHead {
        match self {
            Mdn::Thesis(m) => &m.head,
            Mdn::Periodic(m) => &m.head,
        }
    }
    /// The mixture parameters for maps x [N, C, S, S].
    pub fn forward<'t, B: Backend>(&self, s: &ParamStore<B>, x: Var<'t, B>) -> Result<MixtureParams<'t, B>> {
        match self {
            Mdn::Thesis(m) => m.forward(s, x),
            Mdn::Periodic(m) => m.forward(s, x),
        }
    }
    /// −ln p(y|x) per map [N].
    pub fn nll<'t, B: Backend>(&self, s: &ParamStore<B>, x: Var<'t, B>, y: Var<'t, B>) -> Result<Var<'t, B>> {
        let m = self.forward(s, x)?;
        self.head().nll(&m, y)
    }
}
