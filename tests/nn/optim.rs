//! Optimisers: they minimise, clip to the global norm, follow their schedule, and touch only
//! the parameters that have a gradient.

use super::common::*;
use cosmograd::nn::optim::{clip_scale, Constant, StepDecay, WarmupCosine};
use cosmograd::nn::{Adam, AdamConfig, LrSchedule, Optimizer, Sgd, SgdConfig};
use cosmograd::prelude::*;

fn cpu() -> Cpu<f64> {
    Cpu::default()
}

type BoxedOpt = Box<dyn Optimizer<Cpu<f64>>>;

fn minimise(mut opt: BoxedOpt, steps: usize) -> (f64, f64) {
    let mut store = store_wb(cpu(), &[0.5, -1.0, 2.0, 0.0, 1.5, -0.5], &[0.3, 0.2, -0.1]);
    let (first, _) = quadratic_grads(&store, 1.0);
    let mut last = first;
    for _ in 0..steps {
        let (loss, g) = quadratic_grads(&store, 1.0);
        last = loss;
        opt.step(&mut store, &g).unwrap();
    }
    (first, last)
}

#[test]
fn every_optimiser_drives_a_quadratic_to_its_minimum() {
    let nesterov = SgdConfig {
        momentum: 0.9,
        nesterov: true,
        ..SgdConfig::default()
    };
    let cases: Vec<(&str, BoxedOpt)> = vec![
        ("sgd", Box::new(Sgd::new(0.02))),
        ("sgd momentum", Box::new(Sgd::momentum(0.01, 0.9))),
        ("sgd nesterov", Box::new(Sgd::with_config(0.01, nesterov))),
        ("adam", Box::new(Adam::new(0.05))),
        ("adamw", Box::new(Adam::adamw(0.05, 1e-4))),
    ];
    for (name, opt) in cases {
        let (first, last) = minimise(opt, 400);
        assert!(first > 10.0, "{name}: the start should be far from the minimum ({first})");
        assert!(last < 1e-3 * first, "{name}: loss went from {first} to {last}");
    }
}

#[test]
fn clipping_scales_the_step_to_the_max_norm() {
    // g has norm 5 (3-4-0 and 0); plain SGD with lr 1 moves p by exactly −g · scale.
    let g_w = [3.0, 0.0, 0.0, 0.0, 4.0, 0.0];
    let g_b = [0.0; 3];
    for (max_norm, want_scale) in [(1.0, 1.0 / (5.0 + 1e-6)), (2.5, 2.5 / (5.0 + 1e-6)), (10.0, 1.0)] {
        let mut store = store_wb(cpu(), &[0.0; 6], &[0.0; 3]);
        let g = grads_equal_to(&store, &[("w", &g_w), ("b", &g_b)]);
        let mut opt = Sgd::new(1.0).with_clip(max_norm);
        let r = opt.step(&mut store, &g).unwrap();
        assert_eq!(r.grad_norm, 5.0);
        assert_eq!(r.grad_scale, want_scale);
        let w = values(&store, "w");
        let moved = w.iter().map(|x| x * x).sum::<f64>().sqrt();
        assert!((moved - max_norm.min(5.0)).abs() < 1e-5, "max {max_norm}: moved {moved}");
        assert_eq!(w[0], -3.0 * want_scale);
    }
    assert_eq!(clip_scale(0.0, 1.0), 1.0);
}

#[test]
fn clipping_also_scales_adam_moments() {
    // With clipping folded into grad_scale, Adam's first moment holds the clipped gradient.
    let mut store = store_wb(cpu(), &[0.0; 6], &[0.0; 3]);
    let g = grads_equal_to(&store, &[("w", &[6.0, 8.0, 0.0, 0.0, 0.0, 0.0])]);
    let mut opt = Adam::new(0.1).with_clip(1.0);
    opt.step(&mut store, &g).unwrap();
    let m = opt.state().params["w"].slots[0].to_vec_f64(&cpu()).unwrap();
    let s = 1.0 / (10.0 + 1e-6);
    assert!(
        (m[0] - 0.1 * 6.0 * s).abs() < 1e-15 && (m[1] - 0.1 * 8.0 * s).abs() < 1e-15,
        "{m:?}"
    );
}

#[test]
fn only_parameters_with_a_gradient_move_and_get_state() {
    let mut store = store_wb(cpu(), &[1.0; 6], &[2.0; 3]);
    let g = grads_equal_to(&store, &[("w", &[1.0; 6])]);
    let mut opt = Adam::new(0.1);
    let r = opt.step(&mut store, &g).unwrap();
    assert_eq!(r.updated, 1);
    assert_eq!(values(&store, "b"), vec![2.0; 3]);
    assert!(values(&store, "w").iter().all(|&x| x < 1.0));
    assert!(opt.state().params.contains_key("w") && !opt.state().params.contains_key("b"));
    // Gradients of parameters that live in another store are ignored.
    let mut other = cosmograd::nn::ParamStore::new(cpu());
    other.add("b", Tensor::from_f64(&cpu(), &[5.0; 3], &[3]).unwrap()).unwrap();
    let r = opt.step(&mut other, &g).unwrap();
    assert_eq!(r.updated, 0);
    assert_eq!(values(&other, "b"), vec![5.0; 3]);
}

#[test]
fn a_non_finite_gradient_is_an_error_and_changes_nothing() {
    let mut store = store_wb(cpu(), &[1.0; 6], &[2.0; 3]);
    let g = grads_equal_to(&store, &[("w", &[1.0, f64::NAN, 0.0, 0.0, 0.0, 0.0]), ("b", &[1.0; 3])]);
    let mut opt = Sgd::momentum(0.1, 0.9);
    let msg = opt.step(&mut store, &g).unwrap_err().to_string();
    assert!(msg.contains("NaN") && msg.contains("COSMOGRAD_GUARD"), "{msg}");
    assert_eq!(values(&store, "w"), vec![1.0; 6]);
    assert_eq!(values(&store, "b"), vec![2.0; 3]);
    assert_eq!(opt.steps(), 0);
}

#[test]
fn step_counts_per_parameter_drive_bias_correction() {
    // A parameter's first update is a bias-corrected Adam step of size ≈ lr whenever it
    // happens: here `b` joins at the optimiser's third step.
    let mut store = store_wb(cpu(), &[0.0; 6], &[0.0; 3]);
    let mut opt = Adam::with_config(
        0.1,
        AdamConfig {
            eps: 0.0,
            ..AdamConfig::default()
        },
    );
    for _ in 0..2 {
        let g = grads_equal_to(&store, &[("w", &[1.0; 6])]);
        opt.step(&mut store, &g).unwrap();
    }
    let g = grads_equal_to(&store, &[("w", &[1.0; 6]), ("b", &[3.0; 3])]);
    opt.step(&mut store, &g).unwrap();
    assert_eq!(opt.steps(), 3);
    assert_eq!(opt.state().params["w"].step, 3);
    assert_eq!(opt.state().params["b"].step, 1);
    for x in values(&store, "b") {
        assert!((x + 0.1).abs() < 1e-12, "{x}");
    }
}

#[test]
fn schedules_give_the_documented_learning_rates() {
    assert_eq!(Constant(0.3).lr(0), 0.3);
    assert_eq!(Constant(0.3).lr(1_000_000), 0.3);
    let s = StepDecay {
        lr: 1.0,
        gamma: 0.5,
        every: 10,
    };
    assert_eq!([s.lr(0), s.lr(9), s.lr(10), s.lr(25)], [1.0, 1.0, 0.5, 0.25]);
    let c = WarmupCosine {
        lr: 1.0,
        min_lr: 0.1,
        warmup: 4,
        total: 104,
    };
    assert_eq!([c.lr(0), c.lr(1), c.lr(3)], [0.25, 0.5, 1.0]);
    assert_eq!(c.lr(4), 1.0);
    assert!((c.lr(54) - 0.55).abs() < 1e-15);
    assert!((c.lr(104) - 0.1).abs() < 1e-15);
    assert!((c.lr(10_000) - 0.1).abs() < 1e-15);
    // Monotone after the warm-up.
    assert!((4..104).all(|t| c.lr(t + 1) <= c.lr(t)));
    let closure = |step: u64| 1.0 / (1.0 + step as f64);
    assert_eq!(closure.lr(3), 0.25);
}

#[test]
fn the_optimiser_uses_its_schedule_step_by_step() {
    let mut store = store_wb(cpu(), &[0.0; 6], &[0.0; 3]);
    let mut opt = Sgd::new(999.0).with_schedule(|step: u64| 0.1 * (step + 1) as f64);
    let mut lrs = vec![];
    for _ in 0..3 {
        let g = grads_equal_to(&store, &[("b", &[1.0; 3])]);
        lrs.push(opt.step(&mut store, &g).unwrap().lr);
    }
    assert_eq!(lrs, vec![0.1, 0.2, 0.30000000000000004]);
    // Plain SGD moved b by −Σ lr.
    assert!((values(&store, "b")[0] + 0.6).abs() < 1e-15);
    assert_eq!(opt.current_lr(), 0.4);
}

#[test]
fn optimisers_by_name() {
    for (name, kind) in [("sgd", "sgd"), ("adam", "adam"), ("adamw", "adamw")] {
        let o = cosmograd::nn::optim::by_name::<Cpu<f64>>(name, 0.1, 0.9, 0.0).unwrap();
        assert_eq!(o.kind(), kind);
        assert_eq!(o.current_lr(), 0.1);
    }
    let msg = cosmograd::nn::optim::by_name::<Cpu<f64>>("rmsprop", 0.1, 0.0, 0.0)
        .err()
        .unwrap()
        .to_string();
    assert!(msg.contains("rmsprop") && msg.contains("sgd, adam or adamw"), "{msg}");
    let msg = cosmograd::nn::optim::by_name::<Cpu<f64>>("adam", -1.0, 0.0, 0.0)
        .err()
        .unwrap()
        .to_string();
    assert!(msg.contains("learning rate must be a positive number, got -1"), "{msg}");
}

/// Two models on one tape (a GAN's discriminator run on real and generated images) may both
/// have a parameter named `w`: each keeps its own value on the tape and its own gradient.
#[test]
fn two_stores_with_the_same_parameter_name_stay_apart_on_one_tape() {
    let mut g_store = cosmograd::nn::ParamStore::new(cpu());
    let mut d_store = cosmograd::nn::ParamStore::new(cpu());
    g_store.add("w", Tensor::from_f64(&cpu(), &[2.0], &[1]).unwrap()).unwrap();
    d_store.add("w", Tensor::from_f64(&cpu(), &[3.0], &[1]).unwrap()).unwrap();
    let tape = Tape::new(cpu());
    let x = tape.input_f64(&[1.0], &[1]).unwrap();
    let wg = g_store.var(&tape, "w").unwrap();
    let wd = d_store.var(&tape, "w").unwrap();
    assert_ne!(wg.id(), wd.id());
    // E = (wg·x)·wd → ∂E/∂wg = x·wd = 3, ∂E/∂wd = wg·x = 2.
    let e = wg.mul(x).unwrap().mul(wd).unwrap().sum().unwrap();
    let grads = tape.backward(e).unwrap();
    assert_eq!(g_store.grad(&grads, "w").unwrap().to_vec_f64(&cpu()).unwrap(), vec![3.0]);
    assert_eq!(d_store.grad(&grads, "w").unwrap().to_vec_f64(&cpu()).unwrap(), vec![2.0]);
    // By name alone the gradient is ambiguous, so none is returned.
    assert!(grads.param("w").is_none());
    let mut opt = Sgd::new(0.5);
    opt.step(&mut d_store, &grads).unwrap();
    assert_eq!(values(&d_store, "w"), vec![2.0]);
    assert_eq!(values(&g_store, "w"), vec![2.0]);
}

#[test]
fn a_negative_clip_threshold_or_learning_rate_is_an_error() {
    let mut store = store_wb(cpu(), &[1.0; 6], &[2.0; 3]);
    let g = grads_equal_to(&store, &[("w", &[1.0; 6])]);
    let mut opt = Sgd::new(0.1).with_clip(-1.0);
    let msg = opt.step(&mut store, &g).unwrap_err().to_string();
    assert!(
        msg.contains("clip scale") && msg.contains("max_grad_norm must be a positive number"),
        "{msg}"
    );
    let mut opt = Sgd::new(-0.1);
    let msg = opt.step(&mut store, &g).unwrap_err().to_string();
    assert!(msg.contains("learning rate -0.1"), "{msg}");
    assert_eq!(values(&store, "w"), vec![1.0; 6]);
}

/// The aliasing rule of `Backend::adam_update`: with no other handle to a parameter (the tape
/// dropped before the step) the update writes its memory in place; with a handle kept
/// elsewhere, the parameter gets a private copy first and the other holder keeps the old values.
#[test]
fn the_step_updates_in_place_when_the_store_holds_the_only_handle() {
    let mut store = store_wb(cpu(), &[1.0; 6], &[2.0; 3]);
    let g = grads_equal_to(&store, &[("w", &[1.0; 6])]); // its tape is gone
    let before = std::sync::Arc::as_ptr(store.get("w").unwrap().storage());
    let mut opt = Adam::new(0.1);
    opt.step(&mut store, &g).unwrap();
    assert_eq!(
        std::sync::Arc::as_ptr(store.get("w").unwrap().storage()),
        before,
        "updated in place"
    );
    assert_ne!(values(&store, "w"), vec![1.0; 6]);

    let kept = store.get("w").unwrap().clone(); // a second handle, as a live tape would hold
    let old = kept.to_vec_f64(&cpu()).unwrap();
    opt.step(&mut store, &g).unwrap();
    assert_ne!(
        std::sync::Arc::as_ptr(store.get("w").unwrap().storage()),
        std::sync::Arc::as_ptr(kept.storage())
    );
    assert_eq!(kept.to_vec_f64(&cpu()).unwrap(), old, "the other holder's values are untouched");
    assert_ne!(values(&store, "w"), old);
}
