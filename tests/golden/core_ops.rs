//! softmax, log_softmax, SiLU, logsumexp, pad, the mixture NLL and both BCEs: forward values and
//! gradients.

use super::{assert_close, assert_close_to, load, tensor};
use cosmograd::backend::SigmaParam;
use cosmograd::ops::gmm_nll::gmm_nll;
use cosmograd::ops::loss::{bce, bce_with_logits};
use cosmograd::ops::PadFill;
use cosmograd::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;

fn reduction(case: &Value) -> Reduction {
    match case["reduction"].as_str() {
        Some("none") => Reduction::None,
        Some("sum") => Reduction::Sum,
        Some("mean") => Reduction::Mean,
        other => panic!("unknown reduction {other:?}"),
    }
}

fn gmm_options(case: &Value) -> GmmOptions {
    let floor = case["floor"].as_f64().unwrap();
    GmmOptions {
        isotropic: case["isotropic"].as_bool().unwrap(),
        sigma: match case["sigma"].as_str().unwrap() {
            "softplus" => SigmaParam::Softplus { floor },
            "exp" => SigmaParam::Exp { floor },
            s => panic!("unknown sigma parametrisation {s}"),
        },
    }
}

fn pads(case: &Value) -> Vec<(usize, usize)> {
    let pair = |p: &Value| (p[0].as_u64().unwrap() as usize, p[1].as_u64().unwrap() as usize);
    case["pads"].as_array().unwrap().iter().map(pair).collect()
}

fn fill(case: &Value) -> PadFill {
    match case["fill"].as_str().unwrap() {
        "zeros" => PadFill::Zeros,
        "reflect" => PadFill::Reflect,
        "circular" => PadFill::Circular,
        f => panic!("unknown fill {f}"),
    }
}

/// Runs one case: the op's output, and the gradients of E = Σ w ⊙ output.
fn run(case: &Value) -> (Vec<f64>, BTreeMap<String, Vec<f64>>) {
    let tape = Tape::new(Cpu::<f64>::default());
    let be = tape.backend();
    let grads_of: Vec<&str> = case["grads"].as_object().unwrap().keys().map(|k| k.as_str()).collect();
    let mut vars = BTreeMap::new();
    for (name, enc) in case["inputs"].as_object().unwrap() {
        let (shape, data) = tensor(enc);
        let t = Tensor::from_f64(be, &data, &shape).unwrap();
        let v = if grads_of.contains(&name.as_str()) {
            tape.leaf(t)
        } else {
            tape.input(t)
        };
        vars.insert(name.as_str(), v);
    }
    let out = match case["op"].as_str().unwrap() {
        "softmax" => vars["x"].softmax(),
        "log_softmax" => vars["x"].log_softmax(),
        "silu" => vars["x"].silu(),
        "logsumexp" => vars["x"].logsumexp(case["axis"].as_u64().unwrap() as usize, case["keepdim"].as_bool().unwrap()),
        "pad" => vars["x"].pad(&pads(case), fill(case)),
        "gmm_nll" => gmm_nll(vars["logits"], vars["means"], vars["raw_sigma"], vars["target"], gmm_options(case)),
        "bce" => bce(vars["p"], vars["t"], reduction(case)),
        "bce_with_logits" => bce_with_logits(vars["x"], vars["t"], reduction(case)),
        op => panic!("no golden runner for op {op}"),
    }
    .unwrap();
    let (wshape, w) = tensor(&case["weight"]);
    let w = tape.input_f64(&w, &wshape).unwrap();
    let e = out.mul(w).unwrap().sum().unwrap();
    let grads = tape.backward(e).unwrap();
    let g = grads_of
        .iter()
        .map(|n| (n.to_string(), grads.wrt(vars[n]).unwrap().to_vec_f64(be).unwrap()))
        .collect();
    (out.to_vec().unwrap(), g)
}

#[test]
fn core_ops_match_pytorch_in_f64() {
    let cases = load("core_ops.json");
    assert!(cases.len() >= 16, "the golden file lost cases");
    check(&cases);
}

#[test]
fn logsumexp_and_pad_match_pytorch_in_f64() {
    let cases = load("logsumexp_pad.json");
    assert!(cases.len() >= 11, "the golden file lost cases");
    check(&cases);
}

fn check(cases: &[Value]) {
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let (out, grads) = run(case);
        assert_close(&format!("{name}: output"), &out, &tensor(&case["output"]).1);
        // A case may loosen the gradient tolerance, saying why in the generator script.
        let tol = 1e-10;
        for (input, want) in case["grads"].as_object().unwrap() {
            assert_close_to(&format!("{name}: ∂E/∂{input}"), &grads[input.as_str()], &tensor(want).1, tol);
        }
    }
}
