//! Every case of the gradient-check suite, grouped by op so a failure names the op.

use cosmograd::ops::cases::all_cases;

fn check_op(op: &str) {
    let cases: Vec<_> = all_cases().into_iter().filter(|c| c.op == op).collect();
    assert!(!cases.is_empty(), "no gradient-check case for {op}");
    for case in cases {
        let report = case.check().unwrap_or_else(|e| panic!("{op} ({}): {e}", case.variant));
        assert!(report.passed(), "{op} ({}) failed:\n{}", case.variant, report.table());
    }
}

macro_rules! gradcheck_tests {
    ($($name:ident),* $(,)?) => {
        $( #[test] fn $name() { check_op(stringify!($name)); } )*
        const TESTED: &[&str] = &[$(stringify!($name)),*];
    };
}

gradcheck_tests!(
    add,
    sub,
    mul,
    div,
    neg,
    add_scalar,
    mul_scalar,
    exp,
    log,
    sqrt,
    powf,
    square,
    abs,
    relu,
    leaky_relu,
    sigmoid,
    tanh,
    softplus,
    silu,
    matmul,
    linear,
    reshape,
    flatten,
    transpose,
    concat,
    narrow,
    sum,
    mean,
    softmax,
    log_softmax,
    logsumexp,
    mse,
    bce,
    bce_with_logits,
    cross_entropy,
    gmm_nll,
    dropout,
    // Image ops.
    conv2d,
    conv2d_same,
    conv2d_circular,
    conv_transpose2d,
    maxpool2d,
    avgpool2d,
    global_avg_pool2d,
    upsample_nearest,
    pad,
    batchnorm,
    groupnorm,
);

/// Every op in the suite has a test above (a new op cannot slip in unchecked).
#[test]
fn every_op_in_the_suite_is_tested_here() {
    for case in all_cases() {
        assert!(TESTED.contains(&case.op), "op {} has no test in tests/ops/gradcheck.rs", case.op);
    }
}

/// The checker itself must fail on a wrong gradient: a rule that returns twice the truth.
#[test]
fn gradcheck_catches_a_wrong_rule() {
    use cosmograd::autodiff::gradcheck::{gradcheck, CheckInput, GradcheckOptions};
    use cosmograd::autodiff::{BackwardCtx, BackwardRule};
    use cosmograd::backend::{Backend, UnaryOp};
    use cosmograd::tensor::Tensor;

    struct WrongSquare;
    impl<B: Backend> BackwardRule<B> for WrongSquare {
        fn name(&self) -> &str {
            "wrong_square"
        }
        fn backward(&self, c: &BackwardCtx<'_, B>) -> cosmograd::Result<Vec<Option<Tensor<B>>>> {
            // 4x instead of 2x.
            let g = c
                .backend
                .unary_backward(UnaryOp::Square, c.inputs[0].storage(), c.output.storage(), c.grad.storage())
                .unwrap();
            let g = c.backend.unary(UnaryOp::MulScalar(2.0), &g).unwrap();
            Ok(vec![Some(Tensor::from_storage(g, c.grad.shape().to_vec()))])
        }
    }
    let x = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[3]), vec![0.5, -1.0, 2.0]).unwrap();
    let report = gradcheck(
        |t, v| {
            let y = t.backend().unary(UnaryOp::Square, v[0].value().storage()).unwrap();
            t.record(WrongSquare, &[v[0]], Tensor::from_storage(y, vec![3]))
        },
        &[CheckInput::wrt("x", x)],
        GradcheckOptions::default(),
    )
    .unwrap();
    assert!(!report.passed());
    let worst = &report.inputs[0].worst[0];
    assert_eq!(worst.index, vec![2]);
    assert!((worst.analytic / worst.numeric - 2.0).abs() < 1e-6);
}
