//! An MLP fitted with Adam to a small synthetic regression,
//!   y = sin(1.5 x₁) cos(x₂) + 0.1 x₁ x₂ + noise,  x ~ U(−2, 2)²,
//! with a warm-up + cosine learning-rate schedule. Prints the training and validation loss,
//! writes the loss curve and predicted-vs-true plots, saves a checkpoint and reloads it.
//!
//!   cargo run --release --example mlp_regression

mod common;

use common::{batches, gather, out_dir, progress, Act, Mlp};
use cosmograd::eval::plot::Plot;
use cosmograd::nn::checkpoint;
use cosmograd::nn::optim::WarmupCosine;
use cosmograd::nn::{Adam, Optimizer, ParamStore};
use cosmograd::ops::loss::mse;
use cosmograd::prelude::*;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use std::collections::BTreeMap;

type Be = Cpu<f32>;

fn make_data(n: usize, rng: &mut StdRng) -> (Vec<f64>, Vec<f64>) {
    let mut x = Vec::with_capacity(2 * n);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let (a, b): (f64, f64) = (rng.random_range(-2.0..2.0), rng.random_range(-2.0..2.0));
        x.extend([a, b]);
        y.push((1.5 * a).sin() * b.cos() + 0.1 * a * b + 0.05 * (rng.random::<f64>() - 0.5));
    }
    (x, y)
}

/// Mean squared error of the model on (x, y), without gradients.
fn evaluate(mlp: &Mlp, store: &ParamStore<Be>, x: &[f64], y: &[f64]) -> Result<(f64, Vec<f64>)> {
    let tape = Tape::new(*store.backend()).no_grad();
    let n = y.len();
    let pred = mlp.forward(store, tape.input_f64(x, &[n, 2])?)?;
    let loss = mse(pred, tape.input_f64(y, &[n, 1])?)?;
    Ok((loss.item()?, pred.to_vec()?))
}

fn main() -> Result<()> {
    let be = Be::default();
    let mut rng = StdRng::seed_from_u64(0);
    let (xt, yt) = make_data(2048, &mut rng);
    let (xv, yv) = make_data(512, &mut rng);

    let mut store = ParamStore::new(be);
    let mlp = Mlp::new(&mut store, "mlp", &[2, 64, 64, 1], Act::Tanh, 1)?;
    let (epochs, batch) = (40, 64);
    let total = (epochs * xt.len().div_ceil(2 * batch)) as u64;
    let mut opt = Adam::new(3e-3).with_schedule(WarmupCosine {
        lr: 3e-3,
        min_lr: 1e-4,
        warmup: 50,
        total,
    });
    println!("{} parameters, {} training steps on {}", store.num_params(), total, be.name());

    let (mut train_curve, mut val_curve) = (vec![], vec![]);
    let pb = progress(epochs as u64, "mlp");
    for epoch in 1..=epochs {
        let mut sum = 0.0;
        let bs = batches(yt.len(), batch, &mut rng);
        for idx in &bs {
            let tape = Tape::new(be).training(true);
            let x = tape.input_f64(&gather(&xt, 2, idx), &[idx.len(), 2])?;
            let y = tape.input_f64(&gather(&yt, 1, idx), &[idx.len(), 1])?;
            let loss = mse(mlp.forward(&store, x)?, y)?;
            sum += loss.item()?;
            let grads = tape.backward(loss)?;
            // The tape holds the parameters; dropping it first lets the step update in place
            // (the aliasing rule of `Backend::adam_update`).
            drop(tape);
            opt.step(&mut store, &grads)?;
        }
        let train = sum / bs.len() as f64;
        let (val, _) = evaluate(&mlp, &store, &xv, &yv)?;
        train_curve.push((epoch as f64, train));
        val_curve.push((epoch as f64, val));
        pb.set_message(format!("train {train:.5} val {val:.5}"));
        if epoch == 1 || epoch % 5 == 0 {
            // suspend, not pb.println: the lines must show when stderr is not a terminal too.
            pb.suspend(|| {
                println!(
                    "epoch {epoch:3}  train mse {train:.5}  val mse {val:.5}  lr {:.2e}",
                    opt.current_lr()
                )
            });
        }
        pb.inc(1);
    }
    pb.finish();

    let out = out_dir();
    Plot::new("MLP regression: mean squared error")
        .labels("epoch", "MSE")
        .log_y()
        .line("train", &train_curve)
        .line("validation", &val_curve)
        .save(out.join("mlp_regression_loss.png"))?;
    let (val, pred) = evaluate(&mlp, &store, &xv, &yv)?;
    let pairs: Vec<(f64, f64)> = yv.iter().copied().zip(pred).collect();
    Plot::new("MLP regression: validation set")
        .labels("true y", "predicted y")
        .line("y = x", &[(-1.5, -1.5), (1.5, 1.5)])
        .points("validation", &pairs, 2)
        .save(out.join("mlp_regression_pred.png"))?;

    // A checkpoint round trip: the reloaded model scores the same.
    let ckpt = out.join("mlp_regression.safetensors");
    let mut meta = BTreeMap::new();
    meta.insert("example".to_string(), "mlp_regression".to_string());
    checkpoint::save(&ckpt, &store, Some(&opt), &meta)?;
    let mut fresh = ParamStore::new(be);
    let mlp2 = Mlp::new(&mut fresh, "mlp", &[2, 64, 64, 1], Act::Tanh, 99)?;
    checkpoint::load(&ckpt, &mut fresh, None)?;
    let (val2, _) = evaluate(&mlp2, &fresh, &xv, &yv)?;
    assert_eq!(val, val2, "a reloaded checkpoint must give the same validation loss");
    println!(
        "final validation mse {val:.5} (variance of y: {:.4}); wrote {} (reloaded: same loss)",
        variance(&yv),
        out.display()
    );
    Ok(())
}

fn variance(y: &[f64]) -> f64 {
    let m = y.iter().sum::<f64>() / y.len() as f64;
    y.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / y.len() as f64
}
