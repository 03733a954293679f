//! The DDPM training loop on a tiny model: the loss falls, an interrupted run resumed from its
//! last checkpoint ends bit for bit where an uninterrupted one does, a resume with other
//! options is refused, and a run's checkpoint loads back for sampling (EMA or raw weights).

use cosmograd::models::{DdpmConfig, UNetConfig};
use cosmograd::nn::checkpoint;
use cosmograd::prelude::*;
use cosmograd::train::ddpm::{load_model, train, DdpmJob, DdpmMetrics, DdpmOptions};
use cosmograd::train::run_dir::{files, RunDir};
use ndarray::Array3;
use std::collections::BTreeMap;

fn temp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("cosmograd-ddpm-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn tiny() -> DdpmConfig {
    DdpmConfig {
        unet: UNetConfig {
            size: 8,
            base_channels: 4,
            depth: 2,
            time_dim: 8,
            max_groups: 2,
            ..Default::default()
        },
        steps: 100,
        ..Default::default()
    }
}

/// Smooth periodic fields in [−0.8, 0.8]: a random phase and direction each.
fn fields(n: usize, seed: u64) -> Array3<f32> {
    Array3::from_shape_fn((n, 8, 8), |(i, y, x)| {
        let r = cosmograd::backend::random::uniform(seed, i as u32) as f64;
        let k = if i % 2 == 0 { (1.0, 0.0) } else { (0.0, 1.0) };
        let phase = 2.0 * std::f64::consts::PI * (k.0 * x as f64 + k.1 * y as f64) / 8.0 + std::f64::consts::TAU * r;
        (0.8 * phase.sin()) as f32
    })
}

fn options(epochs: usize) -> DdpmOptions {
    DdpmOptions {
        epochs,
        batch: 4,
        lr: 3e-3,
        min_lr: 3e-4,
        warmup_steps: 5,
        sample_every: 0,
        ..Default::default()
    }
}

fn job<'a>(model: &'a DdpmConfig, opts: &'a DdpmOptions, run: &'a RunDir) -> DdpmJob<'a> {
    DdpmJob {
        model,
        options: opts,
        run,
        resume: false,
        progress: false,
        metadata: BTreeMap::new(),
        grid: None,
        interrupt_at_step: None,
    }
}

/// The metrics without the wall-clock fields.
fn losses(h: &[DdpmMetrics]) -> Vec<(usize, u64, f64, f64, f64, f64)> {
    h.iter()
        .map(|m| (m.epoch, m.step, m.train_loss, m.val_loss, m.lr, m.max_grad_norm))
        .collect()
}

#[test]
fn an_interrupted_run_resumes_bit_for_bit_and_the_loss_falls() {
    let be = Cpu::<f32>::default();
    let (model, opts) = (tiny(), options(4));
    let (train_set, val_set) = (fields(24, 1), fields(8, 2));
    // Uninterrupted: 4 epochs of 6 steps.
    let a = RunDir::create(temp("whole"), false).unwrap();
    let whole = train(be, &job(&model, &opts, &a), train_set.view(), val_set.view()).unwrap();
    assert_eq!(whole.state.step, 24);
    let h = &whole.history;
    assert!(h[3].train_loss < h[0].train_loss, "the loss falls: {:?}", losses(h));
    assert!(h[3].val_loss < h[0].val_loss, "the EMA's validation loss falls: {:?}", losses(h));
    // Interrupted in the middle of epoch 3 (step 15), then resumed from the end of epoch 2.
    let b = RunDir::create(temp("resumed"), false).unwrap();
    let mut j = job(&model, &opts, &b);
    j.interrupt_at_step = Some(15);
    let cut = train(be, &j, train_set.view(), val_set.view()).unwrap();
    assert_eq!((cut.state.epoch, cut.state.step), (2, 15));
    let saved = checkpoint::inspect(b.file(files::LAST)).unwrap();
    assert!(saved.metadata["train.state"].contains("\"epoch\":2"), "{:?}", saved.metadata);
    let mut j = job(&model, &opts, &b);
    j.resume = true;
    let resumed = train(be, &j, train_set.view(), val_set.view()).unwrap();
    assert_eq!(losses(&resumed.history), losses(&whole.history));
    // Every tensor of the final checkpoint (weights, EMA, Adam's moments) is the same, bit
    // for bit.
    let read = |r: &RunDir| std::fs::read(r.file(files::LAST)).unwrap();
    let (ta, tb) = (read(&a), read(&b));
    let (sa, sb) = (
        safetensors::SafeTensors::deserialize(&ta).unwrap(),
        safetensors::SafeTensors::deserialize(&tb).unwrap(),
    );
    let mut names = sa.names();
    names.sort();
    assert!(names.iter().any(|n| n.starts_with("buffer/ema.")) && names.iter().any(|n| n.starts_with("optim/")));
    for name in names {
        assert_eq!(sa.tensor(name).unwrap().data(), sb.tensor(name).unwrap().data(), "{name}");
    }
    // Resuming a finished run does nothing more; resuming with other options is refused.
    let done = train(be, &j, train_set.view(), val_set.view()).unwrap();
    assert_eq!(done.state.step, 24);
    let other = options(5);
    let mut j = job(&model, &other, &b);
    j.resume = true;
    let err = train(be, &j, train_set.view(), val_set.view()).err().unwrap().to_string();
    assert!(err.contains("cannot resume") && err.contains("training options"), "{err}");

    // The checkpoint loads back for sampling: EMA weights differ from the raw ones.
    let (m, ema, state) = load_model(be, &a, true).unwrap();
    let (_, raw, _) = load_model(be, &a, false).unwrap();
    assert_eq!((state.epoch, m.config.clone()), (4, model.clone()));
    let w = |s: &cosmograd::nn::ParamStore<Cpu<f32>>| s.get("conv_out.weight").unwrap().to_vec_f64(&be).unwrap();
    assert_ne!(w(&ema), w(&raw));
    for d in [a, b] {
        std::fs::remove_dir_all(&d.path).unwrap();
    }
}

#[test]
fn bad_training_data_and_options_are_clear_errors() {
    let be = Cpu::<f32>::default();
    let model = tiny();
    let run = RunDir::create(temp("bad"), false).unwrap();
    let opts = options(1);
    let good = fields(8, 3);
    let mut nan = good.clone();
    nan[[2, 3, 4]] = f32::NAN;
    let wrong = Array3::<f32>::zeros((4, 16, 16));
    let empty = Array3::<f32>::zeros((0, 8, 8));
    for (set, want) in [
        (&nan, "non-finite"),
        (&wrong, "16×16, but the model takes 1×8×8"),
        (&empty, "holds no fields"),
    ] {
        let err = train(be, &job(&model, &opts, &run), set.view(), good.view())
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains(want), "{err}");
    }
    for (o, want) in [
        (DdpmOptions { batch: 0, ..opts.clone() }, "--batch"),
        (DdpmOptions { lr: -1.0, ..opts.clone() }, "learning rates"),
        (
            DdpmOptions {
                ema_decay: 1.0,
                ..opts.clone()
            },
            "--ema",
        ),
        (
            DdpmOptions {
                clip: f64::NAN,
                ..opts.clone()
            },
            "--clip",
        ),
    ] {
        let err = train(be, &job(&model, &o, &run), good.view(), good.view())
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains(want), "{err}");
    }
    // Nothing was written by the failed runs.
    assert!(!run.file(files::LAST).exists());
    // Loading a run without a checkpoint says so.
    let err = load_model(be, &run, true).err().unwrap().to_string();
    assert!(err.contains("last.safetensors") && err.contains("train first"), "{err}");
    std::fs::remove_dir_all(&run.path).unwrap();
}
