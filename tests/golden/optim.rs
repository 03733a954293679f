//! Several steps of each optimiser (with clipping, a step schedule, and a parameter that
//! joins late) against PyTorch's SGD, Adam, AdamW, clip_grad_norm_ and StepLR.

use super::{assert_close, floats, load, tensor};
use cosmograd::nn::optim::StepDecay;
use cosmograd::nn::{Adam, AdamConfig, Optimizer, ParamStore, Sgd, SgdConfig};
use cosmograd::prelude::*;
use serde_json::Value;

type Be = Cpu<f64>;

fn optimiser(c: &Value) -> Box<dyn Optimizer<Be>> {
    let f = |k: &str, default: f64| c[k].as_f64().unwrap_or(default);
    let lr = f("lr", f64::NAN);
    let kind = c["kind"].as_str().unwrap();
    let mut opt: Box<dyn Optimizer<Be>> = match kind {
        "sgd" => Box::new(Sgd::with_config(
            lr,
            SgdConfig {
                momentum: f("momentum", 0.0),
                weight_decay: f("weight_decay", 0.0),
                nesterov: c["nesterov"].as_bool().unwrap_or(false),
            },
        )),
        "adam" | "adamw" => Box::new(Adam::with_config(
            lr,
            AdamConfig {
                beta1: f("beta1", 0.9),
                beta2: f("beta2", 0.999),
                eps: f("eps", 1e-8),
                weight_decay: f("weight_decay", 0.0),
                decoupled: kind == "adamw",
            },
        )),
        k => panic!("unknown optimiser {k}"),
    };
    assert_eq!(opt.kind(), kind);
    if let Some(m) = c["max_norm"].as_f64() {
        opt.core_mut().max_grad_norm = Some(m);
    }
    if let Some(every) = c["step_every"].as_u64() {
        opt.core_mut().schedule = Box::new(StepDecay {
            lr,
            gamma: f("step_gamma", 1.0),
            every,
        });
    }
    opt
}

/// The gradients a step prescribes (E = Σ p ⊙ g gives exactly g), `null` meaning none.
fn grads(store: &ParamStore<Be>, given: &Value) -> Grads<Be> {
    let tape = Tape::new(*store.backend());
    let mut terms = vec![];
    for (name, g) in given.as_object().unwrap() {
        if g.is_null() {
            continue;
        }
        let p = store.var(&tape, name).unwrap();
        let c = tape.input_f64(&floats(g), &p.shape()).unwrap();
        terms.push(p.mul(c).unwrap().sum().unwrap());
    }
    let loss = terms.into_iter().reduce(|a, b| a.add(b).unwrap()).unwrap();
    tape.backward(loss).unwrap()
}

#[test]
fn optimiser_steps_match_pytorch_in_f64() {
    let cases = load("optim.json");
    assert!(cases.len() >= 10, "the golden file lost cases");
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let be = Be::default();
        let mut store = ParamStore::new(be);
        for (p, enc) in case["initial"].as_object().unwrap() {
            let (shape, data) = tensor(enc);
            store.add(p, Tensor::from_f64(&be, &data, &shape).unwrap()).unwrap();
        }
        let mut opt = optimiser(&case["config"]);
        for (s, step) in case["steps"].as_array().unwrap().iter().enumerate() {
            let g = grads(&store, &step["grads"]);
            opt.step(&mut store, &g).unwrap();
            for (p, want) in step["params"].as_object().unwrap() {
                let got = store.get(p).unwrap().to_vec_f64(&be).unwrap();
                assert_close(&format!("{name}, step {}, `{p}`", s + 1), &got, &floats(want));
            }
        }
    }
}
