//! Which backend a command runs on: `--backend cpu|gpu`, else `COSMOGRAD_BACKEND`, else the CPU.
//!
//! A GPU asked for only through the environment falls back to the CPU with a message when no
//! adapter exists; a GPU asked for on the command line (`--backend gpu`), or any GPU asked for
//! while `COSMOGRAD_REQUIRE_GPU=1`, is required: no adapter is then an error.
//! (`COSMOGRAD_REQUIRE_GPU=1` alone does not move a command to the GPU.) Tests use
//! [`gpu_or_skip`] the same way: skipped with a message, or failed under
//! `COSMOGRAD_REQUIRE_GPU=1` (as CI runs them).

use super::Gpu;
use crate::error::{Error, Result};

/// `--backend` on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendChoice {
    /// rayon CPU kernels.
    Cpu,
    /// WGSL compute shaders through wgpu (f32).
    Gpu,
}

/// The backend a command will run on.
#[derive(Clone, Debug)]
pub enum Chosen {
    Cpu,
    Gpu(Gpu),
}

/// Whether `COSMOGRAD_REQUIRE_GPU=1` is set.
pub fn gpu_required_by_env() -> bool {
    std::env::var("COSMOGRAD_REQUIRE_GPU").is_ok_and(|v| v == "1")
}

fn from_env() -> Result<Option<BackendChoice>> {
    match std::env::var("COSMOGRAD_BACKEND") {
        Err(_) => Ok(None),
        Ok(v) => match v.to_ascii_lowercase().as_str() {
            "" => Ok(None),
            "cpu" => Ok(Some(BackendChoice::Cpu)),
            "gpu" => Ok(Some(BackendChoice::Gpu)),
            other => Err(Error::invalid(
                "backend",
                format!("COSMOGRAD_BACKEND={other} is not a backend; use cpu or gpu"),
            )),
        },
    }
}

/// Picks the backend from the flag and the environment, opening the GPU with `open` (so the
/// decision can be tested without a device).
pub fn choose_with(flag: Option<BackendChoice>, open: impl FnOnce() -> Result<Gpu>) -> Result<Chosen> {
    let env = from_env()?;
    let required = flag == Some(BackendChoice::Gpu) || gpu_required_by_env();
    let wanted = flag.or(env).unwrap_or(BackendChoice::Cpu);
    if wanted == BackendChoice::Cpu {
        return Ok(Chosen::Cpu);
    }
    match open() {
        Ok(g) => Ok(Chosen::Gpu(g)),
        Err(e) if required => Err(Error::Device(format!(
            "the GPU backend was required ({}) but cannot be used: {e}",
            if flag == Some(BackendChoice::Gpu) {
                "--backend gpu"
            } else {
                "COSMOGRAD_REQUIRE_GPU=1"
            }
        ))),
        Err(e) => {
            eprintln!("note: COSMOGRAD_BACKEND=gpu, but {e}; running on the CPU backend instead");
            Ok(Chosen::Cpu)
        }
    }
}

/// [`choose_with`] opening the process's shared GPU.
pub fn choose(flag: Option<BackendChoice>) -> Result<Chosen> {
    choose_with(flag, Gpu::shared)
}

/// The shared GPU for a test or bench named `what`, or `None` after printing that it was
/// skipped; under `COSMOGRAD_REQUIRE_GPU=1` a missing adapter panics instead (CI must not
/// skip GPU tests silently).
pub fn gpu_or_skip(what: &str) -> Option<Gpu> {
    match Gpu::shared() {
        Ok(g) => Some(g),
        Err(e) if gpu_required_by_env() => panic!("{what}: COSMOGRAD_REQUIRE_GPU=1 but no GPU: {e}"),
        Err(e) => {
            eprintln!("{what}: skipped, no GPU adapter ({e})");
            None
        }
    }
}
