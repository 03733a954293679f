use cosmograd::eval::mixture::Scale;
use cosmograd::models::{ArchKind, Mdn, MdnArchitecture, Target};
use cosmograd::nn::ParamStore;
use cosmograd::prelude::*;
use std::time::Instant;
fn main() -> Result<()> {
    cosmograd::backend::cpu::memory::retain_freed_memory();
    let args: Vec<String> = std::env::args().collect();
    let size: usize = args[1].parse().unwrap();
    let arch = if args[2] == "thesis" {
        ArchKind::Thesis
    } else {
        ArchKind::Periodic
    };
    let batch: usize = args[3].parse().unwrap();
    let widths: Vec<usize> = args
        .get(4)
        .map(|s| s.split(',').map(|v| v.parse().unwrap()).collect())
        .unwrap_or(vec![16, 32, 64, 128]);
    let be = Cpu::<f32>::default();
    let targets: Vec<Target> = (0..6)
        .map(|i| Target {
            name: format!("t{i}"),
            scale: Scale::Linear { lo: 0.0, hi: 1.0 },
        })
        .collect();
    let mut a = MdnArchitecture::new(arch, size, 1, 3, targets, 1);
    if let Some(p) = a.periodic.as_mut() {
        p.widths = widths;
    }
    let mut store = ParamStore::new(be);
    let model = Mdn::new(&mut store, &a)?;
    let x: Vec<f32> = (0..batch * size * size).map(|i| ((i * 7919) % 1000) as f32 / 1000.0).collect();
    let y: Vec<f32> = (0..batch * 6).map(|i| ((i * 31) % 100) as f32 / 100.0).collect();
    let mut opt = cosmograd::nn::Adam::adamw(1e-3, 1e-4);
    use cosmograd::nn::Optimizer;
    let mut best = f64::INFINITY;
    for _ in 0..6 {
        let t = Instant::now();
        let tape = Tape::new(be).training(true);
        let l = model
            .nll(
                &store,
                tape.input(Tensor::from_f32(&be, &x, &[batch, 1, size, size])?),
                tape.input(Tensor::from_f32(&be, &y, &[batch, 6])?),
            )?
            .mean()?;
        let g = tape.backward(l)?;
        store.apply_updates(&tape)?;
        drop(tape);
        opt.step(&mut store, &g)?;
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "{size} {:?} batch {batch}: {:.1} ms/step, {:.1} maps/s, {} params",
        arch,
        best * 1e3,
        batch as f64 / best,
        store.num_params()
    );
    Ok(())
}
