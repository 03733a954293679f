//! The im2col + gemm convolution against the seven-loop definition, and the batch-norm kernel
//! against the chain rule through mean and variance, on awkward shapes.

use cosmograd::backend::cpu::batchnorm::batchnorm_reference;
use cosmograd::backend::cpu::conv2d::{conv2d_backward_input_reference, conv2d_backward_weight_reference, conv2d_reference};
use cosmograd::backend::{Backend, BatchNormDims, Conv2dGeom, Cpu};
use cosmograd::ops::conv2d::conv2d_geom;
use cosmograd::ops::{Conv2dOptions, PadMode, Padding};
use rand::{RngExt, SeedableRng};

fn random(n: usize, seed: u64) -> Vec<f64> {
    let mut r = rand::rngs::StdRng::seed_from_u64(seed);
    (0..n).map(|_| r.random_range(-1.0..1.0)).collect()
}

fn assert_close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * (1.0 + w.abs()), "{what}[{i}]: fast {g} vs reference {w}");
    }
}

/// Fast kernels on backend `be` against the references (computed in f64).
fn check<B: Backend>(be: B, g: Conv2dGeom, tol: f64, what: &str) {
    let (x, w, b, gy) = (
        random(g.in_len(), 1),
        random(g.weight_len(), 2),
        random(g.c_out, 3),
        random(g.out_len(), 4),
    );
    let s = |v: &[f64]| be.from_f64(v).unwrap();
    let y = be.to_f64(&be.conv2d_forward(&s(&x), &s(&w), Some(&s(&b)), g).unwrap()).unwrap();
    assert_close(&format!("{what} forward"), &y, &conv2d_reference(&x, &w, Some(&b), g), tol);
    let gx = be.to_f64(&be.conv2d_backward_input(&s(&gy), &s(&w), g).unwrap()).unwrap();
    assert_close(&format!("{what} ∂x"), &gx, &conv2d_backward_input_reference(&gy, &w, g), tol);
    let gw = be.to_f64(&be.conv2d_backward_weight(&s(&x), &s(&gy), g).unwrap()).unwrap();
    assert_close(&format!("{what} ∂W"), &gw, &conv2d_backward_weight_reference(&x, &gy, g), tol);
}

fn geometries() -> Vec<(String, Conv2dGeom)> {
    use PadMode::{Circular, Zeros};
    use Padding::*;
    let asym = Explicit {
        top: 0,
        bottom: 3,
        left: 2,
        right: 1,
    };
    // (input, weight, stride, padding, mode)
    type Shape = ([usize; 4], [usize; 4], usize, Padding, PadMode);
    let shapes: Vec<Shape> = vec![
        ([1, 1, 1, 1], [1, 1, 1, 1], 1, Valid, Zeros),
        ([2, 3, 9, 7], [4, 3, 3, 3], 1, Same, Zeros),
        ([3, 1, 10, 9], [2, 1, 4, 4], 1, Same, Zeros),
        ([2, 2, 9, 11], [3, 2, 2, 2], 2, Same, Zeros),
        ([2, 2, 8, 5], [3, 2, 5, 3], 3, asym, Zeros),
        ([1, 2, 6, 7], [2, 2, 3, 3], 1, Same, Circular),
        ([2, 1, 7, 6], [2, 1, 4, 4], 2, Same, Circular),
        ([1, 3, 5, 6], [2, 3, 3, 2], 2, asym, Circular),
        ([2, 2, 4, 4], [1, 2, 7, 7], 1, Symmetric(3), Zeros),
        // Enough output rows for several im2col tiles per sample.
        ([3, 16, 40, 128], [4, 16, 3, 3], 1, Same, Zeros),
        ([5, 2, 33, 200], [3, 2, 4, 4], 1, Same, Circular),
    ];
    shapes
        .into_iter()
        .map(|(x, w, s, p, m)| {
            let g = conv2d_geom("conv2d", &x, &w, Conv2dOptions::new(s, p, m)).unwrap();
            (format!("x{x:?} w{w:?} s{s} {p:?} {m:?}"), g)
        })
        .collect()
}

#[test]
fn conv2d_fast_kernels_match_the_seven_loop_definition_in_f64() {
    for (what, g) in geometries() {
        check(Cpu::<f64>::default(), g, 1e-12, &what);
    }
}

#[test]
fn conv2d_fast_kernels_match_the_seven_loop_definition_in_f32() {
    for (what, g) in geometries() {
        check(Cpu::<f32>::default(), g, 1e-4, &what);
    }
}

#[test]
fn conv2d_weight_gradient_is_the_same_bit_for_bit_on_every_run() {
    let g = geometries().pop().unwrap().1;
    let be = Cpu::<f32>::default();
    let (x, gy) = (
        be.from_f64(&random(g.in_len(), 5)).unwrap(),
        be.from_f64(&random(g.out_len(), 6)).unwrap(),
    );
    let first = be.conv2d_backward_weight(&x, &gy, g).unwrap();
    for _ in 0..3 {
        assert_eq!(*be.conv2d_backward_weight(&x, &gy, g).unwrap(), *first);
    }
}

#[test]
fn batchnorm_kernel_matches_the_chain_rule_through_mean_and_variance() {
    for (n, c, plane) in [(4, 3, 10), (7, 5, 1), (1, 2, 9), (2, 1, 40000)] {
        let d = BatchNormDims { n, c, plane, eps: 1e-5 };
        let x: Vec<f64> = random(d.len(), 7).iter().map(|v| 3.0 * v + 1.5).collect();
        let (gy, gamma, beta) = (random(d.len(), 8), random(c, 9), random(c, 10));
        let [y, gx, gg, gb] = batchnorm_reference(&x, &gy, &gamma, &beta, d);
        let be = Cpu::<f64>::default();
        let s = |v: &[f64]| be.from_f64(v).unwrap();
        let (yk, mean, inv_std) = be.batchnorm_forward(&s(&x), &s(&gamma), &s(&beta), d).unwrap();
        assert_close("batchnorm y", &be.to_f64(&yk).unwrap(), &y, 1e-12);
        let (gxk, ggk, gbk) = be.batchnorm_backward(&s(&x), &s(&gy), &s(&gamma), &mean, &inv_std, d).unwrap();
        assert_close("batchnorm ∂x", &be.to_f64(&gxk).unwrap(), &gx, 1e-10);
        assert_close("batchnorm ∂γ", &be.to_f64(&ggk).unwrap(), &gg, 1e-10);
        assert_close("batchnorm ∂β", &be.to_f64(&gbk).unwrap(), &gb, 1e-10);
    }
}

/// Max pooling (the 2×2/2 fast path and the general loop) against the definition, on data with
/// many ties: the argmax must be the first maximum in row-major window order.
#[test]
fn maxpool_matches_the_definition_including_first_max_on_ties() {
    use cosmograd::backend::Pool2dGeom;
    let be = Cpu::<f64>::default();
    for (n, c, h, w, k, s) in [(2, 3, 8, 6, 2, 2), (1, 2, 7, 9, 2, 2), (2, 1, 9, 7, 3, 2), (1, 1, 5, 6, 2, 1)] {
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
        // Values in {0, 1, 2}: most windows hold ties.
        let x: Vec<f64> = random(g.in_len(), 11).iter().map(|v| ((v + 1.0) * 1.5).floor()).collect();
        let (y, arg) = be.maxpool2d_forward(&be.from_f64(&x).unwrap(), g).unwrap();
        let (y, arg) = (be.to_f64(&y).unwrap(), be.to_f64(&arg).unwrap());
        for p in 0..n * c {
            for oy in 0..g.h_out {
                for ox in 0..g.w_out {
                    let (mut best, mut at) = (f64::NEG_INFINITY, 0);
                    for ki in 0..k {
                        for kj in 0..k {
                            let i = (oy * s + ki) * w + ox * s + kj;
                            if x[p * h * w + i] > best {
                                (best, at) = (x[p * h * w + i], i);
                            }
                        }
                    }
                    let o = (p * g.h_out + oy) * g.w_out + ox;
                    assert_eq!((y[o], arg[o] as usize), (best, at), "{g:?} plane {p} ({oy}, {ox})");
                }
            }
        }
    }
}
