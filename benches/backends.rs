//! Every kernel family on the CPU and on the GPU, side by side: groups `cpu_<kernel>` and
//! `gpu_<kernel>` on the same inputs (f32).
//!
//!   cargo bench --bench backends                 # both backends
//!   cargo bench --bench backends -- gpu_         # the GPU groups only
//!   COSMOGRAD_BENCH_MATMUL=4096 cargo bench --bench backends -- matmul
//!
//! GPU timings exclude pipeline compilation (each kernel runs once before the clock starts)
//! and include the wait for the device (`Backend::sync` ends every iteration), so they are
//! wall-clock times of finished work. Without a GPU adapter the `gpu_*` groups are skipped
//! with a message. Throughput is in elements/s (FLOP/s for matmul and convolutions).

use cosmograd::backend::*;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;

fn random(n: usize, seed: u64) -> Vec<f32> {
    (0..n).map(|i| random::uniform(seed, i as u32) * 2.0 - 1.0).collect()
}

/// Times `f` (one kernel call) on `be`, waiting for the device after each call.
fn bench<B: Backend, T>(c: &mut Criterion, group: &str, name: &str, elements: u64, be: &B, mut f: impl FnMut() -> T) {
    // Warm-up outside the clock: builds the GPU pipelines (shader compilation).
    black_box(f());
    be.sync().unwrap();
    let mut g = c.benchmark_group(group);
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_secs(2));
    g.throughput(Throughput::Elements(elements));
    g.bench_function(name, |b| {
        b.iter(|| {
            black_box(f());
            be.sync().unwrap();
        })
    });
    g.finish();
}

fn kernels<B: Backend>(c: &mut Criterion, prefix: &str, be: &B) {
    let up = |v: &[f32]| be.from_f32(v).unwrap();
    let group = |k: &str| format!("{prefix}_{k}");
    // `cargo bench` passes --bench; `cargo test --all-targets` runs each benchmark once as a
    // smoke test (on CI's software GPU), where batch 1 keeps it to seconds.
    let batch = if std::env::args().any(|a| a == "--bench") { 8 } else { 1 };

    // Elementwise, on one MDN-CNN activation (batch×16×256×256; batch 8 under `cargo bench`).
    let n = batch * 16 * 256 * 256;
    let (x, y) = (up(&random(n, 1)), up(&random(n, 2)));
    let full = Bcast::full(n);
    bench(c, &group("elementwise"), "relu", n as u64, be, || {
        be.unary(UnaryOp::Relu, &x).unwrap()
    });
    bench(c, &group("elementwise"), "add", n as u64, be, || {
        be.binary(BinaryOp::Add, &x, full, &y, full, n).unwrap()
    });
    let per_channel = Bcast { mid: 16, inner: 256 * 256 };
    bench(c, &group("reduce"), "reduce_bcast_per_channel", n as u64, be, || {
        be.reduce_bcast(&x, per_channel, n).unwrap()
    });
    bench(c, &group("reduce"), "sum_squares", n as u64, be, || be.sum_squares(&[&x]).unwrap());
    bench(c, &group("random"), "dropout_mask", n as u64, be, || {
        be.dropout_mask(n, 0.3, 7).unwrap()
    });
    let (p, m, v) = (up(&random(n, 3)), up(&random(n, 4)), up(&random(n, 5)));
    let (mut p, mut m, mut v) = (p, m, v);
    let h = AdamStep {
        lr: 1e-3,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.0,
        decoupled: false,
        step: 1,
        grad_scale: 1.0,
    };
    bench(c, &group("optim"), "adam", n as u64, be, || {
        be.adam_update(&mut p, &mut m, &mut v, &y, h).unwrap()
    });

    // Layout and reductions along an axis.
    let (r, cols) = (2048, 2048);
    let t = up(&random(r * cols, 6));
    bench(c, &group("layout"), "transpose_2048", (r * cols) as u64, be, || {
        be.transpose(&t, r, cols).unwrap()
    });
    let d = AxisDims {
        outer: 64,
        n: 512,
        inner: 128,
    };
    bench(c, &group("reduce"), "sum_axis_64x512x128", (64 * 512 * 128) as u64, be, || {
        be.sum_axis(&t, d).unwrap()
    });

    // Matrix products: a square one and the MDN-CNN's first dense layer (batch 32).
    let side: usize = std::env::var("COSMOGRAD_BENCH_MATMUL")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(512);
    let (a, b) = (up(&random(side * side, 7)), up(&random(side * side, 8)));
    let dm = MatmulDims {
        m: side,
        k: side,
        n: side,
        trans_a: false,
        trans_b: false,
    };
    bench(c, &group("matmul"), &format!("square_{side}"), 2 * (side as u64).pow(3), be, || {
        be.matmul(&a, &b, dm).unwrap()
    });
    let (xa, w) = (up(&random(32 * 65536, 9)), up(&random(128 * 65536, 10)));
    let dd = MatmulDims {
        m: 32,
        k: 65536,
        n: 128,
        trans_a: false,
        trans_b: true,
    };
    bench(c, &group("matmul"), "dense_32x65536_x_65536x128", 2 * 32 * 65536 * 128, be, || {
        be.matmul(&xa, &w, dd).unwrap()
    });

    // Softmax rows and the mixture NLL at the MDN head's shapes (batch 32, K = 5, D = 6).
    let logits = up(&random(32 * 5, 11));
    bench(c, &group("softmax"), "rows_32x5", 160, be, || {
        be.softmax_rows(&logits, 32, 5, false).unwrap()
    });
    let dims = GmmDims {
        n: 32,
        k: 5,
        d: 6,
        isotropic: true,
        sigma: SigmaParam::Softplus { floor: 1e-3 },
    };
    let (mu, s, tgt, g) = (
        up(&random(32 * 30, 12)),
        up(&random(32 * 5, 13)),
        up(&random(32 * 6, 14)),
        up(&random(32, 15)),
    );
    let inp = GmmInputs {
        logits: &logits,
        means: &mu,
        raw_sigma: &s,
        target: &tgt,
    };
    bench(c, &group("gmm_nll"), "forward", 32, be, || be.gmm_nll_forward(inp, dims).unwrap());
    let (_, gamma) = be.gmm_nll_forward(inp, dims).unwrap();
    bench(c, &group("gmm_nll"), "backward", 32, be, || {
        be.gmm_nll_backward(inp, &gamma, &g, dims).unwrap()
    });

    // The MDN-CNN's second convolution (16 → 32 channels, 3×3 same, 128×128), its pooling and
    // the first layer's batch norm.
    let cg = Conv2dGeom {
        n: batch,
        c_in: 16,
        h: 128,
        w: 128,
        c_out: 32,
        kh: 3,
        kw: 3,
        stride: 1,
        pad_top: 1,
        pad_bottom: 1,
        pad_left: 1,
        pad_right: 1,
        circular: false,
        h_out: 128,
        w_out: 128,
    };
    let (cx, cw, cgy) = (
        up(&random(cg.in_len(), 16)),
        up(&random(cg.weight_len(), 17)),
        up(&random(cg.out_len(), 18)),
    );
    let flops = 2 * cg.macs() as u64;
    bench(c, &group("conv2d"), "forward", flops, be, || {
        be.conv2d_forward(&cx, &cw, None, cg).unwrap()
    });
    bench(c, &group("conv2d"), "backward_input", flops, be, || {
        be.conv2d_backward_input(&cgy, &cw, cg).unwrap()
    });
    bench(c, &group("conv2d"), "backward_weight", flops, be, || {
        be.conv2d_backward_weight(&cx, &cgy, cg).unwrap()
    });
    let pg = Pool2dGeom {
        n: batch,
        c: 16,
        h: 256,
        w: 256,
        kh: 2,
        kw: 2,
        stride: 2,
        h_out: 128,
        w_out: 128,
    };
    bench(c, &group("pool2d"), "maxpool_forward", n as u64, be, || {
        be.maxpool2d_forward(&x, pg).unwrap()
    });
    let bd = BatchNormDims {
        n: batch,
        c: 16,
        plane: 256 * 256,
        eps: 1e-5,
    };
    let (gm, bt) = (up(&random(16, 19)), up(&random(16, 20)));
    bench(c, &group("batchnorm"), "forward", n as u64, be, || {
        be.batchnorm_forward(&x, &gm, &bt, bd).unwrap()
    });
    let (_, mean, inv_std) = be.batchnorm_forward(&x, &gm, &bt, bd).unwrap();
    bench(c, &group("batchnorm"), "backward", n as u64, be, || {
        be.batchnorm_backward(&x, &y, &gm, &mean, &inv_std, bd).unwrap()
    });
    let ug = UpsampleGeom {
        n: batch,
        c: 16,
        h: 128,
        w: 128,
        factor: 2,
    };
    let small = up(&random(ug.in_len(), 21));
    bench(c, &group("upsample"), "forward", ug.out_len() as u64, be, || {
        be.upsample_nearest_forward(&small, ug).unwrap()
    });
}

fn cpu(c: &mut Criterion) {
    cosmograd::backend::cpu::memory::retain_freed_memory();
    kernels(c, "cpu", &Cpu::<f32>::default());
}

fn gpu(c: &mut Criterion) {
    if let Some(g) = gpu_or_skip("benches/backends gpu_*") {
        kernels(c, "gpu", &g);
    }
}

criterion_group!(benches, cpu, gpu);
criterion_main!(benches);
