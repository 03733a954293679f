//! Optimised CPU kernels against the plain loop-per-formula versions they replace.

use cosmograd::backend::cpu::matmul::{gemm, matmul_reference};
use cosmograd::backend::{Backend, Cpu, MatmulDims};
use rand::{RngExt, SeedableRng};

fn random(n: usize, seed: u64) -> Vec<f64> {
    let mut r = rand::rngs::StdRng::seed_from_u64(seed);
    (0..n).map(|_| r.random_range(-1.0..1.0)).collect()
}

#[test]
fn matmul_matches_the_triple_loop_for_all_transposes_and_awkward_sizes() {
    for &(m, k, n) in &[(1, 1, 1), (3, 5, 4), (17, 1, 9), (64, 33, 70), (130, 40, 3), (5, 300, 200)] {
        for ta in [false, true] {
            for tb in [false, true] {
                let d = MatmulDims {
                    m,
                    k,
                    n,
                    trans_a: ta,
                    trans_b: tb,
                };
                let (a, b) = (random(m * k, 1), random(k * n, 2));
                let want = matmul_reference(&a, &b, d);
                let be = Cpu::<f64>::default();
                let got = be
                    .to_f64(&be.matmul(&be.from_f64(&a).unwrap(), &be.from_f64(&b).unwrap(), d).unwrap())
                    .unwrap();
                for (x, y) in want.iter().zip(&got) {
                    assert!((x - y).abs() < 1e-12 * k as f64, "{d:?}: {x} vs {y}");
                }
            }
        }
    }
}

#[test]
fn gemm_accumulates_with_beta() {
    let d = MatmulDims {
        m: 4,
        k: 3,
        n: 5,
        trans_a: false,
        trans_b: false,
    };
    let (a, b) = (random(12, 3), random(15, 4));
    let mut c = vec![1.0; 20];
    gemm(&a, &b, &mut c, d, 2.0, false);
    let want = matmul_reference(&a, &b, d);
    for (x, y) in c.iter().zip(&want) {
        assert!((x - (y + 2.0)).abs() < 1e-12);
    }
}

/// The parallel, chunked path of the elementwise kernels (large tensors) gives exactly what the
/// one-thread path gives on small pieces of the same data: every chunk lands at its offset.
#[test]
fn large_elementwise_kernels_match_the_small_path_piece_by_piece() {
    use cosmograd::backend::{Bcast, BinaryOp, UnaryOp};
    let be = Cpu::<f32>::default();
    let n = 100_003; // several chunks and a ragged last one
    let (x, y) = (random(n, 5), random(n, 6));
    let piece = 1000;
    type Piecewise<'a> = &'a dyn Fn(&[f64], &[f64]) -> Vec<f32>;
    let pieces = |f: Piecewise| -> Vec<f32> { x.chunks(piece).zip(y.chunks(piece)).flat_map(|(a, b)| f(a, b)).collect() };
    for op in [
        UnaryOp::Relu,
        UnaryOp::Sigmoid,
        UnaryOp::LeakyRelu(0.1),
        UnaryOp::MulScalar(3.0),
        UnaryOp::Softplus,
    ] {
        let big = be.to_f32(&be.unary(op, &be.from_f64(&x).unwrap()).unwrap()).unwrap();
        assert_eq!(
            big,
            pieces(&|a, _| be.to_f32(&be.unary(op, &be.from_f64(a).unwrap()).unwrap()).unwrap()),
            "{op:?}"
        );
        let fx = be.from_f64(&x).unwrap();
        let fy = be.unary(op, &fx).unwrap();
        let big = be
            .to_f32(&be.unary_backward(op, &fx, &fy, &be.from_f64(&y).unwrap()).unwrap())
            .unwrap();
        let small = pieces(&|a, g| {
            let fa = be.from_f64(a).unwrap();
            be.to_f32(
                &be.unary_backward(op, &fa, &be.unary(op, &fa).unwrap(), &be.from_f64(g).unwrap())
                    .unwrap(),
            )
            .unwrap()
        });
        assert_eq!(big, small, "{op:?} backward");
    }
    for op in [BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div] {
        let run = |a: &[f64], b: &[f64]| {
            let m = Bcast::full(a.len());
            be.to_f32(
                &be.binary(op, &be.from_f64(a).unwrap(), m, &be.from_f64(b).unwrap(), m, a.len())
                    .unwrap(),
            )
            .unwrap()
        };
        assert_eq!(run(&x, &y), pieces(&|a, b| run(a, b)), "{op:?}");
    }
}
