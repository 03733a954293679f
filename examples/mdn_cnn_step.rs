//! Timing of the thesis's MDN-CNN on the CPU (f32) at batch 32: one full training step
//! (forward, backward, Adam) and, with `--layers`, each image kernel at the model's shapes
//! beside matrixmultiply's sgemm on the same GEMM shapes, measured in the same run.
//!
//!   cargo run --release --example mdn_cnn_step -- [--steps 5] [--layers] [--json] [--retain]
//!
//! The model (thesis §4): 256×256×1 → Conv 16@4×4 same → BatchNorm → ReLU → MaxPool 2 →
//! Conv 32@3×3 same → ReLU → MaxPool 2 → Conv 64@2×2 same → ReLU → MaxPool 2 → Flatten (65536)
//! → Dense 128 ReLU → Dense 64 ReLU → Dense 64 tanh → mixture head (K logits, K×6 means, K raw
//! σ, isotropic) → mean Gaussian-mixture NLL. `benches/peers/image_kernels_torch.py` runs this
//! and the same in PyTorch and prints the ratios.

use cosmograd::backend::cpu::matmul::gemm;
use cosmograd::backend::{AdamStep, Backend, BatchNormDims, Conv2dGeom, Cpu, MatmulDims, Pool2dGeom};
use cosmograd::nn::{BatchNorm2d, Conv2d, Init, Linear, MaxPool2d, ParamStore};
use cosmograd::ops::conv2d::conv2d_geom;
use cosmograd::ops::gmm_nll::gmm_nll;
use cosmograd::ops::{Conv2dOptions, GmmOptions};
use cosmograd::prelude::*;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::time::Instant;

const BATCH: usize = 32;
const K: usize = 5;
const D: usize = 6;

type Be = Cpu<f32>;

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

fn random(n: usize, seed: u64) -> Vec<f32> {
    (0..n)
        .map(|i| cosmograd::backend::cpu::random::uniform(seed, i as u32) * 2.0 - 1.0)
        .collect()
}

/// The median of `reps` timings of `f`, after one warm-up call.
fn time(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
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

/// Each conv kernel at the model's shapes, and sgemm at the same GEMM shape (BATCH
/// independent [c_out, K]·[K, P] products over the same threads, on preallocated buffers).
fn layers(json: bool, reps: usize) -> Result<()> {
    let be = Be::default();
    let shapes: [(&str, [usize; 4], [usize; 4]); 3] = [
        ("conv1 1→16 4×4 256²", [BATCH, 1, 256, 256], [16, 1, 4, 4]),
        ("conv2 16→32 3×3 128²", [BATCH, 16, 128, 128], [32, 16, 3, 3]),
        ("conv3 32→64 2×2 64²", [BATCH, 32, 64, 64], [64, 32, 2, 2]),
    ];
    for (i, (name, xs, ws)) in shapes.iter().enumerate() {
        let g: Conv2dGeom = conv2d_geom("conv2d", xs, ws, Conv2dOptions::same())?;
        let flops = 2.0 * g.macs() as f64;
        let x = be.from_f32(&random(g.in_len(), 1));
        let w = be.from_f32(&random(g.weight_len(), 2));
        let b = be.from_f32(&random(g.c_out, 3));
        let gy = be.from_f32(&random(g.out_len(), 4));
        let tag = format!("conv{}", i + 1);
        if !json {
            println!("{name}");
        }
        report(
            json,
            &format!("{tag}.forward"),
            time(reps, || drop(be.conv2d_forward(&x, &w, Some(&b), g))),
            flops,
        );
        report(
            json,
            &format!("{tag}.backward_input"),
            time(reps, || drop(be.conv2d_backward_input(&gy, &w, g))),
            flops,
        );
        report(
            json,
            &format!("{tag}.backward_weight"),
            time(reps, || drop(be.conv2d_backward_weight(&x, &gy, g))),
            flops,
        );
        let (m, k, p) = (g.c_out, g.patch(), g.out_plane());
        let a = random(m * k, 5);
        let bm = random(k * p, 6);
        let mut c = vec![0f32; BATCH * m * p];
        let d = MatmulDims {
            m,
            k,
            n: p,
            trans_a: false,
            trans_b: false,
        };
        let t = time(reps, || {
            c.par_chunks_mut(m * p).for_each(|ci| gemm(&a, &bm, ci, d, 0.0, false));
        });
        report(json, &format!("{tag}.sgemm_same_shape"), t, flops);
    }
    let n = 2048;
    let (a, bm) = (random(n * n, 7), random(n * n, 8));
    let mut c = vec![0f32; n * n];
    let d = MatmulDims {
        m: n,
        k: n,
        n,
        trans_a: false,
        trans_b: false,
    };
    report(
        json,
        "sgemm 2048³",
        time(reps, || gemm(&a, &bm, &mut c, d, 0.0, true)),
        2.0 * (n * n * n) as f64,
    );

    let d = BatchNormDims {
        n: BATCH,
        c: 16,
        plane: 256 * 256,
        eps: 1e-5,
    };
    let x = be.from_f32(&random(d.len(), 9));
    let gy = be.from_f32(&random(d.len(), 10));
    let (gamma, beta) = (be.fill(16, 1.0), be.fill(16, 0.0));
    let (_, mean, inv_std) = be.batchnorm_forward(&x, &gamma, &beta, d);
    report(
        json,
        "batchnorm.forward",
        time(reps, || drop(be.batchnorm_forward(&x, &gamma, &beta, d))),
        0.0,
    );
    report(
        json,
        "batchnorm.backward",
        time(reps, || drop(be.batchnorm_backward(&x, &gy, &gamma, &mean, &inv_std, d))),
        0.0,
    );
    let pg = Pool2dGeom {
        n: BATCH,
        c: 16,
        h: 256,
        w: 256,
        kh: 2,
        kw: 2,
        stride: 2,
        h_out: 128,
        w_out: 128,
    };
    let (_, arg) = be.maxpool2d_forward(&x, pg);
    let gp = be.from_f32(&random(pg.out_len(), 11));
    report(json, "maxpool.forward", time(reps, || drop(be.maxpool2d_forward(&x, pg))), 0.0);
    report(
        json,
        "maxpool.backward",
        time(reps, || drop(be.maxpool2d_backward(&gp, &arg, pg))),
        0.0,
    );
    Ok(())
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
        store.apply_updates(tape.take_updates())?;
        times.push(start.elapsed().as_secs_f64());
    }
    // The first step also allocates the optimiser state; it is the warm-up.
    let mut t = times[1..].to_vec();
    t.sort_by(f64::total_cmp);
    report(json, "mdn_cnn.step", t[t.len() / 2], 0.0);
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
        .unwrap_or(5);
    // `--retain`: keep freed memory for reuse instead of page-faulting every large tensor in.
    let retain = args.iter().any(|a| a == "--retain") && cosmograd::backend::cpu::memory::retain_freed_memory();
    if !json {
        println!(
            "{} threads, batch {BATCH}, retain freed memory: {retain}",
            rayon::current_num_threads()
        );
    }
    if args.iter().any(|a| a == "--layers") {
        layers(json, 5)?;
    }
    step_timing(json, steps)
}
