//! Forward values and gradients against PyTorch float64 (tests/golden/image_golden.py wrote
//! tests/golden/image_golden.json; each case stores its inputs, an upstream gradient `seed`,
//! the output and the gradient of Σ seed ⊙ output for every input).

use crate::golden_json::{assert_close, tensor};
use cosmograd::ops::batchnorm::{batchnorm_eval, batchnorm_train, running_update};
use cosmograd::ops::pool2d::{avgpool2d, maxpool2d};
use cosmograd::ops::{Conv2dOptions, ConvTranspose2dOptions, PadMode, Padding};
use cosmograd::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;

type B = Cpu<f64>;

/// (shape, data) of an encoded tensor.
type Arr = (Vec<usize>, Vec<f64>);

/// Compares with a golden tensor's data (shapes are checked where they are produced).
fn close(what: &str, got: &[f64], want: &Arr) {
    assert_close(what, got, &want.1);
}

fn usize_arg(c: &Value, k: &str) -> usize {
    c["args"][k].as_u64().unwrap() as usize
}

/// Runs one case: the op on leaves made from its inputs, then backward from its seed.
fn run(c: &Value) {
    let name = c["name"].as_str().unwrap();
    let op = c["op"].as_str().unwrap();
    let tape = Tape::new(B::default()).training(true);
    let be = *tape.backend();
    let mut vars = BTreeMap::new();
    for (k, v) in c["inputs"].as_object().unwrap() {
        let a = tensor(v);
        vars.insert(k.clone(), tape.leaf(Tensor::from_f64(&be, &a.1, &a.0).unwrap()));
    }
    let extra = |k: &str| tensor(&c["extra"][k]);
    let input = |a: Arr| tape.input(Tensor::from_f64(&be, &a.1, &a.0).unwrap());
    let y = match op {
        "conv2d" => {
            let p: Vec<usize> = c["args"]["pads"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().unwrap() as usize)
                .collect();
            let mode = if c["args"]["mode"] == "circular" {
                PadMode::Circular
            } else {
                PadMode::Zeros
            };
            let padding = Padding::Explicit {
                top: p[0],
                bottom: p[1],
                left: p[2],
                right: p[3],
            };
            let o = Conv2dOptions::new(usize_arg(c, "stride"), padding, mode);
            vars["x"].conv2d(vars["w"], vars.get("b").copied(), o).unwrap()
        }
        "conv_transpose2d" => {
            let o = ConvTranspose2dOptions {
                stride: usize_arg(c, "stride"),
                padding: usize_arg(c, "padding"),
                output_padding: usize_arg(c, "output_padding"),
            };
            vars["x"].conv_transpose2d(vars["w"], Some(vars["b"]), o).unwrap()
        }
        "maxpool2d" => maxpool2d(vars["x"], (usize_arg(c, "kernel"), usize_arg(c, "kernel")), usize_arg(c, "stride")).unwrap(),
        "avgpool2d" => avgpool2d(vars["x"], (usize_arg(c, "kernel"), usize_arg(c, "kernel")), usize_arg(c, "stride")).unwrap(),
        "upsample_nearest" => vars["x"].upsample_nearest(usize_arg(c, "factor")).unwrap(),
        "batchnorm_train" => {
            let eps = c["args"]["eps"].as_f64().unwrap();
            let (y, stats) = batchnorm_train(vars["x"], vars["gamma"], vars["beta"], eps).unwrap();
            let m = c["args"]["momentum"].as_f64().unwrap();
            for (stat, key) in [(&stats.mean, "running_mean"), (&stats.var, "running_var")] {
                let before = extra(&format!("{key}_before"));
                let before = Tensor::from_f64(&be, &before.1, &before.0).unwrap();
                let after = running_update(&be, &before, stat, m).unwrap();
                close(
                    &format!("{name}: {key} after one update"),
                    &after.to_vec_f64(&be).unwrap(),
                    &extra(&format!("{key}_after")),
                );
            }
            y
        }
        "batchnorm_eval" => {
            let eps = c["args"]["eps"].as_f64().unwrap();
            let (rm, rv) = (input(extra("running_mean")), input(extra("running_var")));
            batchnorm_eval(vars["x"], vars["gamma"], vars["beta"], rm, rv, eps).unwrap()
        }
        other => panic!("unknown golden op {other}"),
    };
    let want = tensor(&c["output"]);
    assert_eq!(y.shape(), want.0, "{name}: output shape");
    close(&format!("{name}: output"), &y.to_vec().unwrap(), &want);
    let seed = tensor(&c["seed"]);
    let grads = tape
        .backward_with(y, Tensor::from_f64(&be, &seed.1, &seed.0).unwrap(), None)
        .unwrap();
    for (k, g) in c["grads"].as_object().unwrap() {
        let got = grads.wrt(vars[k]).unwrap().to_vec_f64(&be).unwrap();
        close(&format!("{name}: ∂/∂{k}"), &got, &tensor(g));
    }
}

fn cases() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/image_golden.json");
    let text = std::fs::read_to_string(path).expect("golden data (run tests/golden/image_golden.py)");
    let v: Value = serde_json::from_str(&text).unwrap();
    v["cases"].as_array().unwrap().clone()
}

fn run_op(prefix: &str) {
    let all = cases();
    let chosen: Vec<_> = all.iter().filter(|c| c["op"].as_str().unwrap().starts_with(prefix)).collect();
    assert!(!chosen.is_empty(), "no golden case for {prefix}");
    for c in chosen {
        run(c);
    }
}

#[test]
fn conv2d_matches_pytorch_for_every_padding_mode() {
    let all = cases();
    let modes: Vec<_> = all
        .iter()
        .filter(|c| c["op"] == "conv2d")
        .map(|c| c["args"]["mode"].clone())
        .collect();
    assert!(modes.contains(&Value::from("zeros")) && modes.contains(&Value::from("circular")));
    run_op("conv2d");
}

#[test]
fn conv2d_same_padding_matches_pytorch_with_tensorflow_split() {
    // The 'same' cases are stored as explicit pads; check our Padding::Same resolves to them.
    let same: Vec<_> = cases()
        .into_iter()
        .filter(|c| c["name"].as_str().unwrap().contains("same"))
        .collect();
    // A renamed or regenerated golden file must not turn this loop into a test of nothing.
    assert!(
        same.len() >= 2,
        "expected the golden file's 'same' conv2d cases, found {}",
        same.len()
    );
    for c in &same {
        let x = tensor(&c["inputs"]["x"]).0;
        let w = tensor(&c["inputs"]["w"]).0;
        let s = usize_arg(c, "stride");
        let g = cosmograd::ops::conv2d::conv2d_geom("conv2d", &x, &w, Conv2dOptions::new(s, Padding::Same, PadMode::Zeros)).unwrap();
        let p: Vec<u64> = c["args"]["pads"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap()).collect();
        assert_eq!(
            [g.pad_top, g.pad_bottom, g.pad_left, g.pad_right].map(|v| v as u64).to_vec(),
            p,
            "{}",
            c["name"]
        );
    }
}

#[test]
fn conv_transpose2d_matches_pytorch() {
    run_op("conv_transpose2d");
}

#[test]
fn maxpool2d_matches_pytorch() {
    run_op("maxpool2d");
}

#[test]
fn avgpool2d_matches_pytorch() {
    run_op("avgpool2d");
}

#[test]
fn upsample_nearest_matches_pytorch() {
    run_op("upsample_nearest");
}

#[test]
fn batchnorm_train_and_running_statistics_match_pytorch() {
    run_op("batchnorm_train");
}

#[test]
fn batchnorm_eval_matches_pytorch() {
    run_op("batchnorm_eval");
}
