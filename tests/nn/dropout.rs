//! The Dropout layer: identity when evaluating, inverted dropout when training.

use cosmograd::nn::Dropout;
use cosmograd::prelude::*;

#[test]
fn dropout_is_the_identity_on_an_evaluation_tape() {
    let t = Tape::new(Cpu::<f64>::default());
    let x = t.input_f64(&[1.0, 2.0, 3.0], &[3]).unwrap();
    let y = Dropout::new(0.5).unwrap().forward(x).unwrap();
    assert_eq!(y.to_vec().unwrap(), vec![1.0, 2.0, 3.0]);
}

#[test]
fn dropout_drops_about_p_and_rescales_the_rest_when_training() {
    let t = Tape::new(Cpu::<f64>::default()).training(true).seed(7);
    let n = 20_000;
    let x = t.input_f64(&vec![1.0; n], &[n]).unwrap();
    let y = Dropout::new(0.3).unwrap().forward(x).unwrap().to_vec().unwrap();
    let dropped = y.iter().filter(|&&v| v == 0.0).count() as f64 / n as f64;
    assert!((dropped - 0.3).abs() < 0.02, "dropped {dropped}");
    assert!(y.iter().all(|&v| v == 0.0 || (v - 1.0 / 0.7).abs() < 1e-12));
}

#[test]
fn dropout_rejects_a_probability_outside_0_1() {
    for p in [-0.1, 1.0, f64::NAN] {
        let msg = Dropout::new(p).unwrap_err().to_string();
        assert!(msg.contains("dropout") && msg.contains("[0, 1)"), "{msg}");
    }
}
