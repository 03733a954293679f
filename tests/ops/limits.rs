//! Shapes whose element count cannot exist, and losses of empty batches: errors, not wrapped
//! counts or NaN.

use cosmograd::ops::conv2d::Padding;
use cosmograd::ops::{loss, Conv2dOptions, ConvTranspose2dOptions, PadMode};
use cosmograd::prelude::*;

const HUGE: usize = 1 << 63;

fn is_overflow<T: std::fmt::Debug>(r: Result<T>, op: &str) {
    match r {
        Err(Error::Invalid { op: o, msg }) => {
            assert_eq!(o, op, "{msg}");
            assert!(msg.contains("more elements") || msg.contains("larger than"), "{msg}");
        }
        other => panic!("{op}: expected an overflow error, got {other:?}"),
    }
}

#[test]
fn a_shape_whose_element_count_overflows_is_refused() {
    let be = Cpu::<f64>::default();
    // 2^63 · 2 wraps to 0 in release builds, which matched the empty data.
    is_overflow(Tensor::from_f64(&be, &[], &[HUGE, 2]), "tensor");
    is_overflow(Tensor::from_f32(&be, &[], &[2, HUGE, 2]), "tensor");
    // A zero dimension makes the count 0, whatever the others are.
    assert_eq!(Tensor::from_f64(&be, &[], &[0, HUGE, 4]).unwrap().numel(), 0);
    let empty = Tensor::from_f64(&be, &[], &[0]).unwrap();
    is_overflow(empty.reshape(&[HUGE, 2]), "reshape");
    let t = Tape::new(be);
    is_overflow(t.input(empty).reshape(&[HUGE, 4]), "reshape");
}

#[test]
fn ops_whose_output_count_overflows_are_refused() {
    let be = Cpu::<f64>::default();
    let t = Tape::new(be);
    // [2^33, 0] · [0, 2^33]: no input elements, 2^66 output elements.
    let a = t.input(Tensor::from_f64(&be, &[], &[1 << 33, 0]).unwrap());
    let b = t.input(Tensor::from_f64(&be, &[], &[0, 1 << 33]).unwrap());
    is_overflow(a.matmul(b), "matmul");
    let v = t.input(Tensor::from_f64(&be, &[], &[1 << 33, 0]).unwrap());
    is_overflow(a.linear(v, None), "linear");
    // 2^32 × 2^32 pixels.
    let img = t.input_f64(&[1.0], &[1, 1, 1, 1]).unwrap();
    is_overflow(img.upsample_nearest(1 << 32), "upsample_nearest");
    is_overflow(img.upsample_nearest(HUGE), "upsample_nearest");
    // A stride whose output size overflows.
    let x = t.input_f64(&[1.0; 9], &[1, 1, 3, 3]).unwrap();
    let w = t.input_f64(&[1.0], &[1, 1, 1, 1]).unwrap();
    let o = ConvTranspose2dOptions {
        stride: HUGE,
        ..Default::default()
    };
    is_overflow(x.conv_transpose2d(w, None, o), "conv_transpose2d");
    let huge_pad = Padding::Explicit {
        top: usize::MAX,
        bottom: 1,
        left: 0,
        right: 0,
    };
    is_overflow(x.conv2d(w, None, Conv2dOptions::new(1, huge_pad, PadMode::Zeros)), "conv2d");
}

#[test]
fn losses_of_an_empty_batch_are_errors() {
    let t = Tape::new(Cpu::<f64>::default());
    let e = t.input_f64(&[], &[0]).unwrap();
    let msg = |r: Result<Var<'_, Cpu<f64>>>| match r {
        Err(e) => e.to_string(),
        Ok(v) => panic!("expected an error, got the value {:?}", v.to_vec().unwrap()),
    };
    assert!(msg(loss::mse(e, e)).contains("empty"));
    assert!(msg(loss::bce(e, e, Reduction::Mean)).contains("empty"));
    assert!(msg(loss::bce_with_logits(e, e, Reduction::Mean)).contains("empty"));
    let rows = t.input_f64(&[], &[0, 3]).unwrap();
    assert!(msg(loss::cross_entropy(rows, &[])).contains("empty"));
    assert!(msg(loss::cross_entropy_soft(rows, rows)).contains("empty"));
    // A sum over no elements is 0, as in PyTorch.
    assert_eq!(loss::bce(e, e, Reduction::Sum).unwrap().item().unwrap(), 0.0);
}
