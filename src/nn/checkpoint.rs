//! Checkpoints as safetensors files: the named parameters, buffers and optimiser state of a
//! model, readable from Python (`safetensors.torch.load_file`) as well as from cosmograd.
//!
//! Tensor keys: `param/<name>`, `buffer/<name>`, `optim/<name>/<slot>` (slots `m`, `v` for
//! Adam/AdamW, `velocity` for SGD). Values are stored in the backend's precision, little-endian
//! (F32 for `Cpu<f32>`, F64 for `Cpu<f64>`), so a round trip is exact. String
//! metadata: `format`, `cosmograd_version`, and with an optimiser `optim.kind`, `optim.step`,
//! `optim.param_steps` (a JSON object: updates per parameter), `optim.config`; callers may add
//! their own keys (epoch, architecture, …).
//!
//! Saving is atomic: the bytes go to a temporary file in the target's directory, which is
//! flushed to disk and then renamed over the target, so a crash leaves either the old
//! checkpoint or the new one, never half of one. Loading checks everything (format, every
//! parameter present with the right shape, nothing unexpected, the optimiser kind) before it
//! changes anything, and each failure says what is wrong and what to do.

use super::optim::{Optimizer, ParamState};
use super::ParamStore;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use safetensors::tensor::{Dtype, SafeTensors, View};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The `format` metadata value of files written by this version.
pub const FORMAT: &str = "cosmograd-checkpoint/1";
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

fn err(path: &Path, msg: impl Into<String>) -> Error {
    Error::Checkpoint {
        path: path.display().to_string(),
        msg: msg.into(),
    }
}

/// A tensor's bytes ready for serialisation.
struct Bytes {
    dtype: Dtype,
    shape: Vec<usize>,
    data: Vec<u8>,
}

impl View for &Bytes {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.data)
    }
    fn data_len(&self) -> usize {
        self.data.len()
    }
}

fn to_bytes<B: Backend>(be: &B, t: &Tensor<B>) -> Result<Bytes> {
    let data = if be.elem_bytes() == 8 {
        t.to_vec_f64(be)?.iter().flat_map(|x| x.to_le_bytes()).collect()
    } else {
        t.to_vec_f32(be)?.iter().flat_map(|x| x.to_le_bytes()).collect()
    };
    Ok(Bytes {
        dtype: if be.elem_bytes() == 8 { Dtype::F64 } else { Dtype::F32 },
        shape: t.shape().to_vec(),
        data,
    })
}

/// Saves the store (and the optimiser's state, if given) to `path`, atomically. `extra`
/// metadata is stored as given (e.g. `epoch`, `arch`).
pub fn save<B: Backend>(
    path: impl AsRef<Path>,
    store: &ParamStore<B>,
    optim: Option<&dyn Optimizer<B>>,
    extra: &BTreeMap<String, String>,
) -> Result<()> {
    let path = path.as_ref();
    let be = store.backend();
    let mut meta: HashMap<String, String> = HashMap::new();
    for (k, v) in extra {
        if RESERVED.contains(&k.as_str()) {
            return Err(err(
                path,
                format!("metadata key `{k}` is reserved by the checkpoint format; rename it"),
            ));
        }
        meta.insert(k.clone(), v.clone());
    }
    meta.insert("format".into(), FORMAT.into());
    meta.insert("cosmograd_version".into(), env!("CARGO_PKG_VERSION").into());
    let mut tensors: Vec<(String, Bytes)> = Vec::new();
    for (name, t) in store.params() {
        tensors.push((format!("param/{name}"), to_bytes(be, t)?));
    }
    for (name, t) in store.buffers() {
        tensors.push((format!("buffer/{name}"), to_bytes(be, t)?));
    }
    if let Some(opt) = optim {
        let state = opt.state();
        meta.insert("optim.kind".into(), opt.kind().into());
        meta.insert("optim.step".into(), state.step.to_string());
        meta.insert("optim.config".into(), opt.describe());
        let steps: BTreeMap<&str, u64> = state.params.iter().map(|(n, s)| (n.as_str(), s.step)).collect();
        meta.insert(
            "optim.param_steps".into(),
            serde_json::to_string(&steps).expect("a map of numbers serialises"),
        );
        for (name, s) in &state.params {
            for (slot, t) in opt.slot_names().iter().zip(&s.slots) {
                tensors.push((format!("optim/{name}/{slot}"), to_bytes(be, t)?));
            }
        }
    }
    let bytes = safetensors::serialize(tensors.iter().map(|(k, b)| (k.as_str(), b)), Some(meta))
        .map_err(|e| err(path, format!("cannot serialise: {e}")))?;
    write_atomically(path, &bytes)
}

/// Writes `bytes` to a temporary file beside `path`, syncs it, and renames it over `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| err(path, "the path names no file; give a file name such as model.safetensors"))?;
    // Unique per call, not only per process: two threads saving to one path must not share it.
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{}.tmp-{}-{call}", file_name.to_string_lossy(), std::process::id()));
    let io = |what: &str, e: std::io::Error| err(path, format!("{what}: {e}; check that the directory exists and is writable"));
    let written = (|| -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(&format!("cannot write the temporary file {}", tmp.display()), e));
    }
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(io("cannot move the temporary file into place", e));
    }
    // The rename itself is durable only once the directory entry is on disk.
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// A parsed checkpoint file, for loading or inspection.
struct Parsed {
    bytes: Vec<u8>,
    metadata: BTreeMap<String, String>,
}

fn read(path: &Path) -> Result<Parsed> {
    let bytes = std::fs::read(path).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::NotFound {
            "no such file; check the path (checkpoints are written as *.safetensors)"
        } else {
            "check the file's permissions"
        };
        err(path, format!("cannot read: {e}; {hint}"))
    })?;
    let corrupt = |e: safetensors::SafeTensorError| {
        err(
            path,
            format!(
                "not a valid safetensors file ({e}): it is corrupt or truncated (an interrupted copy?); \
                 copy it again or use an earlier checkpoint"
            ),
        )
    };
    SafeTensors::deserialize(&bytes).map_err(corrupt)?;
    let (_, header) = SafeTensors::read_metadata(&bytes).map_err(corrupt)?;
    let metadata: BTreeMap<String, String> = header.metadata().clone().unwrap_or_default().into_iter().collect();
    match metadata.get("format") {
        Some(f) if f == FORMAT => {}
        Some(f) => {
            return Err(err(
                path,
                format!("checkpoint format `{f}` is not `{FORMAT}`; it was written by another cosmograd version"),
            ))
        }
        None => {
            return Err(err(
                path,
                "a safetensors file but not a cosmograd checkpoint (no `format` metadata); \
                 a foreign file's tensors can be read with the safetensors crate directly",
            ))
        }
    }
    Ok(Parsed { bytes, metadata })
}

fn info_of(p: &Parsed) -> CheckpointInfo {
    let st = SafeTensors::deserialize(&p.bytes).expect("checked by read");
    let tensors = st.iter().map(|(k, v)| (k.to_string(), v.shape().to_vec())).collect();
    let optimizer = p.metadata.get("optim.kind").map(|k| {
        let step = p.metadata.get("optim.step").and_then(|s| s.parse().ok()).unwrap_or(0);
        (k.clone(), step)
    });
    CheckpointInfo {
        format: p.metadata["format"].clone(),
        version: p.metadata.get("cosmograd_version").cloned().unwrap_or_default(),
        optimizer,
        metadata: p.metadata.clone(),
        tensors,
    }
}

/// Reads a checkpoint's metadata and tensor shapes without loading it into a model.
pub fn inspect(path: impl AsRef<Path>) -> Result<CheckpointInfo> {
    Ok(info_of(&read(path.as_ref())?))
}

/// The tensor under `key` as a backend tensor of the expected shape.
fn tensor_at<B: Backend>(path: &Path, st: &SafeTensors<'_>, be: &B, key: &str, what: &str, want: &[usize]) -> Result<Tensor<B>> {
    let v = st.tensor(key).map_err(|_| {
        err(
            path,
            format!(
                "{what} is missing from the checkpoint (no tensor `{key}`); the checkpoint was written by \
                 another model: check the architecture options, or start from scratch"
            ),
        )
    })?;
    if v.shape() != want {
        return Err(err(
            path,
            format!(
                "{what} has shape {:?} in the checkpoint but {want:?} in the model; the checkpoint belongs to \
                 another architecture or size: use the same model options as when it was saved",
                v.shape()
            ),
        ));
    }
    let data = v.data();
    let t = match v.dtype() {
        Dtype::F32 => {
            let x: Vec<f32> = data.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
            Tensor::from_f32(be, &x, want)?
        }
        Dtype::F64 => {
            let x: Vec<f64> = data.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect();
            Tensor::from_f64(be, &x, want)?
        }
        other => {
            return Err(err(
                path,
                format!("{what} is stored as {other:?}; cosmograd reads F32 and F64 tensors only"),
            ))
        }
    };
    Ok(t)
}

/// Loads `path` into the store (every parameter and buffer of the store must be in the file
/// with the same shape, and the file may hold no others) and, if given, into the optimiser
/// (which must be of the kind that saved it). Nothing is changed unless everything fits.
pub fn load<B: Backend>(path: impl AsRef<Path>, store: &mut ParamStore<B>, optim: Option<&mut dyn Optimizer<B>>) -> Result<CheckpointInfo> {
    let path = path.as_ref();
    let parsed = read(path)?;
    let st = SafeTensors::deserialize(&parsed.bytes).expect("checked by read");
    let be = store.backend().clone();

    let mut values: Vec<(String, Tensor<B>)> = Vec::new();
    for (name, t) in store.params() {
        let what = format!("parameter `{name}`");
        values.push((name.clone(), tensor_at(path, &st, &be, &format!("param/{name}"), &what, t.shape())?));
    }
    for (name, t) in store.buffers() {
        let what = format!("buffer `{name}`");
        values.push((
            name.clone(),
            tensor_at(path, &st, &be, &format!("buffer/{name}"), &what, t.shape())?,
        ));
    }
    for key in st.names() {
        let (kind, name) = key.split_once('/').unwrap_or(("", key));
        let known = match kind {
            "param" => store.is_param(name),
            "buffer" => store.buffers().any(|(n, _)| n == name),
            "optim" => true,
            _ => false,
        };
        if !known {
            return Err(err(
                path,
                format!(
                    "the checkpoint holds `{key}`, which the model does not have; it was written by another \
                     model: check the architecture options"
                ),
            ));
        }
    }

    let optim_state = match optim {
        None => None,
        Some(opt) => Some((read_optim_state(path, &parsed.metadata, &st, &be, store, &*opt)?, opt)),
    };

    for (name, t) in values {
        store.set(&name, t)?;
    }
    if let Some(((step, params), opt)) = optim_state {
        let core = opt.core_mut();
        core.state.step = step;
        core.state.params = params;
    }
    Ok(info_of(&parsed))
}

type LoadedOptim<B> = (u64, BTreeMap<String, ParamState<B>>);

fn read_optim_state<B: Backend>(
    path: &Path,
    meta: &BTreeMap<String, String>,
    st: &SafeTensors<'_>,
    be: &B,
    store: &ParamStore<B>,
    opt: &dyn Optimizer<B>,
) -> Result<LoadedOptim<B>> {
    let kind = meta.get("optim.kind").ok_or_else(|| {
        err(
            path,
            "the checkpoint holds no optimiser state; load it without an optimiser to start a fresh one",
        )
    })?;
    if kind != opt.kind() {
        return Err(err(
            path,
            format!(
                "the checkpoint's optimiser state is for `{kind}`, not `{}`; use the same optimiser, or load \
                 without one to start it fresh",
                opt.kind()
            ),
        ));
    }
    let bad_meta = |key: &str| {
        err(
            path,
            format!("metadata `{key}` is missing or malformed; the file was edited or is damaged"),
        )
    };
    let step: u64 = meta
        .get("optim.step")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad_meta("optim.step"))?;
    let steps: BTreeMap<String, u64> = meta
        .get("optim.param_steps")
        .and_then(|s| serde_json::from_str(s).ok())
        .ok_or_else(|| bad_meta("optim.param_steps"))?;
    let mut params = BTreeMap::new();
    for (name, pstep) in steps {
        let shape = store
            .params()
            .find(|(n, _)| **n == name)
            .map(|(_, t)| t.shape().to_vec())
            .ok_or_else(|| {
                err(
                    path,
                    format!("the optimiser state names parameter `{name}`, which the model does not have"),
                )
            })?;
        let slots = opt
            .slot_names()
            .iter()
            .map(|slot| {
                let what = format!("optimiser state `{slot}` of `{name}`");
                tensor_at(path, st, be, &format!("optim/{name}/{slot}"), &what, &shape)
            })
            .collect::<Result<Vec<_>>>()?;
        params.insert(name, ParamState { step: pstep, slots });
    }
    Ok((step, params))
}
