//! `cosmograd info`: what this build can run on: the CPU backends, every GPU adapter found
//! (name, driver, API, the limits that matter, f16 and timestamp support) and the one the GPU
//! backend would choose.

use super::out;
use crate::backend::gpu::adapters;
use crate::backend::{Backend, Cpu};
use crate::error::Result;
use std::fmt::Write;

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_: Args) -> Result<i32> {
    // Built as text and written once, so that a closed pipe or a full disk is an error.
    let mut s = String::new();
    let _ = writeln!(s, "cosmograd {}", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(s, "backends:");
    let _ = writeln!(s, "  {}", Cpu::<f32>::default().name());
    let _ = writeln!(s, "  {}", Cpu::<f64>::default().name());
    let _ = writeln!(s, "threads: {} (set RAYON_NUM_THREADS to change)", rayon::current_num_threads());
    let found = adapters();
    if found.is_empty() {
        let _ = writeln!(
            s,
            "GPU adapters: none found (install a Vulkan driver, e.g. Debian's mesa-vulkan-drivers; WGPU_BACKEND pins an API)"
        );
    } else {
        let _ = writeln!(
            s,
            "GPU adapters ({}; the first is the one --backend gpu uses; WGPU_BACKEND pins an API):",
            found.len()
        );
        for (i, a) in found.iter().enumerate() {
            let _ = writeln!(
                s,
                "  {} {} [{} {}], driver {}",
                if i == 0 { "*" } else { " " },
                a.name,
                a.backend,
                a.device_type,
                if a.driver.is_empty() { "unknown" } else { &a.driver }
            );
            let _ = writeln!(
                s,
                "      max storage binding {} MiB, {} storage buffers per stage, {} KiB workgroup memory, \
                 {} workgroups per dimension, f16 {}, timestamps {}",
                a.max_storage_binding_mib,
                a.max_storage_buffers_per_stage,
                a.max_workgroup_storage_kib,
                a.max_workgroups_per_dimension,
                if a.shader_f16 { "yes" } else { "no" },
                if a.timestamps { "yes" } else { "no" }
            );
        }
    }
    let names = crate::ops::cases::op_names();
    let _ = writeln!(s, "differentiable ops ({}): {}", names.len(), names.join(", "));
    out::print(&s)?;
    Ok(0)
}
