//! `cosmograd info`: what this build can run on: the CPU backends, every GPU adapter found
//! (name, driver, API, the limits that matter, f16 and timestamp support) and the one the GPU
//! backend would choose.

use crate::backend::gpu::adapters;
use crate::backend::{Backend, Cpu};
use crate::error::Result;

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_: Args) -> Result<i32> {
    println!("cosmograd {}", env!("CARGO_PKG_VERSION"));
    println!("backends:");
    println!("  {}", Cpu::<f32>::default().name());
    println!("  {}", Cpu::<f64>::default().name());
    println!("threads: {} (set RAYON_NUM_THREADS to change)", rayon::current_num_threads());
    let found = adapters();
    if found.is_empty() {
        println!("GPU adapters: none found (install a Vulkan driver, e.g. Debian's mesa-vulkan-drivers; WGPU_BACKEND pins an API)");
    } else {
        println!(
            "GPU adapters ({}; the first is the one --backend gpu uses; WGPU_BACKEND pins an API):",
            found.len()
        );
        for (i, a) in found.iter().enumerate() {
            println!(
                "  {} {} [{} {}], driver {}",
                if i == 0 { "*" } else { " " },
                a.name,
                a.backend,
                a.device_type,
                if a.driver.is_empty() { "unknown" } else { &a.driver }
            );
            println!(
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
    println!("differentiable ops ({}): {}", names.len(), names.join(", "));
    Ok(0)
}
