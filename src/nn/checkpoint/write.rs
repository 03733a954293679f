//! Saving: the store (and optimiser state) serialised as safetensors and written atomically.

use super::{directory_hint, err, FORMAT, MODEL_CONFIG, RESERVED};
use crate::backend::Backend;
use crate::error::Result;
use crate::nn::optim::Optimizer;
use crate::nn::ParamStore;
use crate::tensor::Tensor;
use safetensors::tensor::{Dtype, View};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

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
/// metadata is stored as given (e.g. `epoch`, and the model's [`model_metadata`](super::model_metadata)).
///
/// `path` may be a symbolic link: the file it points to is replaced (the link stays). An
/// existing file keeps its permissions.
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
        if k == MODEL_CONFIG && serde_json::from_str::<serde_json::Value>(v).is_err() {
            return Err(err(
                path,
                format!("metadata `{MODEL_CONFIG}` must be JSON (use checkpoint::model_metadata), got `{v}`"),
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
        meta.insert("optim.config".into(), opt.config().to_string());
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

/// The file a path finally names: symbolic links followed (relative ones against the link's
/// directory), even when the last one dangles, so that saving through a link replaces its
/// target instead of the link.
fn resolve_links(path: &Path) -> Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = std::fs::read_link(&p).map_err(|e| err(path, format!("cannot read the symbolic link {}: {e}", p.display())))?;
                p = match p.parent() {
                    Some(dir) if to.is_relative() => dir.join(to),
                    _ => to,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(err(path, "too many levels of symbolic links (a loop?)"))
}

/// The prefix of the temporary files of saves to `file_name`: `.<name>.cosmograd-tmp.`,
/// followed by `<pid>.<call>`.
fn temp_prefix(file_name: &str) -> String {
    format!(".{file_name}.cosmograd-tmp.")
}

/// Whether process `pid` is running: `Some` where `/proc` tells (Linux), else `None`.
fn process_alive(pid: u32) -> Option<bool> {
    Path::new("/proc/self")
        .exists()
        .then(|| Path::new(&format!("/proc/{pid}")).exists())
}

/// Removes temporary files of earlier saves to the same target whose process is gone (a
/// save killed between writing and renaming), so they do not pile up at full checkpoint
/// size. Where liveness cannot be told, files older than a day count as stale. Files of
/// saves still running are left alone.
fn remove_stale_temps(dir: &Path, file_name: &str) {
    let prefix = temp_prefix(file_name);
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(&prefix) else { continue };
        let Some(pid) = rest.split('.').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid == std::process::id() {
            continue; // another thread of this process, saving now
        }
        let stale = match process_alive(pid) {
            Some(alive) => !alive,
            None => e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .is_some_and(|age| age > Duration::from_secs(24 * 3600)),
        };
        if stale {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Writes `bytes` to a temporary file beside the target, syncs it, and renames it over the
/// target (which keeps its permissions; a symbolic link is followed).
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    if path.as_os_str().is_empty() {
        return Err(err(path, "the path is empty; give a file name such as model.safetensors"));
    }
    let target = resolve_links(path)?;
    if target.is_dir() {
        return Err(err(path, directory_hint(&target)));
    }
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = target
        .file_name()
        .ok_or_else(|| err(path, "the path names no file; give a file name such as model.safetensors"))?
        .to_string_lossy()
        .into_owned();
    remove_stale_temps(&dir, &file_name);
    // Unique per call, not only per process: two threads saving to one path must not share it.
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!("{}{}.{call}", temp_prefix(&file_name), std::process::id()));
    let io = |what: &str, e: std::io::Error| {
        let hint = if e.kind() == std::io::ErrorKind::StorageFull {
            "the disk is full: free some space (the old checkpoint, if any, is unchanged)"
        } else {
            "check that the directory exists and is writable"
        };
        err(path, format!("{what}: {e}; {hint}"))
    };
    let permissions = std::fs::metadata(&target).ok().map(|m| m.permissions());
    let written = (|| -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        if let Some(p) = permissions {
            f.set_permissions(p)?;
        }
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(&format!("cannot write the temporary file {}", tmp.display()), e));
    }
    if let Err(e) = std::fs::rename(&tmp, &target) {
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
