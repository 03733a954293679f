//! Loading and inspecting: every check runs before the store or the optimiser changes.

use super::{directory_hint, err, CheckpointInfo, LoadOptions, FORMAT};
use crate::backend::Backend;
use crate::error::Result;
use crate::nn::optim::{slot_names_of, Optimizer, ParamState};
use crate::nn::ParamStore;
use crate::tensor::Tensor;
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A checkpoint file's bytes and metadata, its format checked.
struct Parsed {
    bytes: Vec<u8>,
    metadata: BTreeMap<String, String>,
}

impl Parsed {
    fn tensors(&self) -> SafeTensors<'_> {
        SafeTensors::deserialize(&self.bytes).expect("checked by read")
    }
}

fn read(path: &Path) -> Result<Parsed> {
    if path.is_dir() {
        return Err(err(path, directory_hint(path)));
    }
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
    let tensors = p.tensors().iter().map(|(k, v)| (k.to_string(), v.shape().to_vec())).collect();
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

/// Decodes and checks tensors of one file for one backend.
struct Reader<'a, B: Backend> {
    path: &'a Path,
    st: SafeTensors<'a>,
    be: &'a B,
    opts: LoadOptions,
}

impl<B: Backend> Reader<'_, B> {
    /// The tensor under `key` (called `what` in messages) as a backend tensor of shape `want`.
    fn tensor(&self, key: &str, what: &str, want: &[usize]) -> Result<Tensor<B>> {
        let v = self.view(key, what)?;
        if v.shape() != want {
            return Err(err(
                self.path,
                format!(
                    "{what} has shape {:?} in the checkpoint but {want:?} in the model; the checkpoint belongs to \
                     another architecture or size: use the same model options as when it was saved",
                    v.shape()
                ),
            ));
        }
        let values = self.values(&v, what)?;
        if !self.opts.allow_non_finite {
            if let Some((i, x)) = values.iter().enumerate().find(|(_, x)| !x.is_finite()) {
                let count = values.iter().filter(|x| !x.is_finite()).count();
                return Err(err(
                    self.path,
                    format!(
                        "{what} holds {count} non-finite value(s) (the first, element {i}, is {x}): the run that saved it \
                         had diverged; use an earlier checkpoint, or load with LoadOptions {{ allow_non_finite: true }} \
                         to inspect it"
                    ),
                ));
            }
        }
        Tensor::from_f64(self.be, &values, want)
    }

    fn view(&self, key: &str, what: &str) -> Result<TensorView<'_>> {
        self.st.tensor(key).map_err(|_| {
            err(
                self.path,
                format!(
                    "{what} is missing from the checkpoint (no tensor `{key}`); the checkpoint was written by \
                     another model: check the architecture options, or start from scratch"
                ),
            )
        })
    }

    /// The stored values, checked to fit the backend's precision: an F64 file read into an
    /// f32 backend must not overflow to ±∞ or flush a non-zero value to 0 (rounding to the
    /// nearest f32 is expected and accepted).
    fn values(&self, v: &TensorView<'_>, what: &str) -> Result<Vec<f64>> {
        let data = v.data();
        let values: Vec<f64> = match v.dtype() {
            Dtype::F32 => data
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")) as f64)
                .collect(),
            Dtype::F64 => data
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
                .collect(),
            other => {
                return Err(err(
                    self.path,
                    format!("{what} is stored as {other:?}; cosmograd reads F32 and F64 tensors only"),
                ))
            }
        };
        if v.dtype() == Dtype::F64 && self.be.elem_bytes() < 8 {
            let lost = values.iter().enumerate().find(|(_, &x)| {
                let y = x as f32;
                (x.is_finite() && y.is_infinite()) || (x != 0.0 && y == 0.0)
            });
            if let Some((i, x)) = lost {
                let how = if (*x as f32).is_infinite() {
                    "overflows to ∞"
                } else {
                    "underflows to 0"
                };
                return Err(err(
                    self.path,
                    format!(
                        "{what} is stored in f64 and does not fit the f32 model: element {i} ({x:e}) {how} in f32; \
                         load it into a Cpu<f64> model instead"
                    ),
                ));
            }
        }
        Ok(values)
    }
}

/// Loads `path` into the store and, if given, into the optimiser, with the default
/// [`LoadOptions`] (non-finite values refused). See [`load_with`].
pub fn load<B: Backend>(path: impl AsRef<Path>, store: &mut ParamStore<B>, optim: Option<&mut dyn Optimizer<B>>) -> Result<CheckpointInfo> {
    load_with(path, store, optim, LoadOptions::default())
}

/// Loads `path` into the store and, if given, into the optimiser (which must be of the kind
/// that saved it). Nothing is changed unless everything fits:
/// - every parameter and buffer of the store is in the file with the same shape;
/// - every tensor of the file is used: no parameter or buffer the store lacks, and optimiser
///   tensors exactly those that `optim.param_steps` names, with its kind's slots, so that no
///   optimiser state is silently dropped (loading without an optimiser skips them after
///   checking them);
/// - values fit the backend's precision (an f64 file into an f32 model: no overflow to ∞, no
///   non-zero flushed to 0) and are finite unless `opts.allow_non_finite`.
///
/// The first tensor that fails is named in the error.
pub fn load_with<B: Backend>(
    path: impl AsRef<Path>,
    store: &mut ParamStore<B>,
    optim: Option<&mut dyn Optimizer<B>>,
    opts: LoadOptions,
) -> Result<CheckpointInfo> {
    let path = path.as_ref();
    let parsed = read(path)?;
    let be = store.backend().clone();
    let r = Reader {
        path,
        st: parsed.tensors(),
        be: &be,
        opts,
    };

    let mut values: Vec<(String, Tensor<B>)> = Vec::new();
    for (name, t) in store.params() {
        let what = format!("parameter `{name}`");
        values.push((name.clone(), r.tensor(&format!("param/{name}"), &what, t.shape())?));
    }
    for (name, t) in store.buffers() {
        let what = format!("buffer `{name}`");
        values.push((name.clone(), r.tensor(&format!("buffer/{name}"), &what, t.shape())?));
    }
    let optim_keys = check_optim_section(&r, &parsed.metadata, store)?;
    let mut names = r.st.names();
    names.sort();
    for key in names {
        let (kind, name) = key.split_once('/').unwrap_or(("", key));
        let known = match kind {
            "param" => store.is_param(name),
            "buffer" => store.buffers().any(|(n, _)| n == name),
            "optim" => optim_keys.contains(key),
            _ => false,
        };
        if !known {
            let why = if kind == "optim" {
                "which its optimiser state (`optim.kind`, `optim.param_steps`) does not account for: the file was \
                 edited or is damaged, and loading it would drop optimiser state silently"
            } else {
                "which the model does not have; it was written by another model: check the architecture options"
            };
            return Err(err(path, format!("the checkpoint holds `{key}`, {why}")));
        }
    }

    let optim_state = match optim {
        None => None,
        Some(opt) => Some((read_optim_state(&r, &parsed.metadata, store, &*opt)?, opt)),
    };

    for (name, t) in values {
        store.set(&name, t)?;
        store.set_origin(&name, path);
    }
    if let Some(((step, params), opt)) = optim_state {
        let core = opt.core_mut();
        core.state.step = step;
        core.state.params = params;
    }
    Ok(info_of(&parsed))
}

/// The optimiser metadata, parsed and checked against the store: (kind, step, per-parameter
/// steps).
struct OptimMeta {
    kind: String,
    step: u64,
    param_steps: BTreeMap<String, u64>,
    slots: &'static [&'static str],
}

fn optim_meta<B: Backend>(r: &Reader<'_, B>, meta: &BTreeMap<String, String>, store: &ParamStore<B>) -> Result<Option<OptimMeta>> {
    let Some(kind) = meta.get("optim.kind") else {
        return Ok(None);
    };
    let path = r.path;
    let bad_meta = |key: &str| {
        err(
            path,
            format!("metadata `{key}` is missing or malformed; the file was edited or is damaged"),
        )
    };
    let slots = slot_names_of(kind).ok_or_else(|| {
        err(
            path,
            format!("the optimiser kind `{kind}` is unknown to this version (sgd, adam, adamw); the file was edited"),
        )
    })?;
    let step: u64 = meta
        .get("optim.step")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad_meta("optim.step"))?;
    let param_steps: BTreeMap<String, u64> = meta
        .get("optim.param_steps")
        .and_then(|s| serde_json::from_str(s).ok())
        .ok_or_else(|| bad_meta("optim.param_steps"))?;
    for (name, &s) in &param_steps {
        if !store.is_param(name) {
            return Err(err(
                path,
                format!("the optimiser state names parameter `{name}`, which the model does not have"),
            ));
        }
        // State is created by a parameter's first update and counts at most one per step.
        if s == 0 || s > step {
            return Err(err(
                path,
                format!(
                    "the optimiser state says parameter `{name}` had {s} updates in {step} steps; the file was \
                     edited or is damaged"
                ),
            ));
        }
    }
    Ok(Some(OptimMeta {
        kind: kind.clone(),
        step,
        param_steps,
        slots,
    }))
}

/// Checks the `optim/…` tensors against the optimiser metadata (present, shaped like their
/// parameter) and returns their keys: every one the metadata accounts for.
fn check_optim_section<B: Backend>(r: &Reader<'_, B>, meta: &BTreeMap<String, String>, store: &ParamStore<B>) -> Result<BTreeSet<String>> {
    let Some(m) = optim_meta(r, meta, store)? else {
        return Ok(BTreeSet::new());
    };
    let mut keys = BTreeSet::new();
    for name in m.param_steps.keys() {
        let shape = store.get(name)?.shape().to_vec();
        for slot in m.slots {
            let key = format!("optim/{name}/{slot}");
            let what = format!("optimiser state `{slot}` of `{name}`");
            let v = r.view(&key, &what)?;
            if v.shape() != shape.as_slice() {
                return Err(err(
                    r.path,
                    format!("{what} has shape {:?} but the parameter {shape:?}; the file is damaged", v.shape()),
                ));
            }
            keys.insert(key);
        }
    }
    Ok(keys)
}

type LoadedOptim<B> = (u64, BTreeMap<String, ParamState<B>>);

fn read_optim_state<B: Backend>(
    r: &Reader<'_, B>,
    meta: &BTreeMap<String, String>,
    store: &ParamStore<B>,
    opt: &dyn Optimizer<B>,
) -> Result<LoadedOptim<B>> {
    let m = optim_meta(r, meta, store)?.ok_or_else(|| {
        err(
            r.path,
            "the checkpoint holds no optimiser state; load it without an optimiser to start a fresh one",
        )
    })?;
    if m.kind != opt.kind() {
        return Err(err(
            r.path,
            format!(
                "the checkpoint's optimiser state is for `{}`, not `{}`; use the same optimiser, or load \
                 without one to start it fresh",
                m.kind,
                opt.kind()
            ),
        ));
    }
    let mut params = BTreeMap::new();
    for (name, pstep) in m.param_steps {
        let shape = store.get(&name)?.shape().to_vec();
        let slots = opt
            .slot_names()
            .iter()
            .map(|slot| {
                r.tensor(
                    &format!("optim/{name}/{slot}"),
                    &format!("optimiser state `{slot}` of `{name}`"),
                    &shape,
                )
            })
            .collect::<Result<Vec<_>>>()?;
        params.insert(name, ParamState { step: pstep, slots });
    }
    Ok((m.step, params))
}
