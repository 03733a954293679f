//! Timing of the thesis's MDN-CNN on the CPU (f32) at batch 32: one full training step
//! (forward, backward, Adam) and, with `--layers`, each image kernel at the model's shapes
//! beside matrixmultiply's sgemm on the same GEMM shapes, measured in the same run, and a
//! large square sgemm for the machine's peak.
//!
//!   cargo run --release --example mdn_cnn_step -- [--steps 5] [--layers] [--json] [--retain] [--gpu]
//!
//! `--gpu` also times the same step on the GPU backend (the first adapter found), with the
//! device synchronised before each step's clock stops, after a warm-up step that compiles the
//! pipelines; `--side 64 --batch 8` shrink the input for a slow (software) adapter.
//!
//! The step drops the tape before Adam so that the update writes every parameter in place
//! (the aliasing rule of `Backend::adam_update`); the same step with the update run while the
//! tape still holds the parameters, which makes the CPU copy each of them first, is timed
//! beside it (`mdn_cnn.step_update_with_tape_alive`), so the cost of that copy is measured.
//!
//! The model (thesis §4): 256×256×1 → Conv 16@4×4 same → BatchNorm → ReLU → MaxPool 2 →
//! Conv 32@3×3 same → ReLU → MaxPool 2 → Conv 64@2×2 same → ReLU → MaxPool 2 → Flatten (65536)
//! → Dense 128 ReLU → Dense 64 ReLU → Dense 64 tanh → mixture head (K logits, K×6 means, K raw
//! σ, isotropic) → mean Gaussian-mixture NLL, as `cosmograd::models::MdnCnn`.
//! `benches/peers/image_kernels_torch.py` runs this and the same in PyTorch and prints the ratios.

#[path = "../benches/shared/image_shapes.rs"]
mod image_shapes;

use cosmograd::backend::AdamStep;
use cosmograd::models::{MdnCnn, MdnCnnConfig};
use cosmograd::nn::ParamStore;
use cosmograd::prelude::*;
use image_shapes::{conv_layers, random, Be, MapKernels, SquareGemm, BATCH};
use std::collections::BTreeMap;
use std::time::Instant;

/// Mixture components (the library default is the thesis's 3; the timings have used 5).
const K: usize = 5;

/// Adam moments per parameter, updated in place with `Backend::adam_update`.
struct Adam<B: Backend> {
    m: BTreeMap<String, (Tensor<B>, Tensor<B>)>,
    step: u64,
}

impl<B: Backend> Adam<B> {
    fn update(&mut self, store: &mut ParamStore<B>, grads: &Grads<B>) -> Result<()> {
        self.step += 1;
        let h = AdamStep {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled: false,
            step: self.step,
            grad_scale: 1.0,
        };
        let be = store.backend().clone();
        for (name, p) in store.params_mut() {
            let Some(g) = grads.param(name) else { continue };
            if !self.m.contains_key(name) {
                let zeros = (Tensor::zeros(&be, p.shape())?, Tensor::zeros(&be, p.shape())?);
                self.m.insert(name.clone(), zeros);
            }
            let (m, v) = self.m.get_mut(name).expect("inserted above");
            be.adam_update(p.storage_mut(), m.storage_mut(), v.storage_mut(), g.storage(), h)?;
        }
        Ok(())
    }
}

/// The fastest of `reps` timings of `f`, after one warm-up call: on a shared machine the
/// minimum is the estimate least disturbed by other processes.
fn time(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    (0..reps)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn report(json: bool, what: &str, seconds: f64, flops: f64) {
    let gflops = flops / seconds / 1e9;
    if json {
        println!("{{\"what\": \"{what}\", \"seconds\": {seconds:.6}, \"gflops\": {gflops:.3}}}");
    } else if flops > 0.0 {
        println!("{what:<28} {:>10.2} ms {gflops:>9.1} GFLOP/s", seconds * 1e3);
    } else {
        println!("{what:<28} {:>10.2} ms", seconds * 1e3);
    }
}

/// Each conv kernel at the model's shapes beside sgemm on the same GEMM shape, then batch
/// norm and max pooling (the workloads of `benches/image_kernels.rs`).
fn layers(json: bool, reps: usize) {
    for mut l in conv_layers() {
        if !json {
            println!("{}", l.title);
        }
        let f = l.flops();
        report(json, &format!("{}.forward", l.tag), time(reps, || l.forward()), f);
        report(json, &format!("{}.backward_input", l.tag), time(reps, || l.backward_input()), f);
        report(json, &format!("{}.backward_weight", l.tag), time(reps, || l.backward_weight()), f);
        let t = time(reps, || l.sgemm_same_shape());
        report(json, &format!("{}.sgemm_same_shape", l.tag), t, f);
    }
    let mut sq = SquareGemm::new(2048);
    let f = sq.flops();
    report(json, "sgemm_2048", time(reps, || sq.run()), f);
    let k = MapKernels::new();
    report(json, "batchnorm.forward", time(reps, || k.batchnorm_forward()), 0.0);
    report(json, "batchnorm.backward", time(reps, || k.batchnorm_backward()), 0.0);
    report(json, "maxpool.forward", time(reps, || k.maxpool_forward()), 0.0);
    report(json, "maxpool.backward", time(reps, || k.maxpool_backward()), 0.0);
}

/// The input side and batch of the timed step (the thesis: 256 and 32).
#[derive(Clone, Copy)]
struct Size {
    side: usize,
    batch: usize,
}

fn step_timing<B: Backend>(be: B, what: &str, json: bool, steps: usize, tape_alive: bool, size: Size) -> Result<()> {
    let mut store = ParamStore::new(be.clone());
    let cfg = MdnCnnConfig {
        components: K,
        seed: 42,
        input_size: size.side,
        ..Default::default()
    };
    let model = MdnCnn::new(&mut store, cfg)?;
    let (side, d) = (cfg.input_size, cfg.target_dim);
    let batch = size.batch;
    let x = Tensor::from_f32(&be, &random(batch * side * side, 12), &[batch, 1, side, side])?;
    let y = Tensor::from_f32(&be, &random(batch * d, 13), &[batch, d])?;
    let mut adam = Adam {
        m: BTreeMap::new(),
        step: 0,
    };
    let mut times = Vec::new();
    let mut losses = Vec::new();
    for _ in 0..steps + 1 {
        let start = Instant::now();
        let tape = Tape::new(be.clone()).training(true);
        let loss = model.loss(&store, tape.input(x.clone()), tape.input(y.clone()))?;
        losses.push(loss.item()?);
        let grads = tape.backward(loss)?;
        store.apply_updates(&tape)?;
        if tape_alive {
            // The old order: the tape still holds every parameter, so each update copies it.
            adam.update(&mut store, &grads)?;
            drop(tape);
        } else {
            drop(tape);
            adam.update(&mut store, &grads)?;
        }
        // A device may still be running the update: the step ends when it has finished.
        be.sync()?;
        times.push(start.elapsed().as_secs_f64());
    }
    // The first step also allocates the optimiser state; it is the warm-up.
    let best = times[1..].iter().copied().fold(f64::INFINITY, f64::min);
    report(json, what, best, 0.0);
    if !json {
        println!("losses: {losses:?}");
    }
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let json = args.iter().any(|a| a == "--json");
    let steps = args
        .iter()
        .position(|a| a == "--steps")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(5)
        .max(1);
    // `--retain`: keep freed memory for reuse instead of page-faulting every large tensor in.
    let retain = args.iter().any(|a| a == "--retain") && cosmograd::backend::cpu::memory::retain_freed_memory();
    if !json {
        println!("{} threads, retain freed memory: {retain}", rayon::current_num_threads());
    }
    if args.iter().any(|a| a == "--layers") {
        layers(json, 5);
    }
    let arg = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    let size = Size {
        side: arg("--side", 256),
        batch: arg("--batch", BATCH),
    };
    // In-place update (tape dropped first), then the copying order, in the same run.
    step_timing(Be::default(), "mdn_cnn.step", json, steps, false, size)?;
    step_timing(Be::default(), "mdn_cnn.step_update_with_tape_alive", json, steps, true, size)?;
    if args.iter().any(|a| a == "--gpu") {
        let gpu = cosmograd::backend::Gpu::new()?;
        if !json {
            println!("GPU: {}", gpu.name());
        }
        step_timing(gpu, "mdn_cnn.step_gpu", json, steps, false, size)?;
    }
    Ok(())
}
