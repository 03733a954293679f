//! NaN semantics: a NaN that reaches an op comes out of it, in the value and in the gradient
//! (as in PyTorch and in max pooling), so that the guard and the optimiser can see it. One
//! test per activation; each fails on an engine whose kernel uses `x.max(0)` or a bare
//! `x > 0` branch.

use cosmograd::ops::loss;
use cosmograd::prelude::*;

/// f applied to [1, NaN, −2, 0.5] on backend B (value, gradient of Σ f), each as f64.
fn run<B: Backend + Default>(f: impl for<'t> Fn(Var<'t, B>) -> Result<Var<'t, B>>) -> (Vec<f64>, Vec<f64>) {
    let t = Tape::new(B::default()).guard(false);
    let x = t.leaf(Tensor::from_f64(t.backend(), &[1.0, f64::NAN, -2.0, 0.5], &[4]).unwrap());
    let y = f(x).unwrap();
    let value = y.to_vec().unwrap();
    let g = t.backward(y.sum().unwrap()).unwrap();
    (value, g.wrt(x).unwrap().to_vec_f64(t.backend()).unwrap())
}

/// The NaN element (index 1) is NaN in value and gradient; the others stay finite.
fn assert_nan_only_at_1(name: &str, (value, grad): (Vec<f64>, Vec<f64>)) {
    for (what, v) in [("value", &value), ("gradient", &grad)] {
        assert!(v[1].is_nan(), "{name}: {what} of NaN is {} (expected NaN)", v[1]);
        for i in [0, 2, 3] {
            assert!(v[i].is_finite(), "{name}: {what}[{i}] = {}", v[i]);
        }
    }
}

/// The check on f32 and f64 (one closure, written once, instantiated per backend).
macro_rules! both {
    ($name:expr, |$x:ident| $body:expr) => {
        assert_nan_only_at_1(&format!("{} f64", $name), run::<Cpu<f64>>(|$x| $body));
        assert_nan_only_at_1(&format!("{} f32", $name), run::<Cpu<f32>>(|$x| $body));
    };
}

#[test]
fn relu_propagates_nan() {
    both!("relu", |x| x.relu());
    // The example: relu([1, NaN, 2]).sum() was 3.
    let t = Tape::new(Cpu::<f64>::default()).guard(false);
    let s = t.input_f64(&[1.0, f64::NAN, 2.0], &[3]).unwrap().relu().unwrap().sum().unwrap();
    assert!(s.item().unwrap().is_nan());
}

#[test]
fn relu_keeps_its_values_and_zero_gradient_at_zero() {
    let t = Tape::new(Cpu::<f64>::default()).guard(false);
    let x = t.leaf(Tensor::from_f64(t.backend(), &[-1.0, 0.0, 2.0, f64::NEG_INFINITY], &[4]).unwrap());
    let y = x.relu().unwrap();
    assert_eq!(y.to_vec().unwrap(), vec![0.0, 0.0, 2.0, 0.0]);
    let g = t.backward(y.sum().unwrap()).unwrap();
    assert_eq!(g.wrt(x).unwrap().to_vec_f64(t.backend()).unwrap(), vec![0.0, 0.0, 1.0, 0.0]);
}

#[test]
fn relu_propagates_nan_in_the_parallel_chunked_path() {
    // Long enough for the parallel kernel (more than PAR_MIN elements).
    let n = 100_000;
    let mut v = vec![-1.0; n];
    v[77_777] = f64::NAN;
    let t = Tape::new(Cpu::<f32>::default()).guard(false);
    let x = t.leaf(Tensor::from_f64(t.backend(), &v, &[n]).unwrap());
    let y = x.relu().unwrap();
    let vals = y.to_vec().unwrap();
    assert!(vals[77_777].is_nan() && vals[0] == 0.0);
    let g = t
        .backward(y.sum().unwrap())
        .unwrap()
        .wrt(x)
        .unwrap()
        .to_vec_f64(t.backend())
        .unwrap();
    assert!(g[77_777].is_nan() && g[0] == 0.0 && g.iter().filter(|x| x.is_nan()).count() == 1);
}

#[test]
fn leaky_relu_propagates_nan() {
    both!("leaky_relu", |x| x.leaky_relu(0.2));
}

#[test]
fn sigmoid_propagates_nan() {
    both!("sigmoid", |x| x.sigmoid());
}

#[test]
fn tanh_propagates_nan() {
    both!("tanh", |x| x.tanh());
}

#[test]
fn softplus_propagates_nan() {
    both!("softplus", |x| x.softplus());
}

#[test]
fn abs_propagates_nan() {
    both!("abs", |x| x.abs());
}

#[test]
fn bce_of_a_nan_probability_is_nan() {
    // ln p was floored at −100 with f64::max, which turned NaN into a loss of 100·t.
    let t = Tape::new(Cpu::<f64>::default()).guard(false);
    let p = t.leaf(Tensor::from_f64(t.backend(), &[f64::NAN, 0.5], &[2]).unwrap());
    let y = t.input_f64(&[1.0, 0.0], &[2]).unwrap();
    let l = loss::bce(p, y, Reduction::None).unwrap();
    let v = l.to_vec().unwrap();
    assert!(v[0].is_nan() && v[1].is_finite(), "{v:?}");
    // The floors still apply to finite values: p = 0 gives ln p = −100, not −∞.
    let t = Tape::new(Cpu::<f64>::default()).guard(false);
    let p = t.input_f64(&[0.0], &[1]).unwrap();
    let y = t.input_f64(&[1.0], &[1]).unwrap();
    assert_eq!(loss::bce(p, y, Reduction::Sum).unwrap().item().unwrap(), 100.0);
}
