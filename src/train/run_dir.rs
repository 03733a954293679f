//! A run directory: everything one training run writes (configuration, split, checkpoints,
//! metrics, figures, evaluation), with one rule — nothing already there is overwritten unless
//! the user said `--force` (a fresh run) or `--resume` (the same run, continued).

use crate::data::atomic::write_atomic;
use crate::error::{Error, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A run directory and how it may be written.
#[derive(Clone, Debug)]
pub struct RunDir {
    pub path: PathBuf,
}

/// Files a run directory holds (one place for the names, so train, resume and eval agree).
pub mod files {
    /// The training configuration: architecture, data, optimiser, schedule, seed.
    pub const CONFIG: &str = "config.json";
    /// The best model by validation NLL (safetensors, model only).
    pub const BEST: &str = "best.safetensors";
    /// The end of the latest epoch: model, optimiser and trainer state (what `--resume` reads).
    pub const LAST: &str = "last.safetensors";
    /// One JSON object per epoch.
    pub const METRICS: &str = "metrics.jsonl";
    pub const LOSS_PNG: &str = "loss.png";
    pub const EVAL_JSON: &str = "eval.json";
    pub const PREDICTIONS: &str = "predictions.csv";
}

impl RunDir {
    /// A directory for a new run. It must not exist or be empty, unless `force`, in which case
    /// the files of an earlier run are removed first (other files are left alone).
    pub fn create(path: impl AsRef<Path>, force: bool) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        if path.exists() {
            if !path.is_dir() {
                return Err(Error::Other(format!(
                    "run directory {} is a file; give a directory path with --out",
                    path.display()
                )));
            }
            let entries: Vec<PathBuf> = std::fs::read_dir(&path)
                .map_err(|e| Error::io(format!("cannot list {}", path.display()), e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            if !entries.is_empty() && !force {
                return Err(Error::Other(format!(
                    "run directory {} already holds {} files (e.g. {}); nothing is overwritten without --force. \
                     Choose another --out, continue it with --resume {}, or pass --force to replace it",
                    path.display(),
                    entries.len(),
                    entries[0].file_name().unwrap_or_default().to_string_lossy(),
                    path.display()
                )));
            }
            if force {
                for e in entries.iter().filter(|e| e.is_file()) {
                    std::fs::remove_file(e).map_err(|err| Error::io(format!("--force: cannot remove {}", e.display()), err))?;
                }
            }
        }
        std::fs::create_dir_all(&path).map_err(|e| Error::io(format!("cannot create run directory {}", path.display()), e))?;
        Ok(RunDir { path })
    }
    /// An existing run directory (to resume or evaluate).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        if !path.join(files::CONFIG).is_file() {
            return Err(Error::Other(format!(
                "{} is not a run directory (no {}); give the --out directory of a `cosmograd train` run",
                path.display(),
                files::CONFIG
            )));
        }
        Ok(RunDir { path })
    }
    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
    /// Fails if `name` exists and `force` is not set.
    pub fn check_writable(&self, name: &str, force: bool) -> Result<()> {
        let p = self.file(name);
        if p.exists() && !force {
            return Err(Error::Other(format!(
                "{} exists; nothing in a run directory is overwritten without --force",
                p.display()
            )));
        }
        Ok(())
    }
    /// Writes `value` as pretty JSON to `name`, atomically.
    pub fn write_json(&self, name: &str, value: &impl Serialize) -> Result<()> {
        let text = serde_json::to_string_pretty(value).map_err(|e| Error::Other(format!("{name}: {e}")))?;
        write_atomic(&self.file(name), text.as_bytes())
    }
    /// Writes text to `name`, atomically.
    pub fn write_text(&self, name: &str, text: &str) -> Result<()> {
        write_atomic(&self.file(name), text.as_bytes())
    }
    pub fn read_text(&self, name: &str) -> Result<String> {
        let p = self.file(name);
        std::fs::read_to_string(&p).map_err(|e| Error::io(format!("cannot read {}", p.display()), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_directory_is_not_overwritten_without_force() {
        let dir = std::env::temp_dir().join(format!("cosmograd-rundir-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let run = RunDir::create(&dir, false).unwrap();
        run.write_json(files::CONFIG, &serde_json::json!({"a": 1})).unwrap();
        let err = RunDir::create(&dir, false).unwrap_err().to_string();
        assert!(err.contains("--force") && err.contains("--resume"), "{err}");
        assert!(run.check_writable(files::CONFIG, false).is_err());
        assert!(run.check_writable(files::CONFIG, true).is_ok());
        assert!(RunDir::open(&dir).is_ok());
        RunDir::create(&dir, true).unwrap();
        assert!(!dir.join(files::CONFIG).exists(), "--force removed the old run's files");
        assert!(RunDir::open(&dir).unwrap_err().to_string().contains("not a run directory"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
