//! Bad input gets an error that names the op and the shapes, never a panic.

use cosmograd::ops::batchnorm::batchnorm_train;
use cosmograd::ops::{Conv2dOptions, ConvTranspose2dOptions, PadMode, Padding};
use cosmograd::prelude::*;

fn var<'t>(t: &'t Tape<Cpu<f64>>, shape: &[usize]) -> Var<'t, Cpu<f64>> {
    t.input(Tensor::zeros(t.backend(), shape).unwrap())
}

/// The error's message, which must name `op` and every shape in `shapes`.
fn expect_err(r: Result<Var<'_, Cpu<f64>>>, op: &str, shapes: &[&str]) {
    let msg = r.expect_err("bad input must be an error").to_string();
    assert!(msg.starts_with(op), "`{msg}` does not name {op}");
    for s in shapes {
        assert!(msg.contains(s), "`{msg}` does not show {s}");
    }
}

#[test]
fn conv2d_rejects_a_kernel_larger_than_the_padded_image() {
    let t = Tape::new(Cpu::<f64>::default());
    let o = Conv2dOptions::new(1, Padding::Symmetric(1), PadMode::Zeros);
    expect_err(
        var(&t, &[1, 1, 3, 3]).conv2d(var(&t, &[1, 1, 6, 2]), None, o),
        "conv2d",
        &["[1, 1, 3, 3]", "[1, 1, 6, 2]"],
    );
}

#[test]
fn conv2d_rejects_zero_stride() {
    let t = Tape::new(Cpu::<f64>::default());
    let o = Conv2dOptions::new(0, Padding::Valid, PadMode::Zeros);
    expect_err(
        var(&t, &[1, 2, 5, 5]).conv2d(var(&t, &[1, 2, 3, 3]), None, o),
        "conv2d",
        &["[1, 2, 5, 5]", "[1, 2, 3, 3]"],
    );
}

#[test]
fn conv2d_rejects_a_channel_mismatch() {
    let t = Tape::new(Cpu::<f64>::default());
    expect_err(
        var(&t, &[2, 3, 5, 5]).conv2d(var(&t, &[4, 2, 3, 3]), None, Conv2dOptions::same()),
        "conv2d",
        &["[2, 3, 5, 5]", "[4, 2, 3, 3]"],
    );
}

#[test]
fn conv2d_rejects_a_bias_of_the_wrong_length_and_circular_padding_wider_than_the_image() {
    let t = Tape::new(Cpu::<f64>::default());
    let (x, w) = (var(&t, &[1, 2, 4, 4]), var(&t, &[3, 2, 3, 3]));
    expect_err(
        x.conv2d(w, Some(var(&t, &[2])), Conv2dOptions::same()),
        "conv2d",
        &["[3, 2, 3, 3]", "[2]"],
    );
    let o = Conv2dOptions::new(1, Padding::Symmetric(5), PadMode::Circular);
    expect_err(x.conv2d(w, None, o), "conv2d", &["[1, 2, 4, 4]", "[3, 2, 3, 3]"]);
}

#[test]
fn conv_transpose2d_rejects_a_channel_mismatch_and_zero_stride() {
    let t = Tape::new(Cpu::<f64>::default());
    let (x, w) = (var(&t, &[1, 3, 4, 4]), var(&t, &[2, 5, 3, 3]));
    expect_err(
        x.conv_transpose2d(w, None, ConvTranspose2dOptions::default()),
        "conv_transpose2d",
        &["[1, 3, 4, 4]", "[2, 5, 3, 3]"],
    );
    let o = ConvTranspose2dOptions {
        stride: 0,
        ..Default::default()
    };
    expect_err(
        var(&t, &[1, 2, 4, 4]).conv_transpose2d(w, None, o),
        "conv_transpose2d",
        &["[1, 2, 4, 4]", "[2, 5, 3, 3]"],
    );
}

#[test]
fn pooling_rejects_a_window_larger_than_the_image_and_zero_stride() {
    let t = Tape::new(Cpu::<f64>::default());
    let x = var(&t, &[1, 2, 3, 5]);
    expect_err(x.maxpool2d(4, 1), "maxpool2d", &["[1, 2, 3, 5]", "[4, 4]"]);
    expect_err(x.avgpool2d(2, 0), "avgpool2d", &["[1, 2, 3, 5]"]);
    expect_err(var(&t, &[2, 5]).maxpool2d(2, 2), "maxpool2d", &["[2, 5]"]);
}

#[test]
fn upsample_and_batchnorm_reject_bad_shapes() {
    let t = Tape::new(Cpu::<f64>::default()).training(true);
    expect_err(var(&t, &[1, 2, 3]).upsample_nearest(2), "upsample_nearest", &["[1, 2, 3]"]);
    expect_err(var(&t, &[1, 2, 3, 3]).upsample_nearest(0), "upsample_nearest", &["[1, 2, 3, 3]"]);
    let x = var(&t, &[2, 3, 4, 4]);
    let r = batchnorm_train(x, var(&t, &[2]), var(&t, &[2]), 1e-5).map(|r| r.0);
    expect_err(r, "batchnorm", &["[2, 3, 4, 4]", "[2]"]);
    let r = batchnorm_train(var(&t, &[1, 3]), var(&t, &[3]), var(&t, &[3]), 1e-5).map(|r| r.0);
    expect_err(r, "batchnorm", &["[1, 3]", "[3]"]);
}
