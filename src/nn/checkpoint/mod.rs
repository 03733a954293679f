//! Checkpoints as safetensors files: the named parameters, buffers and optimiser state of a
//! model, readable from Python (`safetensors.torch.load_file`) as well as from cosmograd.
//!
//! Tensor keys: `param/<name>`, `buffer/<name>`, `optim/<name>/<slot>` (slots `m`, `v` for
//! Adam/AdamW, `velocity` for SGD). Values are stored in the backend's precision, little-endian
//! (F32 for `Cpu<f32>`, F64 for `Cpu<f64>`), so a round trip is exact. String metadata, every
//! value plain text or JSON so that other tools can read it:
//! - `format`, `cosmograd_version`;
//! - with an optimiser: `optim.kind` (`sgd`, `adam`, `adamw`), `optim.step` (completed
//!   steps), `optim.param_steps` (JSON object: updates per parameter), `optim.config` (JSON
//!   object: the hyper-parameters, schedule and clipping, see [`Optimizer::config`]);
//! - with a model description ([`model_metadata`]): `model.kind` and `model.config` (JSON, the
//!   architecture options needed to rebuild the model);
//! - the caller's own keys (epoch, …).
//!
//! Saving is atomic (`write.rs`): the bytes go to a temporary file beside the target, which is
//! flushed to disk and renamed over it, so a crash leaves the old checkpoint or the new one,
//! never half of one; the next save of the same target removes temporary files that a killed
//! save left. Loading (`read.rs`) checks everything before it changes anything: the format,
//! every parameter present with the right shape, every tensor in the file used, values that
//! fit the backend's precision and are finite, the optimiser's kind and state. Each failure
//! says what is wrong and what to do.

mod read;
mod write;

pub use read::{inspect, load, load_with};
pub use write::save;

use crate::error::{Error, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

#[cfg(doc)]
use super::optim::Optimizer;

/// The `format` metadata value of files written by this version.
pub const FORMAT: &str = "cosmograd-checkpoint/1";
/// Metadata key of the model's kind (e.g. `mdn_cnn`), written by [`model_metadata`].
pub const MODEL_KIND: &str = "model.kind";
/// Metadata key of the model's architecture options as JSON, written by [`model_metadata`].
pub const MODEL_CONFIG: &str = "model.config";
/// Metadata keys the checkpoint itself writes; callers' extra metadata may not use them.
const RESERVED: [&str; 6] = [
    "format",
    "cosmograd_version",
    "optim.kind",
    "optim.step",
    "optim.param_steps",
    "optim.config",
];

/// What a checkpoint says about itself.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckpointInfo {
    pub format: String,
    /// The cosmograd version that wrote it.
    pub version: String,
    /// The optimiser's kind and completed steps, if its state was saved.
    pub optimizer: Option<(String, u64)>,
    /// Every metadata entry, the caller's extra keys included.
    pub metadata: BTreeMap<String, String>,
    /// Tensor key → shape.
    pub tensors: BTreeMap<String, Vec<usize>>,
}

impl CheckpointInfo {
    /// The model kind recorded by [`model_metadata`], if any.
    pub fn model_kind(&self) -> Option<&str> {
        self.metadata.get(MODEL_KIND).map(String::as_str)
    }
    /// The architecture options recorded by [`model_metadata`], parsed into `C`; `None` when
    /// the checkpoint has none, an error when they do not parse as `C`.
    pub fn model_config<C: DeserializeOwned>(&self) -> Result<Option<C>> {
        let Some(text) = self.metadata.get(MODEL_CONFIG) else {
            return Ok(None);
        };
        serde_json::from_str(text).map(Some).map_err(|e| {
            Error::Other(format!(
                "checkpoint metadata `{MODEL_CONFIG}` does not describe this kind of model ({e}); \
                 it was saved by another model (`{}`)",
                self.model_kind().unwrap_or("unnamed")
            ))
        })
    }
    /// The optimiser's settings as saved (`optim.config`, a JSON object), if any.
    pub fn optim_config(&self) -> Option<serde_json::Value> {
        self.metadata.get("optim.config").and_then(|s| serde_json::from_str(s).ok())
    }
}

/// The hook through which a model records its architecture in a checkpoint: metadata entries
/// `model.kind = kind` and `model.config = <config as JSON>`, to pass to [`save`] (merged with
/// any other metadata). [`CheckpointInfo::model_config`] reads the options back, so a program
/// can rebuild the model a checkpoint belongs to before loading it, and Python can read them
/// with `json.loads(metadata["model.config"])`.
///
/// ```
/// # use std::collections::BTreeMap;
/// #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
/// struct MyNet { hidden: usize, components: usize }
///
/// let cfg = MyNet { hidden: 64, components: 3 };
/// let mut meta = cosmograd::nn::checkpoint::model_metadata("my_net", &cfg).unwrap();
/// meta.insert("epoch".into(), "12".into());
/// assert_eq!(meta["model.config"], r#"{"hidden":64,"components":3}"#);
/// // checkpoint::save(path, &store, Some(&opt), &meta)?; later:
/// // let cfg: MyNet = checkpoint::inspect(path)?.model_config()?.expect("saved with one");
/// ```
pub fn model_metadata(kind: &str, config: &impl Serialize) -> Result<BTreeMap<String, String>> {
    let json =
        serde_json::to_string(config).map_err(|e| Error::Other(format!("the model options of `{kind}` cannot be written as JSON: {e}")))?;
    Ok(BTreeMap::from([
        (MODEL_KIND.to_string(), kind.to_string()),
        (MODEL_CONFIG.to_string(), json),
    ]))
}

/// What [`load_with`] tolerates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Load NaN and ±∞ values instead of refusing the file (to inspect a run that diverged;
    /// with the guard on, `ParamStore::var` then names the parameter and this file).
    pub allow_non_finite: bool,
}

fn err(path: &Path, msg: impl Into<String>) -> Error {
    Error::Checkpoint {
        path: path.display().to_string(),
        msg: msg.into(),
    }
}

/// "… is a directory" with the checkpoint files in it, if any, as suggestions.
fn directory_hint(path: &Path) -> String {
    let mut files: Vec<String> = std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".safetensors"))
        .collect();
    files.sort();
    let inside = match files.len() {
        0 => String::new(),
        n => format!(
            " (it holds {}{})",
            files.iter().take(5).cloned().collect::<Vec<_>>().join(", "),
            if n > 5 { ", …" } else { "" }
        ),
    };
    format!(
        "is a directory, not a checkpoint file{inside}; give the path of a file, e.g. {}",
        path.join("model.safetensors").display()
    )
}
