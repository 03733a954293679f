//! `cosmograd info`: what this build can run on.

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
    let names = crate::ops::cases::op_names();
    println!("differentiable ops ({}): {}", names.len(), names.join(", "));
    Ok(0)
}
