//! `cosmograd train mdn` and `eval mdn` on tiny sets in the real CMD layout: the whole pipeline
//! (simulate → train → eval → resume), and every kind of bad input of issue 8 refused with a
//! clear error before a run directory exists.

use super::common::temp_dir;
use std::path::Path;
use std::process::{Command, Output};

fn cosmograd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cosmograd")).args(args).output().unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = cosmograd(args);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{args:?}: {err}");
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// A tiny synthetic CMD set: `sims` simulations of 16×16 maps.
fn simulate(dir: &Path, sims: usize, size: usize) {
    let (d, n, s) = (dir.to_str().unwrap(), sims.to_string(), size.to_string());
    ok(&["simulate", "cmd", "--out", d, "--sims", &n, "--size", &s, "--seed", "3"]);
}

const MAPS: &str = "Maps_T_Synthetic_LH_z=0.00.npy";
const PARAMS: &str = "params_LH_Synthetic.txt";

#[test]
fn simulate_train_evaluate_and_resume_end_to_end() {
    let root = temp_dir("e2e");
    let (data, run) = (root.join("data"), root.join("run"));
    simulate(&data, 8, 16);
    let (d, r) = (data.to_str().unwrap(), run.to_str().unwrap());
    let table = ok(&[
        "train",
        "mdn",
        "--data",
        d,
        "--epochs",
        "2",
        "--batch",
        "8",
        "--out",
        r,
        "--targets",
        "Omega_m,sigma_8,A_AGN1",
    ]);
    assert!(table.contains("Omega_m") && table.contains("CRB²/MSE"), "{table}");
    for f in [
        "config.json",
        "split.json",
        "normalisation.json",
        "best.safetensors",
        "last.safetensors",
        "metrics.jsonl",
        "eval.json",
        "predictions.csv",
        "loss.png",
        "pred_vs_true.png",
        "pit.png",
        "coverage.png",
    ] {
        assert!(run.join(f).is_file(), "{f}");
    }
    // Evaluating again needs --force (nothing in a run directory is overwritten without it).
    let out = cosmograd(&["eval", "mdn", "--run", r]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    let json: serde_json::Value = serde_json::from_str(&ok(&["eval", "mdn", "--run", r, "--json", "--force"])).unwrap();
    assert_eq!(json["params"].as_array().unwrap().len(), 3);
    assert_eq!(json["n_maps"], 15, "one test simulation of 8");
    let csv = std::fs::read_to_string(run.join("predictions.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(
        header.starts_with("sim,map,Omega_m_true,Omega_m_mean,Omega_m_std,Omega_m_q023,Omega_m_q159,Omega_m_q841,Omega_m_q977"),
        "{header}"
    );
    assert_eq!(csv.lines().count(), 16);
    // A finished run resumed has nothing left to train; with more epochs it would continue.
    ok(&["train", "mdn", "--resume", r]);
    // The training run cannot be started again over itself.
    let out = cosmograd(&["train", "mdn", "--data", d, "--out", r]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    std::fs::remove_dir_all(&root).unwrap();
}

/// Runs `train mdn` on `data` and returns the error; no run directory may be created.
fn refused(data: &Path, extra: &[&str], root: &Path) -> String {
    let run = root.join("run-refused");
    let mut args = vec![
        "train",
        "mdn",
        "--data",
        data.to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
        "--epochs",
        "1",
    ];
    args.extend_from_slice(extra);
    let out = cosmograd(&args);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{extra:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!run.exists(), "{extra:?}: a run directory was created before the error: {err}");
    err
}

/// The byte offset of the first value of a `.npy` file (version 1 header).
fn data_offset(bytes: &[u8]) -> usize {
    10 + u16::from_le_bytes([bytes[8], bytes[9]]) as usize
}

#[test]
fn bad_data_is_refused_before_any_work() {
    let root = temp_dir("bad-data");
    let good = root.join("good");
    simulate(&good, 6, 16);
    let copy = |name: &str| {
        let d = root.join(name);
        std::fs::create_dir_all(&d).unwrap();
        for f in [MAPS, PARAMS] {
            std::fs::copy(good.join(f), d.join(f)).unwrap();
        }
        d
    };
    // No such directory; a directory without the maps file.
    assert!(refused(&root.join("nowhere"), &[], &root).contains("does not exist"));
    let empty = root.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    assert!(refused(&empty, &[], &root).contains("no Maps_T_<suite>_LH_z=0.00.npy file"));
    // A truncated file.
    let d = copy("truncated");
    let bytes = std::fs::read(d.join(MAPS)).unwrap();
    std::fs::write(d.join(MAPS), &bytes[..bytes.len() - 100]).unwrap();
    assert!(refused(&d, &[], &root).contains("truncated"));
    // Another dtype: the same maps as float64.
    let d = copy("dtype");
    let maps: ndarray::Array3<f32> = ndarray_npy::read_npy(good.join(MAPS)).unwrap();
    ndarray_npy::write_npy(d.join(MAPS), &maps.mapv(|v| v as f64)).unwrap();
    assert!(refused(&d, &[], &root).contains("expected little-endian float32"));
    // A size the model cannot take (it must divide the maps' 16).
    assert!(refused(&good, &["--size", "12"], &root).contains("--size 12"));
    // A parameter file whose rows are not maps/15.
    let d = copy("rows");
    let text = std::fs::read_to_string(d.join(PARAMS)).unwrap();
    std::fs::write(d.join(PARAMS), text.lines().take(5).collect::<Vec<_>>().join("\n")).unwrap();
    assert!(refused(&d, &[], &root).contains("6 rows are needed"));
    // Unknown field, unknown suite.
    assert!(refused(&good, &["--field", "Temp"], &root).contains("unknown field `Temp`"));
    assert!(refused(&good, &["--suite", "Illustris"], &root).contains("unknown suite `Illustris`"));
    // A non-finite pixel in the last map (a test or validation map, or a training one:
    // wherever it is, it is found before training).
    let d = copy("nan");
    let mut bytes = std::fs::read(d.join(MAPS)).unwrap();
    let at = bytes.len() - 4 * 7;
    bytes[at..at + 4].copy_from_slice(&f32::NAN.to_le_bytes());
    assert!(data_offset(&bytes) < at);
    std::fs::write(d.join(MAPS), &bytes).unwrap();
    let err = refused(&d, &[], &root);
    assert!(err.contains("map 89") && err.contains("is NaN"), "{err}");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn resuming_an_incompatible_run_is_refused() {
    let root = temp_dir("bad-resume");
    let (data, small, run) = (root.join("data"), root.join("small"), root.join("run"));
    simulate(&data, 6, 16);
    simulate(&small, 6, 8);
    let r = run.to_str().unwrap();
    ok(&[
        "train",
        "mdn",
        "--data",
        data.to_str().unwrap(),
        "--epochs",
        "1",
        "--batch",
        "8",
        "--out",
        r,
        "--no-eval",
    ]);
    // The same run on other data: maps too small for the model (larger ones would be
    // block-averaged to its size).
    let out = cosmograd(&["train", "mdn", "--resume", r, "--data", small.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("the model takes 1 channel(s) of 16×16"), "{err}");
    // A configuration that no longer matches its checkpoint.
    let cfg = run.join("config.json");
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("\"components\": 3", "\"components\": 4");
    std::fs::write(&cfg, text).unwrap();
    let out = cosmograd(&["train", "mdn", "--resume", r]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot resume"), "{err}");
    std::fs::remove_dir_all(&root).unwrap();
}
