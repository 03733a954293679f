//! Timing of the thesis's MDN-CNN on the CPU (f32) at batch 32: one full training step
//! (forward, backward, Adam) and, with `--layers`, each image kernel at the model's shapes
//! beside matrixmultiply's sgemm on the same GEMM shapes, measured in the same run, and a
//! large square sgemm for the machine's peak.
//!
//!   cargo run --release --example mdn_cnn_step -- [--steps 5] [--layers] [--json] [--retain]
//!
//! The model (thesis §4): 256×256×1 → Conv 16@4×4 same → BatchNorm → ReLU → MaxPool 2 →
//! Conv 32@3×3 same → ReLU → MaxPool 2 → Conv 64@2×2 same → ReLU → MaxPool 2 → Flatten (65536)
//! → Dense 128 ReLU → Dense 64 ReLU → Dense 64 tanh → mixture head (K logits, K×6 means, K raw
//! σ, isotropic) → mean Gaussian-mixture NLL. `benches/peers/image_kernels_torch.py` runs this
//! and the same in PyTorch and prints the ratios.

#[path = "../benches/shared/image_shapes.rs"]
mod image_shapes;

use cosmograd::backend::AdamStep;
use cosmograd::nn::{BatchNorm2d, Conv2d, Init, Linear, MaxPool2d, ParamStore};
use cosmograd::ops::gmm_nll::gmm_nll;
use cosmograd::ops::{Conv2dOptions, GmmOptions};
use cosmograd::prelude::*;
use image_shapes::{conv_layers, random, Be, MapKernels, SquareGemm, BATCH};
use std::collections::BTreeMap;
use std::time::Instant;

const K: usize = 5;
const D: usize = 6;

struct MdnCnn {
    c1: Conv2d,
    bn1: BatchNorm2d,
    c2: Conv2d,
    c3: Conv2d,
    d1: Linear,
    d2: Linear,
    d3: Linear,
    logits: Linear,
    means: Linear,
    sigmas: Linear,
}

impl MdnCnn {
    fn new(store: &mut ParamStore<Be>, seed: u64) -> Result<Self> {
        let same = Conv2dOptions::same();
        let he = Init::HeNormal;
        Ok(MdnCnn {
            c1: Conv2d::new(store, "c1", 1, 16, (4, 4), same, true, he, seed)?,
            bn1: BatchNorm2d::new(store, "bn1", 16)?,
            c2: Conv2d::new(store, "c2", 16, 32, (3, 3), same, true, he, seed)?,
            c3: Conv2d::new(store, "c3", 32, 64, (2, 2), same, true, he, seed)?,
            d1: Linear::new(store, "d1", 65536, 128, true, he, seed)?,
            d2: Linear::new(store, "d2", 128, 64, true, he, seed)?,
            d3: Linear::new(store, "d3", 64, 64, true, Init::XavierUniform, seed)?,
            logits: Linear::new(store, "logits", 64, K, true, Init::XavierUniform, seed)?,
            means: Linear::new(store, "means", 64, K * D, true, Init::XavierUniform, seed)?,
            sigmas: Linear::new(store, "sigmas", 64, K, true, Init::XavierUniform, seed)?,
        })
    }

    /// The mean NLL of targets y [N, 6] given maps x [N, 1, 256, 256].
    fn loss<'t>(&self, s: &ParamStore<Be>, x: Var<'t, Be>, y: Var<'t, Be>) -> Result<Var<'t, Be>> {
        let pool = MaxPool2d::new(2);
        let h = self.c1.forward(s, x)?;
        let h = pool.forward(self.bn1.forward(s, h)?.relu()?)?;
        let h = pool.forward(self.c2.forward(s, h)?.relu()?)?;
        let h = pool.forward(self.c3.forward(s, h)?.relu()?)?.flatten()?;
        let h = self.d1.forward(s, h)?.relu()?;
        let h = self.d2.forward(s, h)?.relu()?;
        let h = self.d3.forward(s, h)?.tanh()?;
        let n = h.shape()[0];
        let a = self.logits.forward(s, h)?;
        let mu = self.means.forward(s, h)?.reshape(&[n, K, D])?;
        let sg = self.sigmas.forward(s, h)?;
        let opts = GmmOptions {
            isotropic: true,
            ..Default::default()
        };
        gmm_nll(a, mu, sg, y, opts)?.mean()
    }
}

/// Adam moments per parameter, updated in place with `Backend::adam_update`.
struct Adam {
    m: BTreeMap<String, (Tensor<Be>, Tensor<Be>)>,
    step: u64,
}

impl Adam {
    fn update(&mut self, store: &mut ParamStore<Be>, grads: &Grads<Be>) -> Result<()> {
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
        let be = *store.backend();
        for (name, p) in store.params_mut() {
            let Some(g) = grads.param(name) else { continue };
            let (m, v) = self
                .m
                .entry(name.clone())
                .or_insert_with(|| (Tensor::zeros(&be, p.shape()), Tensor::zeros(&be, p.shape())));
            be.adam_update(p.storage_mut(), m.storage_mut(), v.storage_mut(), g.storage(), h);
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

fn step_timing(json: bool, steps: usize) -> Result<()> {
    let be = Be::default();
    let mut store = ParamStore::new(be);
    let model = MdnCnn::new(&mut store, 42)?;
    let x = Tensor::from_f32(&be, &random(BATCH * 256 * 256, 12), &[BATCH, 1, 256, 256])?;
    let y = Tensor::from_f32(&be, &random(BATCH * D, 13), &[BATCH, D])?;
    let mut adam = Adam {
        m: BTreeMap::new(),
        step: 0,
    };
    let mut times = Vec::new();
    let mut losses = Vec::new();
    for _ in 0..steps + 1 {
        let start = Instant::now();
        let tape = Tape::new(be).training(true);
        let loss = model.loss(&store, tape.input(x.clone()), tape.input(y.clone()))?;
        losses.push(loss.item()?);
        let grads = tape.backward(loss)?;
        adam.update(&mut store, &grads)?;
        store.apply_updates(&tape)?;
        times.push(start.elapsed().as_secs_f64());
    }
    // The first step also allocates the optimiser state; it is the warm-up.
    let best = times[1..].iter().copied().fold(f64::INFINITY, f64::min);
    report(json, "mdn_cnn.step", best, 0.0);
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
        println!(
            "{} threads, batch {BATCH}, retain freed memory: {retain}",
            rayon::current_num_threads()
        );
    }
    if args.iter().any(|a| a == "--layers") {
        layers(json, 5);
    }
    step_timing(json, steps)
}
