//! One DDPM training step of the report-sized U-Net (1 × 64 × 64, 10 → 160 channels), timed:
//! forward + backward + Adam, and one no-grad forward (a sampling step). The same network in
//! PyTorch: benches/peers/unet_torch.py. `cargo run --release --example unet_step -- [--batch N] [--steps K]`
use cosmograd::models::{Ddpm, DdpmConfig};
use cosmograd::nn::{Adam, Optimizer, ParamStore};
use cosmograd::prelude::*;
use std::time::Instant;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> Result<()> {
    cosmograd::backend::cpu::memory::retain_freed_memory();
    let (batch, steps) = (arg("--batch", 16), arg("--steps", 5));
    let be = Cpu::<f32>::default();
    let mut store = ParamStore::new(be);
    let model = Ddpm::new(&mut store, DdpmConfig::default())?;
    let per = model.sample_len();
    let mut opt = Adam::new(2e-4).with_clip(1.0);
    let x0: Vec<f64> = (0..batch * per).map(|i| ((i * 7919) % 1000) as f64 / 500.0 - 1.0).collect();
    let eps = cosmograd::models::ddpm::normals(1, batch * per);
    let t: Vec<usize> = (0..batch).map(|i| 1 + (i * 37) % 1000).collect();
    println!(
        "U-Net: {} parameters, batch {batch}, {} threads",
        store.num_params(),
        rayon::current_num_threads()
    );
    let mut times = Vec::new();
    for s in 0..=steps {
        let start = Instant::now();
        let tape = Tape::new(be).training(true);
        let loss = model.loss(&store, &tape, &x0, &t, &eps)?;
        let grads = tape.backward(loss)?;
        drop(tape);
        opt.step(&mut store, &grads)?;
        if s > 0 {
            times.push(start.elapsed().as_secs_f64());
        }
    }
    times.sort_by(f64::total_cmp);
    println!(
        "training step: median {:.3} s ({:.1} fields/s)",
        times[times.len() / 2],
        batch as f64 / times[times.len() / 2]
    );
    let mut p = model.predictor(&store, batch);
    let start = Instant::now();
    let x = cosmograd::models::ddpm::normals(2, batch * per);
    cosmograd::models::ddpm::EpsModel::eps(&mut p, &x, 500)?;
    println!("no-grad forward of {batch} fields: {:.3} s", start.elapsed().as_secs_f64());
    Ok(())
}
