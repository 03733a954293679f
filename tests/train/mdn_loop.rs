//! The MDN training loop on toy maps: it learns, resumes bit for bit, stops on NaN naming the
//! op, refuses incompatible resumes, and its evaluation files hold what they promise.

use super::common::{temp_dir, tiny_arch, tiny_options, ToyMaps};
use cosmograd::models::{ArchKind, Mdn, MdnArchitecture};
use cosmograd::nn::{checkpoint, ParamStore};
use cosmograd::prelude::*;
use cosmograd::train::mdn::{train, EpochMetrics, TrainJob};
use cosmograd::train::mdn_eval::{evaluate, predict, write_outputs};
use cosmograd::train::run_dir::{files, RunDir};
use std::collections::BTreeMap;

type Be = Cpu<f32>;

fn job<'a>(arch: &'a MdnArchitecture, opts: &'a cosmograd::train::mdn::TrainOptions, run: &'a RunDir) -> TrainJob<'a> {
    TrainJob {
        arch,
        options: opts,
        run,
        resume: false,
        progress: false,
        metadata: BTreeMap::new(),
        interrupt_at_step: None,
    }
}

fn params_of(path: &std::path::Path, arch: &MdnArchitecture) -> Vec<(String, Vec<f32>)> {
    let be = Be::default();
    let mut store = ParamStore::new(be);
    Mdn::new(&mut store, arch).unwrap();
    checkpoint::load(path, &mut store, None).unwrap();
    store
        .params()
        .chain(store.buffers())
        .map(|(n, t)| (n.clone(), t.to_vec_f32(&be).unwrap()))
        .collect()
}

#[test]
fn training_learns_the_toy_parameters_and_eval_writes_its_files() {
    let dir = temp_dir("learn");
    let run = RunDir::create(&dir, false).unwrap();
    let (tr, va) = (ToyMaps::new(256, 8, 1), ToyMaps::new(48, 8, 2));
    let arch = tiny_arch(8);
    let opts = tiny_options(12);
    let out = train(Be::default(), &job(&arch, &opts, &run), &tr, &va).unwrap();
    let h = &out.history;
    assert_eq!(h.len(), 12);
    assert!(h.last().unwrap().val_nll < h[0].val_nll - 0.5, "{h:?}");
    for f in [files::BEST, files::LAST, files::METRICS, files::LOSS_PNG] {
        assert!(run.file(f).is_file(), "{f}");
    }
    let lines = run.read_text(files::METRICS).unwrap();
    assert_eq!(lines.lines().count(), 12);

    // Evaluate the best checkpoint on the validation maps.
    let be = Be::default();
    let mut store = ParamStore::new(be);
    let model = Mdn::new(&mut store, &arch).unwrap();
    let info = checkpoint::load(run.file(files::BEST), &mut store, None).unwrap();
    assert_eq!(MdnArchitecture::from_json(&info.metadata["mdn.architecture"]).unwrap(), arch);
    let preds = predict(&be, &model, &store, &arch, &va, 16).unwrap();
    let report = evaluate(&preds, &arch, "validation", Some(&|p: &[f64]| Ok(vec![0.1 * p[0], 0.05])), 1).unwrap();
    for m in &report.params {
        assert!(
            m.rmse < 0.6 * m.prior_rmse,
            "{}: RMSE {} against the prior's {}",
            m.name,
            m.rmse,
            m.prior_rmse
        );
        assert!(m.crb.is_some());
    }
    let written = write_outputs(&run, &report, &preds, &arch).unwrap();
    assert!(written.len() == 5, "{written:?}");
    let csv = run.read_text(files::PREDICTIONS).unwrap();
    let mut rows = csv.lines();
    let header: Vec<&str> = rows.next().unwrap().split(',').collect();
    assert_eq!(&header[..4], &["sim", "map", "amp_true", "amp_mean"]);
    assert_eq!(header.len(), 2 + 2 * 8);
    let rows: Vec<Vec<f64>> = rows.map(|r| r.split(',').map(|v| v.parse().unwrap()).collect()).collect();
    assert_eq!(rows.len(), 48);
    for r in &rows {
        for t in 0..2 {
            let c = &r[2 + 8 * t..2 + 8 * (t + 1)];
            // true, mean, std, q023 < q159 < q841 < q977, pit ∈ [0, 1]
            assert!(c[2] > 0.0 && c[3] < c[4] && c[4] < c[5] && c[5] < c[6], "{c:?}");
            assert!((0.0..=1.0).contains(&c[7]));
        }
    }
    let json: serde_json::Value = serde_json::from_str(&run.read_text(files::EVAL_JSON).unwrap()).unwrap();
    assert_eq!(json["n_maps"], 48);
    assert_eq!(json["params"][1]["name"], "mean");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_interrupted_run_resumed_gives_the_same_losses_bit_for_bit() {
    let (tr, va) = (ToyMaps::new(64, 8, 3), ToyMaps::new(16, 8, 4));
    let arch = tiny_arch(8);
    let opts = tiny_options(4); // 4 steps per epoch, 16 in all
    let whole_dir = temp_dir("whole");
    let whole = RunDir::create(&whole_dir, false).unwrap();
    let a = train(Be::default(), &job(&arch, &opts, &whole), &tr, &va).unwrap();

    let cut_dir = temp_dir("cut");
    let cut = RunDir::create(&cut_dir, false).unwrap();
    let mut j = job(&arch, &opts, &cut);
    j.interrupt_at_step = Some(10); // in the middle of epoch 3
    let part = train(Be::default(), &j, &tr, &va).unwrap();
    assert_eq!(part.state.step, 10);
    let mut j = job(&arch, &opts, &cut);
    j.resume = true;
    let b = train(Be::default(), &j, &tr, &va).unwrap();

    let strip = |h: &[EpochMetrics]| {
        h.iter()
            .map(|m| (m.epoch, m.step, m.train_nll.to_bits(), m.val_nll.to_bits(), m.lr.to_bits()))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&a.history), strip(&b.history));
    assert_eq!(a.state.best_val_nll.to_bits(), b.state.best_val_nll.to_bits());
    assert_eq!(params_of(&whole.file(files::LAST), &arch), params_of(&cut.file(files::LAST), &arch));
    // The metrics file holds each epoch once.
    assert_eq!(cut.read_text(files::METRICS).unwrap().lines().count(), 4);
    std::fs::remove_dir_all(&whole_dir).unwrap();
    std::fs::remove_dir_all(&cut_dir).unwrap();
}

#[test]
fn resuming_with_another_model_is_refused() {
    let (tr, va) = (ToyMaps::new(32, 8, 5), ToyMaps::new(16, 8, 6));
    let arch = tiny_arch(8);
    let opts = tiny_options(1);
    let dir = temp_dir("incompatible");
    let run = RunDir::create(&dir, false).unwrap();
    train(Be::default(), &job(&arch, &opts, &run), &tr, &va).unwrap();
    let mut other = tiny_arch(8);
    other.components = 3;
    let mut j = job(&other, &opts, &run);
    j.resume = true;
    let err = train(Be::default(), &j, &tr, &va).err().unwrap().to_string();
    assert!(err.contains("cannot resume") && err.contains("\"components\":3"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_nan_stops_training_naming_the_step_and_the_input_and_keeps_the_best_checkpoint() {
    let mut tr = ToyMaps::new(64, 8, 7);
    let va = ToyMaps::new(16, 8, 8);
    // One epoch reads 64 training maps; validation reads from its own set. The 65th read, the
    // first map of epoch 2 (step 5), is poisoned.
    tr.nan_after_reads = Some(64);
    let arch = tiny_arch(8);
    let opts = tiny_options(3);
    let dir = temp_dir("nan");
    let run = RunDir::create(&dir, false).unwrap();
    let err = train(Be::default(), &job(&arch, &opts, &run), &tr, &va).err().unwrap().to_string();
    // The guard checks values where they enter the tape, so it blames the poisoned map (the
    // input the loop names `maps`) and the op that read it, not an op downstream.
    assert!(err.contains("step 5 (epoch 2)") && err.contains("NaN"), "{err}");
    assert!(
        err.contains("input `maps`") && err.contains("op `conv2d`") && err.contains("no op produced it"),
        "{err}"
    );
    assert!(err.contains("best checkpoint (epoch 1"), "{err}");
    assert!(run.file(files::BEST).is_file());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_thesis_architecture_trains_on_small_maps() {
    let (tr, va) = (ToyMaps::new(32, 8, 9), ToyMaps::new(16, 8, 10));
    let arch = MdnArchitecture::new(ArchKind::Thesis, 8, 1, 2, super::common::targets(), 1);
    let dir = temp_dir("thesis");
    let run = RunDir::create(&dir, false).unwrap();
    let out = train(Be::default(), &job(&arch, &tiny_options(2), &run), &tr, &va).unwrap();
    assert!(out.history.iter().all(|m| m.val_nll.is_finite()));
    std::fs::remove_dir_all(&dir).unwrap();
}
