//! Initialisers: the spread the formulas promise, and the same numbers for the same seed.

use cosmograd::nn::init::{fans, seed_for};
use cosmograd::nn::{Init, Linear, ParamStore};
use cosmograd::prelude::*;

fn mean_std(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n;
    (m, v.sqrt())
}

#[test]
fn initialisers_have_the_standard_deviation_of_their_formula() {
    let shape = [256, 128, 3, 3]; // fan_in 1152, fan_out 2304, 294 912 values
    let (fi, fo) = (1152.0f64, 2304.0f64);
    assert_eq!(fans(&shape), (1152, 2304));
    let cases = [
        (Init::HeNormal, (2.0 / fi).sqrt()),
        (Init::HeUniform, (2.0 / fi).sqrt()),
        (Init::XavierUniform, (2.0 / (fi + fo)).sqrt()),
        (Init::XavierNormal, (2.0 / (fi + fo)).sqrt()),
        (Init::TorchDefault, (1.0 / (3.0 * fi)).sqrt()),
        (Init::Normal { std: 0.02 }, 0.02),
    ];
    for (init, want) in cases {
        let x = init.sample(&shape, None, 11);
        let (m, s) = mean_std(&x);
        // Sampling error of a std over 3e5 values is ~0.13 %; of the mean ~0.2 % of std.
        assert!((s / want - 1.0).abs() < 0.01, "{init:?}: std {s} vs {want}");
        assert!(m.abs() < 0.01 * want, "{init:?}: mean {m}");
    }
    let bound = (6.0 / (fi + fo)).sqrt();
    assert!(Init::XavierUniform.sample(&shape, None, 3).iter().all(|v| v.abs() <= bound));
    assert_eq!(Init::Constant(0.5).sample(&[4], None, 0), vec![0.5; 4]);
    assert_eq!(Init::Zeros.sample(&[2, 2], None, 0), vec![0.0; 4]);
}

#[test]
fn fan_in_override_is_used_for_biases() {
    let x = Init::TorchDefault.sample(&[10_000], Some(4), 5);
    assert!(x.iter().all(|v| v.abs() <= 0.5) && x.iter().any(|v| v.abs() > 0.45));
}

#[test]
fn the_same_seed_gives_the_same_values_bit_for_bit() {
    for init in [Init::HeNormal, Init::XavierUniform, Init::Normal { std: 1.0 }] {
        let a = init.sample(&[64, 32], None, 42);
        let b = init.sample(&[64, 32], None, 42);
        let c = init.sample(&[64, 32], None, 43);
        assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
        assert!(a.iter().zip(&c).any(|(x, y)| x != y));
    }
    let build = |seed| {
        let mut s = ParamStore::new(Cpu::<f32>::default());
        Linear::new(&mut s, "fc1", 8, 4, true, Init::HeNormal, seed).unwrap();
        Linear::new(&mut s, "fc2", 4, 2, true, Init::XavierUniform, seed).unwrap();
        s.params()
            .map(|(n, t)| (n.clone(), t.to_vec_f32(s.backend()).unwrap()))
            .collect::<Vec<_>>()
    };
    let (a, b) = (build(1), build(1));
    for ((na, va), (nb, vb)) in a.iter().zip(&b) {
        assert_eq!(na, nb);
        assert!(va.iter().zip(vb).all(|(x, y)| x.to_bits() == y.to_bits()), "{na}");
    }
    assert_ne!(a, build(2));
    assert_ne!(seed_for(1, "fc1.weight"), seed_for(1, "fc2.weight"));
}
