//! The nn layers: batch norm's running statistics through the tape's update queue, the eval
//! path using them, and the layers' output shapes in the thesis's MDN-CNN trunk.

use cosmograd::nn::{BatchNorm2d, Conv2d, ConvTranspose2d, Init, MaxPool2d, ParamStore, Upsample};
use cosmograd::ops::{Conv2dOptions, ConvTranspose2dOptions};
use cosmograd::prelude::*;

#[test]
fn batchnorm_layer_updates_running_statistics_with_momentum_and_uses_them_in_eval() {
    let be = Cpu::<f64>::default();
    let mut store = ParamStore::new(be);
    let bn = BatchNorm2d::new(&mut store, "bn", 2).unwrap().with_momentum(0.25);
    // Channel 0 holds 1, 2, 3, 4 and channel 1 holds 10 everywhere: mean (2.5, 10),
    // unbiased variance (5/3, 0).
    let x = [1.0, 2.0, 10.0, 10.0, 3.0, 4.0, 10.0, 10.0];
    let tape = Tape::new(be).training(true);
    let xv = tape.input_f64(&x, &[2, 2, 1, 2]).unwrap();
    let y = bn.forward(&store, xv).unwrap();
    assert_eq!(y.shape(), vec![2, 2, 1, 2]);
    store.apply_updates(&tape).unwrap();
    let rm = store.get("bn.running_mean").unwrap().to_vec_f64(&be).unwrap();
    let rv = store.get("bn.running_var").unwrap().to_vec_f64(&be).unwrap();
    let want_rm = [0.25 * 2.5, 0.25 * 10.0];
    let want_rv = [0.75 + 0.25 * 5.0 / 3.0, 0.75];
    for (g, w) in rm.iter().zip(&want_rm).chain(rv.iter().zip(&want_rv)) {
        assert!((g - w).abs() < 1e-9, "running statistic {g} vs {w}");
    }
    // Eval mode: (x − running mean)/√(running var + ε) with γ = 1, β = 0.
    let tape = Tape::new(be);
    let y = bn
        .forward(&store, tape.input_f64(&x, &[2, 2, 1, 2]).unwrap())
        .unwrap()
        .to_vec()
        .unwrap();
    let want0 = (1.0 - want_rm[0]) / (want_rv[0] + 1e-5f64).sqrt();
    assert!((y[0] - want0).abs() < 1e-9);
    assert!(tape.take_updates(store.id()).is_empty(), "eval mode must not queue updates");
}

#[test]
fn thesis_trunk_shapes_and_decoder_layers() {
    let be = Cpu::<f32>::default();
    let mut store = ParamStore::new(be);
    let c1 = Conv2d::new(&mut store, "c1", 1, 16, (4, 4), Conv2dOptions::same(), true, Init::HeNormal, 1).unwrap();
    let c2 = Conv2d::new(&mut store, "c2", 16, 32, (3, 3), Conv2dOptions::same(), true, Init::HeNormal, 1).unwrap();
    let up = ConvTranspose2d::new(
        &mut store,
        "up",
        32,
        8,
        (4, 4),
        ConvTranspose2dOptions {
            stride: 2,
            padding: 1,
            output_padding: 0,
        },
        true,
        Init::HeNormal,
        1,
    )
    .unwrap();
    let tape = Tape::new(be).training(true);
    let x = tape.input(Tensor::full(&be, &[2, 1, 16, 12], 0.5).unwrap());
    let h = MaxPool2d::new(2).forward(c1.forward(&store, x).unwrap()).unwrap();
    assert_eq!(h.shape(), vec![2, 16, 8, 6]);
    let h = c2.forward(&store, h).unwrap();
    assert_eq!(h.shape(), vec![2, 32, 8, 6]);
    assert_eq!(up.forward(&store, h).unwrap().shape(), vec![2, 8, 16, 12]);
    assert_eq!(Upsample::new(2).forward(h).unwrap().shape(), vec![2, 32, 16, 12]);
}

/// A layer run twice on one training tape compounds its running statistics, as PyTorch does:
/// r ← (1 − m)((1 − m) r + m s₁) + m s₂.
#[test]
fn batchnorm_run_twice_on_one_tape_compounds_its_running_statistics() {
    let be = Cpu::<f64>::default();
    let mut store = ParamStore::new(be);
    let bn = BatchNorm2d::new(&mut store, "bn", 1).unwrap().with_momentum(0.5);
    let tape = Tape::new(be).training(true);
    // Batch means 2 and 6.
    bn.forward(&store, tape.input_f64(&[1.0, 3.0], &[2, 1, 1, 1]).unwrap()).unwrap();
    bn.forward(&store, tape.input_f64(&[5.0, 7.0], &[2, 1, 1, 1]).unwrap()).unwrap();
    // A second store with a layer of the same name keeps its own statistics.
    let mut other = ParamStore::new(be);
    let bn_other = BatchNorm2d::new(&mut other, "bn", 1).unwrap().with_momentum(0.5);
    bn_other
        .forward(&other, tape.input_f64(&[100.0, 100.0], &[2, 1, 1, 1]).unwrap())
        .unwrap();
    store.apply_updates(&tape).unwrap();
    other.apply_updates(&tape).unwrap();
    let rm = store.get("bn.running_mean").unwrap().to_vec_f64(&be).unwrap()[0];
    assert!((rm - (0.5 * (0.5 * 0.0 + 0.5 * 2.0) + 0.5 * 6.0)).abs() < 1e-12, "{rm}");
    assert_eq!(other.get("bn.running_mean").unwrap().to_vec_f64(&be).unwrap(), vec![50.0]);
}
