//! Each kernel of the GPU backend against the f64 CPU on fresh random inputs and awkward sizes
//! (1, primes, just over one workgroup of 256, and once over 65,535 workgroups), with every
//! GPU output poisoned with NaN before the kernel runs, so an element a kernel fails to write
//! fails the comparison. Tolerances: `backend/precision.rs` (f32 per formula; √n-scaled for
//! sums of n terms).

use cosmograd::backend::precision::Tolerance;
use cosmograd::backend::*;
use rand::{RngExt, SeedableRng};

fn random(n: usize, lo: f64, hi: f64, seed: u64) -> Vec<f64> {
    let mut r = rand::rngs::StdRng::seed_from_u64(seed);
    (0..n).map(|_| r.random_range(lo..hi)).collect()
}

/// The f64 CPU and the (poisoned) GPU, or None when the test is skipped.
fn backends(test: &str) -> Option<(Cpu<f64>, Gpu)> {
    gpu_or_skip(test).map(|g| (Cpu::<f64>::default(), g.poisoned()))
}

fn close(what: &str, got: &[f64], want: &[f64], tol: Tolerance) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    if let Some((i, g, w)) = tol.first_violation(got, want) {
        panic!("{what}[{i}]: gpu {g} vs cpu {w} (atol {}, rtol {})", tol.atol, tol.rtol);
    }
}

const SIZES: [usize; 5] = [1, 7, 97, 257, 1031];

#[test]
fn unary_maps_and_derivatives() {
    let Some((cpu, gpu)) = backends("unary_maps_and_derivatives") else {
        return;
    };
    let ops = [
        (UnaryOp::Neg, -3.0, 3.0),
        (UnaryOp::Exp, -3.0, 3.0),
        (UnaryOp::Log, 0.1, 5.0),
        (UnaryOp::Sqrt, 0.1, 5.0),
        (UnaryOp::Powf(2.5), 0.1, 3.0),
        (UnaryOp::Powf(3.0), -2.0, 2.0),
        (UnaryOp::Powf(-2.0), 0.5, 3.0),
        (UnaryOp::Relu, -2.0, 2.0),
        (UnaryOp::LeakyRelu(0.2), -2.0, 2.0),
        (UnaryOp::Sigmoid, -8.0, 8.0),
        (UnaryOp::Tanh, -20.0, 20.0),
        (UnaryOp::Softplus, -30.0, 30.0),
        (UnaryOp::AddScalar(0.7), -2.0, 2.0),
        (UnaryOp::MulScalar(-1.3), -2.0, 2.0),
        (UnaryOp::Square, -2.0, 2.0),
        (UnaryOp::Abs, -2.0, 2.0),
    ];
    for (k, (op, lo, hi)) in ops.into_iter().enumerate() {
        for n in SIZES {
            let x = random(n, lo, hi, 10 + k as u64);
            let g = random(n, -1.0, 1.0, 99);
            let (xc, xg) = (cpu.from_f64(&x).unwrap(), gpu.from_f64(&x).unwrap());
            let (gc, gg) = (cpu.from_f64(&g).unwrap(), gpu.from_f64(&g).unwrap());
            let yc = cpu.unary(op, &xc).unwrap();
            let yg = gpu.unary(op, &xg).unwrap();
            let t = Tolerance { atol: 1e-5, rtol: 2e-5 };
            close(&format!("{op:?} n={n}"), &gpu.to_f64(&yg).unwrap(), &cpu.to_f64(&yc).unwrap(), t);
            let dc = cpu.unary_backward(op, &xc, &yc, &gc).unwrap();
            let dg = gpu.unary_backward(op, &xg, &yg, &gg).unwrap();
            close(&format!("{op:?}' n={n}"), &gpu.to_f64(&dg).unwrap(), &cpu.to_f64(&dc).unwrap(), t);
        }
    }
}

#[test]
fn binary_ops_with_every_broadcast() {
    let Some((cpu, gpu)) = backends("binary_ops_with_every_broadcast") else {
        return;
    };
    // (len, map of b): full, scalar, per-feature [F] of [N, F], per-channel of NCHW.
    let maps = [
        (257, Bcast::full(257)),
        (97, Bcast::scalar()),
        (7 * 13, Bcast { mid: 13, inner: 1 }),
        (2 * 3 * 43, Bcast { mid: 3, inner: 43 }),
    ];
    for (len, bm) in maps {
        for op in [BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div] {
            let a = random(len, -2.0, 2.0, 1);
            let b = random(bm.mid, 0.5, 2.0, 2);
            let am = Bcast::full(len);
            let c = cpu
                .binary(op, &cpu.from_f64(&a).unwrap(), am, &cpu.from_f64(&b).unwrap(), bm, len)
                .unwrap();
            let g = gpu
                .binary(op, &gpu.from_f64(&a).unwrap(), am, &gpu.from_f64(&b).unwrap(), bm, len)
                .unwrap();
            close(
                &format!("{op:?} {bm:?}"),
                &gpu.to_f64(&g).unwrap(),
                &cpu.to_f64(&c).unwrap(),
                Tolerance::F32,
            );
            // The adjoint of the read through bm.
            let rc = cpu.reduce_bcast(&c, bm, len).unwrap();
            let rg = gpu.reduce_bcast(&g, bm, len).unwrap();
            let tol = Tolerance::f32_sum(len / bm.mid);
            close(
                &format!("reduce_bcast {bm:?}"),
                &gpu.to_f64(&rg).unwrap(),
                &cpu.to_f64(&rc).unwrap(),
                tol,
            );
        }
    }
}

#[test]
fn a_dispatch_over_65535_workgroups_is_folded_into_two_dimensions() {
    let Some((_, gpu)) = backends("a_dispatch_over_65535_workgroups_is_folded_into_two_dimensions") else {
        return;
    };
    // 65,535 workgroups of 256 threads, and 300 elements more: the last ones land in y = 1.
    let n = 65_535 * 256 + 300;
    let x: Vec<f32> = (0..n).map(|i| (i % 1000) as f32).collect();
    let y = gpu
        .to_f32(&gpu.unary(UnaryOp::AddScalar(1.0), &gpu.from_f32(&x).unwrap()).unwrap())
        .unwrap();
    assert_eq!(y.len(), n);
    for (i, v) in y.iter().enumerate() {
        assert_eq!(*v, (i % 1000) as f32 + 1.0, "element {i}");
    }
}

#[test]
fn sums_expand_transpose_concat_slice() {
    let Some((cpu, gpu)) = backends("sums_expand_transpose_concat_slice") else {
        return;
    };
    for &(outer, n, inner) in &[(1, 1, 1), (3, 257, 5), (7, 13, 1), (1, 4099, 2)] {
        let d = AxisDims { outer, n, inner };
        let x = random(outer * n * inner, -1.0, 1.0, 3);
        let c = cpu.sum_axis(&cpu.from_f64(&x).unwrap(), d).unwrap();
        let g = gpu.sum_axis(&gpu.from_f64(&x).unwrap(), d).unwrap();
        close(
            &format!("sum_axis {d:?}"),
            &gpu.to_f64(&g).unwrap(),
            &cpu.to_f64(&c).unwrap(),
            Tolerance::f32_sum(n),
        );
        let ec = cpu.expand_axis(&c, d).unwrap();
        let eg = gpu.expand_axis(&g, d).unwrap();
        close(
            &format!("expand_axis {d:?}"),
            &gpu.to_f64(&eg).unwrap(),
            &cpu.to_f64(&ec).unwrap(),
            Tolerance::f32_sum(n),
        );
    }
    for &(r, c) in &[(1, 1), (17, 33), (64, 5), (3, 100)] {
        let x = random(r * c, -1.0, 1.0, 4);
        let t = gpu.transpose(&gpu.from_f64(&x).unwrap(), r, c).unwrap();
        let want = cpu.to_f64(&cpu.transpose(&cpu.from_f64(&x).unwrap(), r, c).unwrap()).unwrap();
        close(
            &format!("transpose {r}×{c}"),
            &gpu.to_f64(&t).unwrap(),
            &want,
            Tolerance { atol: 0.0, rtol: 1e-7 },
        );
    }
    let (a, b) = (random(3 * 5, -1.0, 1.0, 5), random(3 * 2, -1.0, 1.0, 6));
    let (ga, gb) = (gpu.from_f64(&a).unwrap(), gpu.from_f64(&b).unwrap());
    let (ca, cb) = (cpu.from_f64(&a).unwrap(), cpu.from_f64(&b).unwrap());
    let cat_g = gpu.concat(&[(&ga, 5), (&gb, 2)], 3).unwrap();
    let cat_c = cpu.concat(&[(&ca, 5), (&cb, 2)], 3).unwrap();
    let exact = Tolerance { atol: 0.0, rtol: 1e-7 };
    close("concat", &gpu.to_f64(&cat_g).unwrap(), &cpu.to_f64(&cat_c).unwrap(), exact);
    let sg = gpu.slice_block(&cat_g, 3, 7, 4, 3).unwrap();
    let sc = cpu.slice_block(&cat_c, 3, 7, 4, 3).unwrap();
    close("slice_block", &gpu.to_f64(&sg).unwrap(), &cpu.to_f64(&sc).unwrap(), exact);
}

#[test]
fn matmul_every_transpose_and_awkward_sizes() {
    let Some((cpu, gpu)) = backends("matmul_every_transpose_and_awkward_sizes") else {
        return;
    };
    for &(m, k, n) in &[(1, 1, 1), (7, 13, 5), (65, 17, 130), (3, 257, 2), (64, 64, 64), (1, 100, 71)] {
        for ta in [false, true] {
            for tb in [false, true] {
                let d = MatmulDims {
                    m,
                    k,
                    n,
                    trans_a: ta,
                    trans_b: tb,
                };
                let (a, b) = (random(m * k, -1.0, 1.0, 7), random(k * n, -1.0, 1.0, 8));
                let c = cpu.matmul(&cpu.from_f64(&a).unwrap(), &cpu.from_f64(&b).unwrap(), d).unwrap();
                let g = gpu.matmul(&gpu.from_f64(&a).unwrap(), &gpu.from_f64(&b).unwrap(), d).unwrap();
                close(
                    &format!("{d:?}"),
                    &gpu.to_f64(&g).unwrap(),
                    &cpu.to_f64(&c).unwrap(),
                    Tolerance::f32_sum(k),
                );
            }
        }
    }
}

#[test]
fn softmax_losses_and_the_mixture_nll() {
    let Some((cpu, gpu)) = backends("softmax_losses_and_the_mixture_nll") else {
        return;
    };
    for &(rows, cols) in &[(1, 1), (7, 5), (300, 3)] {
        for log in [false, true] {
            let x = random(rows * cols, -5.0, 5.0, 9);
            let g = random(rows * cols, -1.0, 1.0, 10);
            let yc = cpu.softmax_rows(&cpu.from_f64(&x).unwrap(), rows, cols, log).unwrap();
            let yg = gpu.softmax_rows(&gpu.from_f64(&x).unwrap(), rows, cols, log).unwrap();
            close(
                &format!("softmax {rows}×{cols} log={log}"),
                &gpu.to_f64(&yg).unwrap(),
                &cpu.to_f64(&yc).unwrap(),
                Tolerance::F32,
            );
            let bc = cpu.softmax_rows_backward(&yc, &cpu.from_f64(&g).unwrap(), rows, cols, log).unwrap();
            let bg = gpu.softmax_rows_backward(&yg, &gpu.from_f64(&g).unwrap(), rows, cols, log).unwrap();
            close(
                &format!("softmax' {rows}×{cols} log={log}"),
                &gpu.to_f64(&bg).unwrap(),
                &cpu.to_f64(&bc).unwrap(),
                Tolerance::F32,
            );
        }
    }
    for (kind, lo, hi) in [
        (LossKind::SquaredError, -2.0, 2.0),
        (LossKind::BceProb, 0.01, 0.99),
        (LossKind::BceLogits, -30.0, 30.0),
    ] {
        let n = 257;
        let (p, t) = (random(n, lo, hi, 11), random(n, 0.0, 1.0, 12));
        let (pc, tc) = (cpu.from_f64(&p).unwrap(), cpu.from_f64(&t).unwrap());
        let (pg, tg) = (gpu.from_f64(&p).unwrap(), gpu.from_f64(&t).unwrap());
        let lc = cpu.pointwise_loss(kind, &pc, &tc).unwrap();
        let lg = gpu.pointwise_loss(kind, &pg, &tg).unwrap();
        close(
            &format!("{kind:?}"),
            &gpu.to_f64(&lg).unwrap(),
            &cpu.to_f64(&lc).unwrap(),
            Tolerance::F32,
        );
        for gm in [Bcast::scalar(), Bcast::full(n)] {
            let g = random(gm.mid, -1.0, 1.0, 13);
            let dc = cpu.pointwise_loss_backward(kind, &pc, &tc, &cpu.from_f64(&g).unwrap(), gm).unwrap();
            let dg = gpu.pointwise_loss_backward(kind, &pg, &tg, &gpu.from_f64(&g).unwrap(), gm).unwrap();
            close(
                &format!("{kind:?}' {gm:?}"),
                &gpu.to_f64(&dg).unwrap(),
                &cpu.to_f64(&dc).unwrap(),
                Tolerance::F32,
            );
        }
    }
    for (n, k, d, isotropic, sigma) in [
        (1, 1, 1, false, SigmaParam::Softplus { floor: 1e-3 }),
        (97, 3, 6, true, SigmaParam::Softplus { floor: 1e-3 }),
        (70, 4, 2, false, SigmaParam::Exp { floor: 0.0 }),
    ] {
        let dims = GmmDims { n, k, d, isotropic, sigma };
        let ns = dims.sigmas_per_sample();
        let vals = [
            random(n * k, -1.0, 1.0, 14),
            random(n * k * d, -1.0, 1.0, 15),
            random(n * ns, -1.0, 0.5, 16),
            random(n * d, -1.0, 1.0, 17),
        ];
        let grad = random(n, 0.5, 1.5, 18);
        let c: Vec<_> = vals.iter().map(|v| cpu.from_f64(v).unwrap()).collect();
        let g: Vec<_> = vals.iter().map(|v| gpu.from_f64(v).unwrap()).collect();
        let ic = GmmInputs {
            logits: &c[0],
            means: &c[1],
            raw_sigma: &c[2],
            target: &c[3],
        };
        let ig = GmmInputs {
            logits: &g[0],
            means: &g[1],
            raw_sigma: &g[2],
            target: &g[3],
        };
        let (nc, gc) = cpu.gmm_nll_forward(ic, dims).unwrap();
        let (ng, gg) = gpu.gmm_nll_forward(ig, dims).unwrap();
        // The NLL sums D log-densities and a log-sum-exp over K in f32: errors of ~1e-6 relative
        // per term on values of order 1–10 (backend/precision.rs).
        let t = Tolerance { atol: 1e-4, rtol: 1e-4 };
        close(
            &format!("gmm nll {dims:?}"),
            &gpu.to_f64(&ng).unwrap(),
            &cpu.to_f64(&nc).unwrap(),
            t,
        );
        close(&format!("gmm γ {dims:?}"), &gpu.to_f64(&gg).unwrap(), &cpu.to_f64(&gc).unwrap(), t);
        let bc = cpu.gmm_nll_backward(ic, &gc, &cpu.from_f64(&grad).unwrap(), dims).unwrap();
        let bg = gpu.gmm_nll_backward(ig, &gg, &gpu.from_f64(&grad).unwrap(), dims).unwrap();
        for (what, x, y) in [("logits", &bg.0, &bc.0), ("means", &bg.1, &bc.1), ("raw σ", &bg.2, &bc.2)] {
            close(
                &format!("gmm ∂{what} {dims:?}"),
                &gpu.to_f64(x).unwrap(),
                &cpu.to_f64(y).unwrap(),
                t,
            );
        }
    }
}

#[test]
fn the_dropout_mask_has_the_cpus_bits() {
    let Some((_, gpu)) = backends("the_dropout_mask_has_the_cpus_bits") else {
        return;
    };
    let cpu = Cpu::<f32>::default();
    for (n, p, seed) in [(1, 0.5, 0u64), (1031, 0.3, 42), (100_000, 0.9, 0x0123_4567_89ab_cdef)] {
        let c = cpu.to_f32(&cpu.dropout_mask(n, p, seed).unwrap()).unwrap();
        let g = gpu.to_f32(&gpu.dropout_mask(n, p, seed).unwrap()).unwrap();
        let same = c.iter().zip(&g).all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(same && c.len() == g.len(), "n={n} p={p} seed={seed:#x}");
    }
}

#[test]
fn optimiser_updates_in_place_and_copy_shared_handles() {
    let Some((cpu, gpu)) = backends("optimiser_updates_in_place_and_copy_shared_handles") else {
        return;
    };
    let n = 1031;
    let (p, g) = (random(n, -1.0, 1.0, 19), random(n, -1.0, 1.0, 20));
    for decoupled in [false, true] {
        let h = AdamStep {
            lr: 0.01,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.1,
            decoupled,
            step: 3,
            grad_scale: 0.5,
        };
        let (mut pc, mut mc, mut vc) = (cpu.from_f64(&p).unwrap(), cpu.fill(n, 0.1).unwrap(), cpu.fill(n, 0.2).unwrap());
        let (mut pg, mut mg, mut vg) = (gpu.from_f64(&p).unwrap(), gpu.fill(n, 0.1).unwrap(), gpu.fill(n, 0.2).unwrap());
        // A second handle to the GPU parameter, as a live tape would hold: it must keep the old values.
        let kept = pg.clone();
        cpu.adam_update(&mut pc, &mut mc, &mut vc, &cpu.from_f64(&g).unwrap(), h).unwrap();
        gpu.adam_update(&mut pg, &mut mg, &mut vg, &gpu.from_f64(&g).unwrap(), h).unwrap();
        for (what, x, y) in [("p", &pg, &pc), ("m", &mg, &mc), ("v", &vg, &vc)] {
            close(
                &format!("adam {what} decoupled={decoupled}"),
                &gpu.to_f64(x).unwrap(),
                &cpu.to_f64(y).unwrap(),
                Tolerance::F32,
            );
        }
        close("the shared handle's old values", &gpu.to_f64(&kept).unwrap(), &p, Tolerance::F32);
    }
    for nesterov in [false, true] {
        let h = SgdStep {
            lr: 0.1,
            momentum: 0.9,
            weight_decay: 0.01,
            nesterov,
            grad_scale: 2.0,
        };
        let (mut pc, mut vc) = (cpu.from_f64(&p).unwrap(), cpu.fill(n, 0.3).unwrap());
        let (mut pg, mut vg) = (gpu.from_f64(&p).unwrap(), gpu.fill(n, 0.3).unwrap());
        cpu.sgd_update(&mut pc, &mut vc, &cpu.from_f64(&g).unwrap(), h).unwrap();
        gpu.sgd_update(&mut pg, &mut vg, &gpu.from_f64(&g).unwrap(), h).unwrap();
        close("sgd p", &gpu.to_f64(&pg).unwrap(), &cpu.to_f64(&pc).unwrap(), Tolerance::F32);
        close("sgd v", &gpu.to_f64(&vg).unwrap(), &cpu.to_f64(&vc).unwrap(), Tolerance::F32);
    }
}

#[test]
fn batched_sum_squares_and_nonfinite_counts() {
    let Some((cpu, gpu)) = backends("batched_sum_squares_and_nonfinite_counts") else {
        return;
    };
    let sizes = [0usize, 1, 257, 5000, 70_000];
    let xs: Vec<Vec<f64>> = sizes
        .iter()
        .enumerate()
        .map(|(i, &n)| random(n, -1.0, 1.0, 21 + i as u64))
        .collect();
    let cs: Vec<_> = xs.iter().map(|x| cpu.from_f64(x).unwrap()).collect();
    let gs: Vec<_> = xs.iter().map(|x| gpu.from_f64(x).unwrap()).collect();
    let want = cpu.sum_squares(&cs.iter().collect::<Vec<_>>()).unwrap();
    let got = gpu.sum_squares(&gs.iter().collect::<Vec<_>>()).unwrap();
    close("sum_squares", &got, &want, Tolerance::f32_sum(70_000));
    let mut bad = random(5000, -1.0, 1.0, 30);
    bad[0] = f64::NAN;
    bad[4097] = f64::INFINITY;
    bad[4999] = f64::NEG_INFINITY;
    let b = gpu.from_f64(&bad).unwrap();
    let counts = gpu.count_nonfinite(&[&gs[3], &b, &gs[0]]).unwrap();
    assert_eq!(counts, vec![0, 3, 0]);
}

#[test]
fn convolutions_every_padding_mode_and_stride() {
    let Some((cpu, gpu)) = backends("convolutions_every_padding_mode_and_stride") else {
        return;
    };
    // (n, c_in, h, w, c_out, k, stride, pads top/bottom/left/right, circular)
    let geoms = [
        (1, 1, 1, 1, 1, 1, 1, [0, 0, 0, 0], false),
        (2, 3, 7, 6, 2, 3, 2, [1, 1, 1, 1], false),
        (1, 2, 5, 3, 3, 2, 1, [0, 1, 0, 1], false), // TF-same for an even kernel: extra row at the bottom
        (2, 2, 4, 5, 2, 3, 1, [1, 1, 1, 1], true),
        (1, 2, 5, 4, 1, 3, 2, [2, 0, 1, 2], true),
        (2, 3, 70, 70, 4, 3, 1, [1, 1, 1, 1], false), // weight gradient over several chunks
        (1, 1, 3, 3, 2, 4, 1, [1, 2, 1, 2], true),    // kernel larger than the image, wrapped twice
    ];
    for (n, c_in, h, w, c_out, k, stride, [pt, pb, pl, pr], circular) in geoms {
        let h_out = (h + pt + pb - k) / stride + 1;
        let w_out = (w + pl + pr - k) / stride + 1;
        let g = Conv2dGeom {
            n,
            c_in,
            h,
            w,
            c_out,
            kh: k,
            kw: k,
            stride,
            pad_top: pt,
            pad_bottom: pb,
            pad_left: pl,
            pad_right: pr,
            circular,
            h_out,
            w_out,
        };
        let x = random(g.in_len(), -1.0, 1.0, 40);
        let wt = random(g.weight_len(), -1.0, 1.0, 41);
        let b = random(c_out, -1.0, 1.0, 42);
        let gy = random(g.out_len(), -1.0, 1.0, 43);
        let up_c = |v: &Vec<f64>| cpu.from_f64(v).unwrap();
        let up_g = |v: &Vec<f64>| gpu.from_f64(v).unwrap();
        let t = Tolerance::f32_sum(g.patch());
        let yc = cpu.conv2d_forward(&up_c(&x), &up_c(&wt), Some(&up_c(&b)), g).unwrap();
        let yg = gpu.conv2d_forward(&up_g(&x), &up_g(&wt), Some(&up_g(&b)), g).unwrap();
        close(&format!("conv2d {g:?}"), &gpu.to_f64(&yg).unwrap(), &cpu.to_f64(&yc).unwrap(), t);
        let yg = gpu.conv2d_forward(&up_g(&x), &up_g(&wt), None, g).unwrap();
        let yc = cpu.conv2d_forward(&up_c(&x), &up_c(&wt), None, g).unwrap();
        close(
            &format!("conv2d no bias {g:?}"),
            &gpu.to_f64(&yg).unwrap(),
            &cpu.to_f64(&yc).unwrap(),
            t,
        );
        let xc = cpu.conv2d_backward_input(&up_c(&gy), &up_c(&wt), g).unwrap();
        let xg = gpu.conv2d_backward_input(&up_g(&gy), &up_g(&wt), g).unwrap();
        let t_in = Tolerance::f32_sum(c_out * k * k * 4);
        close(
            &format!("conv2d ∂x {g:?}"),
            &gpu.to_f64(&xg).unwrap(),
            &cpu.to_f64(&xc).unwrap(),
            t_in,
        );
        let wc = cpu.conv2d_backward_weight(&up_c(&x), &up_c(&gy), g).unwrap();
        let wg = gpu.conv2d_backward_weight(&up_g(&x), &up_g(&gy), g).unwrap();
        let t_w = Tolerance::f32_sum(n * h_out * w_out);
        close(
            &format!("conv2d ∂W {g:?}"),
            &gpu.to_f64(&wg).unwrap(),
            &cpu.to_f64(&wc).unwrap(),
            t_w,
        );
    }
}

#[test]
fn pooling_upsampling_and_batchnorm() {
    let Some((cpu, gpu)) = backends("pooling_upsampling_and_batchnorm") else {
        return;
    };
    for (n, c, h, w, k, s) in [
        (1, 1, 1, 1, 1, 1),
        (2, 2, 4, 6, 2, 2),
        (1, 2, 7, 5, 3, 2),
        (1, 1, 4, 5, 3, 1),
        (3, 5, 33, 17, 2, 2),
    ] {
        let g = Pool2dGeom {
            n,
            c,
            h,
            w,
            kh: k,
            kw: k,
            stride: s,
            h_out: (h - k) / s + 1,
            w_out: (w - k) / s + 1,
        };
        let x = random(g.in_len(), -1.0, 1.0, 50);
        let gy = random(g.out_len(), -1.0, 1.0, 51);
        let (yc, ac) = cpu.maxpool2d_forward(&cpu.from_f64(&x).unwrap(), g).unwrap();
        let (yg, ag) = gpu.maxpool2d_forward(&gpu.from_f64(&x).unwrap(), g).unwrap();
        let exact = Tolerance { atol: 0.0, rtol: 1e-7 };
        close(
            &format!("maxpool {g:?}"),
            &gpu.to_f64(&yg).unwrap(),
            &cpu.to_f64(&yc).unwrap(),
            exact,
        );
        close(
            &format!("maxpool argmax {g:?}"),
            &gpu.to_f64(&ag).unwrap(),
            &cpu.to_f64(&ac).unwrap(),
            exact,
        );
        let bc = cpu.maxpool2d_backward(&cpu.from_f64(&gy).unwrap(), &ac, g).unwrap();
        let bg = gpu.maxpool2d_backward(&gpu.from_f64(&gy).unwrap(), &ag, g).unwrap();
        close(
            &format!("maxpool' {g:?}"),
            &gpu.to_f64(&bg).unwrap(),
            &cpu.to_f64(&bc).unwrap(),
            Tolerance::F32,
        );
        let ac = cpu.avgpool2d_forward(&cpu.from_f64(&x).unwrap(), g).unwrap();
        let ag = gpu.avgpool2d_forward(&gpu.from_f64(&x).unwrap(), g).unwrap();
        close(
            &format!("avgpool {g:?}"),
            &gpu.to_f64(&ag).unwrap(),
            &cpu.to_f64(&ac).unwrap(),
            Tolerance::F32,
        );
        let bc = cpu.avgpool2d_backward(&cpu.from_f64(&gy).unwrap(), g).unwrap();
        let bg = gpu.avgpool2d_backward(&gpu.from_f64(&gy).unwrap(), g).unwrap();
        close(
            &format!("avgpool' {g:?}"),
            &gpu.to_f64(&bg).unwrap(),
            &cpu.to_f64(&bc).unwrap(),
            Tolerance::F32,
        );
    }
    for (n, c, h, w, factor) in [(1, 1, 1, 1, 2), (2, 3, 5, 4, 3)] {
        let g = UpsampleGeom { n, c, h, w, factor };
        let x = random(g.in_len(), -1.0, 1.0, 52);
        let gy = random(g.out_len(), -1.0, 1.0, 53);
        let yc = cpu.upsample_nearest_forward(&cpu.from_f64(&x).unwrap(), g).unwrap();
        let yg = gpu.upsample_nearest_forward(&gpu.from_f64(&x).unwrap(), g).unwrap();
        close(
            &format!("upsample {g:?}"),
            &gpu.to_f64(&yg).unwrap(),
            &cpu.to_f64(&yc).unwrap(),
            Tolerance::F32,
        );
        let bc = cpu.upsample_nearest_backward(&cpu.from_f64(&gy).unwrap(), g).unwrap();
        let bg = gpu.upsample_nearest_backward(&gpu.from_f64(&gy).unwrap(), g).unwrap();
        close(
            &format!("upsample' {g:?}"),
            &gpu.to_f64(&bg).unwrap(),
            &cpu.to_f64(&bc).unwrap(),
            Tolerance::f32_sum(factor * factor),
        );
    }
    // Per channel 2·1·3 = 6 values up to 3·2000 = 6000 (over one reduction chunk of 4096).
    for (n, c, plane) in [(2, 1, 3), (5, 3, 1), (3, 2, 2000)] {
        let d = BatchNormDims { n, c, plane, eps: 1e-5 };
        // Data far from zero, where a one-pass variance would cancel.
        let x = random(d.len(), 9.0, 11.0, 54);
        let gy = random(d.len(), -1.0, 1.0, 55);
        let (gamma, beta) = (random(c, 0.5, 1.5, 56), random(c, -0.5, 0.5, 57));
        let up_c = |v: &Vec<f64>| cpu.from_f64(v).unwrap();
        let up_g = |v: &Vec<f64>| gpu.from_f64(v).unwrap();
        let fc = cpu.batchnorm_forward(&up_c(&x), &up_c(&gamma), &up_c(&beta), d).unwrap();
        let fg = gpu.batchnorm_forward(&up_g(&x), &up_g(&gamma), &up_g(&beta), d).unwrap();
        // x̂ divides by a standard deviation of ~0.6 after subtracting a mean of ~10: the
        // inputs' own f32 rounding (1e-6 absolute at 10) becomes ~2e-6 on x̂.
        let t = Tolerance { atol: 1e-4, rtol: 1e-4 };
        for (what, a, b) in [("y", &fg.0, &fc.0), ("mean", &fg.1, &fc.1), ("inv_std", &fg.2, &fc.2)] {
            close(
                &format!("batchnorm {what} {d:?}"),
                &gpu.to_f64(a).unwrap(),
                &cpu.to_f64(b).unwrap(),
                t,
            );
        }
        let bc = cpu
            .batchnorm_backward(&up_c(&x), &up_c(&gy), &up_c(&gamma), &fc.1, &fc.2, d)
            .unwrap();
        let bg = gpu
            .batchnorm_backward(&up_g(&x), &up_g(&gy), &up_g(&gamma), &fg.1, &fg.2, d)
            .unwrap();
        let ts = Tolerance::f32_sum(n * plane);
        let ts = Tolerance {
            atol: ts.atol * 10.0,
            rtol: ts.rtol,
        };
        for (what, a, b) in [("∂x", &bg.0, &bc.0), ("∂γ", &bg.1, &bc.1), ("∂β", &bg.2, &bc.2)] {
            close(
                &format!("batchnorm {what} {d:?}"),
                &gpu.to_f64(a).unwrap(),
                &cpu.to_f64(b).unwrap(),
                ts,
            );
        }
    }
}
