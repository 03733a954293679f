//! The gradient checker itself: a NaN is the worst error and is shown as one, and options
//! that cannot give a verdict are refused.

use cosmograd::autodiff::gradcheck::{gradcheck, CheckInput, GradcheckOptions};
use cosmograd::autodiff::{BackwardCtx, BackwardRule};
use cosmograd::prelude::*;
use ndarray::{ArrayD, IxDyn};

fn x(v: &[f64]) -> Vec<CheckInput> {
    vec![CheckInput::wrt("x", ArrayD::from_shape_vec(IxDyn(&[v.len()]), v.to_vec()).unwrap())]
}

#[test]
fn a_nan_function_is_reported_with_nan_errors_not_zero() {
    // ln x at x < 0 is NaN: the numeric derivative is NaN, the analytic one (1/x) finite.
    let report = gradcheck(|_t, v| v[0].log(), &x(&[-1.0, -2.0]), GradcheckOptions::default()).unwrap();
    let inp = &report.inputs[0];
    assert!(!report.passed());
    assert!(
        inp.max_abs_err.is_nan(),
        "max abs err {} (a NaN must not read as 0)",
        inp.max_abs_err
    );
    assert!(inp.max_rel_err.is_nan(), "max rel err {}", inp.max_rel_err);
    assert!(inp.worst.iter().all(|e| e.ratio.is_nan()));
    assert!(report.table().contains("NaN"), "{}", report.table());
}

/// y = x whose backward rule is broken at element 1 (it sends NaN there), as a buggy op would.
struct NanAtOne;
impl<B: Backend> BackwardRule<B> for NanAtOne {
    fn name(&self) -> &str {
        "nan_at_one"
    }
    fn backward(&self, c: &BackwardCtx<'_, B>) -> Result<Vec<Option<Tensor<B>>>> {
        let mut g = c.grad.to_vec_f64(c.backend).unwrap();
        g[1] = f64::NAN;
        Ok(vec![Some(Tensor::from_f64(c.backend, &g, c.grad.shape())?)])
    }
}

#[test]
fn one_nan_element_is_the_worst_and_sets_the_maximum() {
    let opts = GradcheckOptions {
        top: 3,
        ..Default::default()
    };
    let report = gradcheck(|t, v| t.record(NanAtOne, &[v[0]], v[0].value()), &x(&[4.0, -1.0, 9.0]), opts).unwrap();
    let inp = &report.inputs[0];
    assert!(!inp.passed, "{}", report.table());
    assert!(inp.max_abs_err.is_nan(), "{}", report.table());
    assert_eq!(inp.worst[0].index, vec![1], "the NaN element comes first");
    assert!(inp.worst[1].ratio <= 1.0 && inp.worst[2].ratio <= 1.0);
}

#[test]
fn nan_errors_are_written_as_strings_in_json() {
    let report = gradcheck(|_t, v| v[0].log(), &x(&[-1.0]), GradcheckOptions::default()).unwrap();
    let json = serde_json::to_value(&report).unwrap();
    let inp = &json["inputs"][0];
    assert_eq!(inp["max_abs_err"], "NaN", "{json}");
    assert_eq!(inp["worst"][0]["ratio"], "NaN", "{json}");
    // Finite numbers stay numbers.
    assert!(inp["worst"][0]["analytic"].is_number(), "{json}");
}

#[test]
fn an_exact_match_passes_with_atol_zero() {
    // x·2 has the exact derivative 2 wherever the finite difference is exact; with atol = 0
    // an error of 0 must be 0 (not 0/0 = NaN) at a zero derivative.
    let opts = GradcheckOptions {
        atol: 0.0,
        ..Default::default()
    };
    let report = gradcheck(|_t, v| v[0].mul_scalar(0.0), &x(&[1.0, 2.0]), opts).unwrap();
    assert!(report.passed(), "{}", report.table());
}

#[test]
fn options_that_cannot_give_a_verdict_are_errors() {
    let base = GradcheckOptions::default();
    for (opts, needle) in [
        (GradcheckOptions { eps: 0.0, ..base }, "eps"),
        (GradcheckOptions { eps: -1e-6, ..base }, "eps"),
        (GradcheckOptions { eps: f64::NAN, ..base }, "eps"),
        (
            GradcheckOptions {
                eps: f64::INFINITY,
                ..base
            },
            "eps",
        ),
        (GradcheckOptions { atol: -1.0, ..base }, "atol"),
        (GradcheckOptions { atol: f64::NAN, ..base }, "atol"),
        (
            GradcheckOptions {
                rtol: f64::INFINITY,
                ..base
            },
            "rtol",
        ),
        (
            GradcheckOptions {
                atol: 0.0,
                rtol: 0.0,
                ..base
            },
            "atol + rtol",
        ),
    ] {
        match gradcheck(|_t, v| v[0].exp(), &x(&[1.0]), opts) {
            Err(Error::Invalid { op: "gradcheck", msg }) => assert!(msg.contains(needle), "{msg}"),
            other => panic!("{opts:?}: expected an error about {needle}, got {other:?}"),
        }
    }
}
