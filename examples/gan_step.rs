//! One GAN training step timed in its two halves, for the report's MLP GAN and the DCGAN on
//! 64×64 maps, batch 32 — exactly the steps `cosmograd train gan` runs (`train::gan_step`):
//!
//! - discriminator step: G generates 32 maps (training mode, no gradient), D's loss on 32 real
//!   and 32 generated maps, backward, Adam;
//! - generator step: G on 32 fresh latents, D on its maps, backward through D into G, Adam.
//!
//! The same networks and steps in PyTorch: `benches/peers/gan_step_torch.py`, which runs this
//! example with `--json` and prints both sides and their ratio.
//!
//! `cargo run --release --example gan_step -- [--arch report|dcgan|both] [--steps K] [--width W] [--json]`
use cosmograd::models::GanArchitecture;
use cosmograd::prelude::*;
use cosmograd::train::gan_step::{latents, AdamSettings, GanTrainer, Step};
use std::time::Instant;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

/// The fastest of `steps` timed steps after one warm-up step.
fn time(arch: &GanArchitecture, adam: &AdamSettings, steps: usize, json: bool) -> Result<()> {
    let be = Cpu::<f32>::default();
    let mut t = GanTrainer::new(be, arch, adam, 1.0)?;
    let (batch, s) = (32, arch.size);
    let real: Vec<f32> = (0..batch * s * s).map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0).collect();
    let real = Tensor::from_f32(&be, &real, &[batch, 1, s, s])?;
    let (mut d_best, mut g_best) = (f64::INFINITY, f64::INFINITY);
    for step in 0..=steps as u64 {
        let z_d = t.latent_tensor(&latents(2 * step, batch, arch.latent))?;
        let z_g = t.latent_tensor(&latents(2 * step + 1, batch, arch.latent))?;
        let start = Instant::now();
        let fake = t.generate_for_training(&z_d)?;
        let Step::Done(_) = t.discriminator_step(&real, &fake, step)? else {
            return Err(Error::Other("the discriminator's loss was not finite".into()));
        };
        be.sync()?;
        let d = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let Step::Done(_) = t.generator_step(&z_g, step)? else {
            return Err(Error::Other("the generator's loss was not finite".into()));
        };
        be.sync()?;
        let g = start.elapsed().as_secs_f64();
        if step > 0 {
            (d_best, g_best) = (d_best.min(d), g_best.min(g));
        }
    }
    let name = arch.arch.name();
    if json {
        println!("{{\"what\": \"{name}.d_step\", \"seconds\": {d_best}}}");
        println!("{{\"what\": \"{name}.g_step\", \"seconds\": {g_best}}}");
    } else {
        println!(
            "{name}: generator {} parameters, discriminator {}; batch {batch}, {} threads; fastest of {steps}: \
             D step {:.1} ms, G step {:.1} ms",
            t.g.num_params(),
            t.d.num_params(),
            rayon::current_num_threads(),
            d_best * 1e3,
            g_best * 1e3
        );
    }
    Ok(())
}

fn main() -> Result<()> {
    cosmograd::backend::cpu::memory::retain_freed_memory();
    let steps = arg("--steps").and_then(|v| v.parse().ok()).unwrap_or(5);
    let width = arg("--width").and_then(|v| v.parse().ok()).unwrap_or(16);
    let which = arg("--arch").unwrap_or_else(|| "both".into());
    let json = std::env::args().any(|a| a == "--json");
    // The settings `cosmograd train gan` uses for each architecture.
    let report = AdamSettings {
        lr_generator: 1e-4,
        lr_discriminator: 1e-4,
        beta1: 0.9,
        beta2: 0.999,
    };
    let dcgan = AdamSettings {
        lr_generator: 2e-4,
        lr_discriminator: 2e-4,
        beta1: 0.5,
        beta2: 0.999,
    };
    if which == "report" || which == "both" {
        time(&GanArchitecture::report(64, 1), &report, steps, json)?;
    }
    if which == "dcgan" || which == "both" {
        time(&GanArchitecture::dcgan(64, 100, width, true, 1), &dcgan, steps, json)?;
    }
    Ok(())
}
