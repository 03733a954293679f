//! The tape's contract: summed gradients, one backward per tape, clear errors, guard mode.

use cosmograd::prelude::*;

fn cpu() -> Cpu<f64> {
    Cpu::default()
}

#[test]
fn a_value_used_twice_receives_the_sum_of_both_gradients() {
    let t = Tape::new(cpu());
    let x = t.leaf(Tensor::from_f64(t.backend(), &[3.0], &[1]).unwrap());
    // E = x·x + 2x → dE/dx = 2x + 2 = 8
    let e = x.mul(x).unwrap().add(x.mul_scalar(2.0).unwrap()).unwrap().sum().unwrap();
    let g = t.backward(e).unwrap();
    assert_eq!(g.wrt(x).unwrap().to_vec_f64(t.backend()).unwrap(), vec![8.0]);
}

#[test]
fn backward_twice_is_an_error_not_a_double_count() {
    let t = Tape::new(cpu());
    let x = t.leaf(Tensor::from_f64(t.backend(), &[1.0, 2.0], &[2]).unwrap());
    let e = x.square().unwrap().sum().unwrap();
    t.backward(e).unwrap();
    assert!(matches!(t.backward(e), Err(Error::BackwardTwice)));
}

#[test]
fn shape_mismatch_names_the_op_and_both_shapes() {
    let t = Tape::new(cpu());
    let a = t.input_f64(&[0.0; 6], &[2, 3]).unwrap();
    let b = t.input_f64(&[0.0; 4], &[2, 2]).unwrap();
    let msg = a.add(b).unwrap_err().to_string();
    assert!(msg.contains("add") && msg.contains("[2, 3]") && msg.contains("[2, 2]"), "{msg}");
    let msg = a.matmul(a).unwrap_err().to_string();
    assert!(msg.contains("matmul") && msg.contains("[2, 3]"), "{msg}");
}

#[test]
fn guard_mode_names_the_first_op_that_made_a_non_finite_value() {
    let t = Tape::new(cpu()).guard(true);
    let x = t.input_f64(&[1.0, -1.0], &[2]).unwrap();
    let y = x.exp().unwrap();
    let err = x.log().and_then(|l| l.add(y)).unwrap_err();
    assert!(matches!(&err, Error::NonFinite { op, .. } if op == "log"), "{err}");
}

#[test]
fn without_guard_non_finite_values_pass_silently() {
    let t = Tape::new(cpu()).guard(false);
    let x = t.input_f64(&[-1.0], &[1]).unwrap();
    assert!(x.log().unwrap().to_vec().unwrap()[0].is_nan());
}

#[test]
fn no_grad_tapes_record_no_rules() {
    let t = Tape::new(cpu()).no_grad();
    let x = t.leaf(Tensor::from_f64(t.backend(), &[1.0], &[1]).unwrap());
    let y = x.exp().unwrap();
    assert!(!y.requires_grad());
    assert!(t.nodes().iter().all(|n| n.rule.is_none()));
}

#[test]
fn dropout_is_seeded_and_identity_in_eval() {
    let run = |seed, train| {
        let t = Tape::new(Cpu::<f32>::default()).training(train).seed(seed);
        let x = t.input_f64(&vec![1.0; 1000], &[1000]).unwrap();
        x.dropout(0.5).unwrap().to_vec().unwrap()
    };
    assert_eq!(run(1, true), run(1, true));
    assert_ne!(run(1, true), run(2, true));
    assert_eq!(run(1, false), vec![1.0; 1000]);
    let kept = run(3, true).iter().filter(|&&v| v > 0.0).count();
    assert!((400..600).contains(&kept), "kept {kept} of 1000 at p = 0.5");
}

#[test]
fn values_from_another_tape_are_rejected() {
    let t1 = Tape::new(cpu());
    let t2 = Tape::new(cpu());
    let a = t1.input_f64(&[1.0], &[1]).unwrap();
    let b = t2.input_f64(&[1.0], &[1]).unwrap();
    match a.add(b) {
        Err(cosmograd::Error::Tape(msg)) => assert!(msg.contains("another tape"), "{msg}"),
        other => panic!("expected a tape error, got {other:?}"),
    }
}

#[test]
fn gmm_nll_of_one_component_is_the_gaussian_nll() {
    // K = 1, D = 1: E = ½ ln 2π + ln σ + (y − μ)²/(2σ²), σ = exp(s) with floor 0.
    let t = Tape::new(cpu());
    let a = t.input_f64(&[0.3], &[1, 1]).unwrap();
    let mu = t.input_f64(&[0.5], &[1, 1, 1]).unwrap();
    let s = t.input_f64(&[(0.7f64).ln()], &[1, 1, 1]).unwrap();
    let y = t.input_f64(&[1.2], &[1, 1]).unwrap();
    let opts = GmmOptions {
        isotropic: false,
        sigma: cosmograd::backend::SigmaParam::Exp { floor: 0.0 },
    };
    let e = cosmograd::ops::gmm_nll::gmm_nll(a, mu, s, y, opts).unwrap().item().unwrap();
    let want = 0.5 * (2.0 * std::f64::consts::PI).ln() + 0.7f64.ln() + (0.7f64).powi(2) / (2.0 * 0.49);
    assert!((e - want).abs() < 1e-12, "{e} vs {want}");
}

#[test]
fn abs_has_zero_gradient_at_zero() {
    let t = Tape::new(cpu());
    let x = t.leaf(Tensor::from_f64(t.backend(), &[-2.0, 0.0, 3.0], &[3]).unwrap());
    let g = t.backward(x.abs().unwrap().sum().unwrap()).unwrap();
    assert_eq!(g.wrt(x).unwrap().to_vec_f64(t.backend()).unwrap(), vec![-1.0, 0.0, 1.0]);
}
