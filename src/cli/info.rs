//! `cosmograd info`: what this build can run on.

use super::out;
use crate::backend::{Backend, Cpu};
use crate::error::Result;

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_: Args) -> Result<i32> {
    let names = crate::ops::cases::op_names();
    out::print(&format!(
        "cosmograd {}\nbackends:\n  {}\n  {}\nthreads: {} (set RAYON_NUM_THREADS to change)\ndifferentiable ops ({}): {}\n",
        env!("CARGO_PKG_VERSION"),
        Cpu::<f32>::default().name(),
        Cpu::<f64>::default().name(),
        rayon::current_num_threads(),
        names.len(),
        names.join(", ")
    ))?;
    Ok(0)
}
