//! Core kernel benchmarks: matmul (f32, f64) through `Backend::matmul` beside a single call of
//! matrixmultiply's own sgemm/dgemm, and the mixture NLL forward + backward.
//!
//!   cargo bench --bench kernels
//!
//! Throughput is reported in elements/s where one element is one floating-point operation
//! (2·m·k·n per matmul), i.e. criterion's "Gelem/s" reads as GFLOP/s. Results and the
//! comparison live in notes/benchmarks.md ("Core kernels").

use cosmograd::backend::cpu::Element;
use cosmograd::backend::{Backend, Cpu, GmmDims, GmmInputs, MatmulDims, SigmaParam};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use std::hint::black_box;
use std::time::Duration;

fn random(n: usize, seed: u64) -> Vec<f64> {
    let mut r = StdRng::seed_from_u64(seed);
    (0..n).map(|_| r.random_range(-1.0..1.0)).collect()
}

/// (label, m, k, n, trans_b): square products, and the MDN-CNN's first dense layer
/// (Flatten 65536 → Dense 128 on a batch of 32): forward X Vᵀ with V stored [128, 65536].
const SHAPES: [(&str, usize, usize, usize, bool); 4] = [
    ("256", 256, 256, 256, false),
    ("512", 512, 512, 512, false),
    ("1024", 1024, 1024, 1024, false),
    ("dense_32x65536_x_65536x128", 32, 65536, 128, true),
];

fn matmul_group<E: Element>(c: &mut Criterion)
where
    Cpu<E>: Backend<Storage = cosmograd::backend::cpu::Storage<E>>,
{
    let be = Cpu::<E>::default();
    let mut g = c.benchmark_group(format!("matmul_{}", E::NAME));
    // Flat sampling: every sample runs the same number of iterations, so the large products
    // do not run 55 times over (the machine is small and shared).
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    for (label, m, k, n, trans_b) in SHAPES {
        let d = MatmulDims {
            m,
            k,
            n,
            trans_a: false,
            trans_b,
        };
        let (a, b) = (random(m * k, 1), random(k * n, 2));
        let (sa, sb) = (be.from_f64(&a).unwrap(), be.from_f64(&b).unwrap());
        g.throughput(Throughput::Elements((2 * m * k * n) as u64));
        g.bench_with_input(BenchmarkId::new("backend", label), &d, |bch, d| {
            bch.iter(|| black_box(be.matmul(&sa, &sb, *d).unwrap()))
        });
        let (ha, hb): (Vec<E>, Vec<E>) = (a.iter().map(|&x| E::of(x)).collect(), b.iter().map(|&x| E::of(x)).collect());
        let mut hc = vec![E::zero(); m * n];
        // B [k, n] row-major, or stored [n, k] and read transposed.
        let (rsb, csb) = if trans_b { (1, k as isize) } else { (n as isize, 1) };
        g.bench_with_input(BenchmarkId::new("matrixmultiply_1call", label), &d, |bch, _| {
            bch.iter(|| unsafe {
                E::gemm(
                    m,
                    k,
                    n,
                    E::one(),
                    ha.as_ptr(),
                    k as isize,
                    1,
                    hb.as_ptr(),
                    rsb,
                    csb,
                    E::zero(),
                    hc.as_mut_ptr(),
                    n as isize,
                    1,
                );
                black_box(&hc);
            })
        });
    }
    g.finish();
}

fn matmul_f32(c: &mut Criterion) {
    matmul_group::<f32>(c)
}
fn matmul_f64(c: &mut Criterion) {
    matmul_group::<f64>(c)
}

/// The MDN-CNN loss on one batch: N = 32 samples, D = 6 parameters, K = 4…8 components.
fn gmm_nll(c: &mut Criterion) {
    let be = Cpu::<f32>::default();
    let mut g = c.benchmark_group("gmm_nll_f32");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    for k in [4, 6, 8] {
        let (n, d) = (32, 6);
        let dims = GmmDims {
            n,
            k,
            d,
            isotropic: false,
            sigma: SigmaParam::Softplus { floor: 1e-3 },
        };
        let s = |len, seed| be.from_f64(&random(len, seed)).unwrap();
        let (logits, means, raw, target, grad) = (
            s(n * k, 3),
            s(n * k * d, 4),
            s(n * k * d, 5),
            s(n * d, 6),
            be.fill(n, 1.0 / n as f64).unwrap(),
        );
        // GmmInputs is Copy only for Copy storage, so it is rebuilt per call (four references).
        let inp = || GmmInputs {
            logits: &logits,
            means: &means,
            raw_sigma: &raw,
            target: &target,
        };
        g.throughput(Throughput::Elements((n * k * d) as u64));
        g.bench_with_input(BenchmarkId::new("forward_backward", format!("N32_K{k}_D6")), &dims, |bch, &dims| {
            bch.iter(|| {
                let (nll, gamma) = be.gmm_nll_forward(inp(), dims).unwrap();
                black_box(nll);
                black_box(be.gmm_nll_backward(inp(), &gamma, &grad, dims).unwrap())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, matmul_f32, matmul_f64, gmm_nll);
criterion_main!(benches);
