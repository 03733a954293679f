//! `cosmograd train gan` and `cosmograd sample gan` as a user runs them: bad input is a clear
//! error (exit status 2, no panic) before any run directory exists; a tiny run trains, and its
//! samples come back in the units of the data.

use super::common::{lognormal_maps, temp_dir};
use cosmograd::data::slices::{write_slices, Units};
use ndarray::{Array2, Array3, ArrayD};
use ndarray_npy::{ReadNpyExt, WriteNpyExt};
use std::path::Path;
use std::process::{Command, Output};

fn cosmograd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cosmograd"))
        .args(args)
        .env("RAYON_NUM_THREADS", "2")
        .output()
        .unwrap()
}

fn fails(args: &[&str]) -> String {
    let out = cosmograd(args);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    err
}

fn succeeds(args: &[&str]) -> String {
    let out = cosmograd(args);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    String::from_utf8_lossy(&out.stdout).to_string() + &err
}

/// 40 tiny maps written as 1 + δ with their sidecar.
fn tiny_set(dir: &Path) -> String {
    let path = dir.join("slices.npy");
    write_slices(
        &path,
        lognormal_maps(40, 16, 2).view(),
        Units::Overdensity,
        1000.0,
        serde_json::Value::Null,
    )
    .unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn bad_input_is_refused_before_a_run_directory_exists() {
    let dir = temp_dir("cli-bad");
    std::fs::create_dir_all(&dir).unwrap();
    let data = tiny_set(&dir);
    let out = dir.join("run");
    let o = out.to_str().unwrap();
    let flat = dir.join("flat.npy");
    Array2::<f32>::zeros((16, 16))
        .write_npy(std::fs::File::create(&flat).unwrap())
        .unwrap();
    let empty = dir.join("empty.npy");
    std::fs::write(&empty, b"").unwrap();
    let missing = dir.join("missing.npy");
    // δ (negative values) without a sidecar, and a map with a NaN.
    let delta = dir.join("delta.npy");
    lognormal_maps(40, 16, 3).write_npy(std::fs::File::create(&delta).unwrap()).unwrap();
    let nan = dir.join("nan.npy");
    let mut bad = lognormal_maps(40, 16, 3);
    bad[[7, 3, 4]] = f32::NAN;
    bad.write_npy(std::fs::File::create(&nan).unwrap()).unwrap();
    // 17×17 maps of 1 + δ: the DCGAN cannot halve them.
    let odd = dir.join("odd.npy");
    Array3::from_shape_fn((40, 17, 17), |(i, y, x)| 1.0 + 0.1 * ((i + 3 * y + 7 * x) % 5) as f32)
        .write_npy(std::fs::File::create(&odd).unwrap())
        .unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--data", &data, "--size", "32"], "--size 32"),
        (vec!["--data", odd.to_str().unwrap(), "--overdensity"], "cannot be halved"),
        (vec!["--data", &data, "--batch", "64"], "fewer than one batch"),
        (vec!["--data", &data, "--label-smoothing", "0.7"], "--label-smoothing"),
        (
            vec!["--data", &data, "--arch", "report", "--width", "8"],
            "report's networks exactly",
        ),
        (vec!["--data", &data, "--lr-g", "0"], "learning rates must be positive"),
        (vec!["--data", &data, "--epochs", "0"], "--epochs must be at least 1"),
        (vec!["--data", &data, "--diagnostic-maps", "4"], "too few"),
        (vec!["--data", delta.to_str().unwrap(), "--overdensity"], "cannot be negative"),
        (vec!["--data", nan.to_str().unwrap()], "non-finite"),
        (vec!["--data", flat.to_str().unwrap()], "(N, H, W)"),
        (vec!["--data", empty.to_str().unwrap()], "empty file"),
        (vec!["--data", missing.to_str().unwrap()], "missing.npy"),
    ];
    for (args, want) in cases {
        let mut all = vec!["train", "gan", "--out", o];
        all.extend_from_slice(&args);
        let err = fails(&all);
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?} created the run directory");
    }
    let err = fails(&["train", "gan", "--arch", "vae"]);
    assert!(err.contains("report") && err.contains("dcgan"), "{err}");
    let d = dir.to_str().unwrap();
    for args in [
        vec!["train", "gan", "--resume", d],
        vec!["sample", "gan", "--run", d, "--out", "x.npy"],
    ] {
        let err = fails(&args);
        assert!(err.contains("is not a run directory"), "{args:?}: {err}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_tiny_run_trains_and_samples_in_the_units_of_its_data() {
    let dir = temp_dir("cli-run");
    std::fs::create_dir_all(&dir).unwrap();
    let data = tiny_set(&dir);
    let run = dir.join("run");
    let r = run.to_str().unwrap();
    let common = [
        "--data",
        &data,
        "--epochs",
        "1",
        "--batch",
        "8",
        "--width",
        "2",
        "--latent",
        "4",
        "--diagnostic-maps",
        "16",
    ];
    let mut args = vec!["train", "gan", "--out", r];
    args.extend_from_slice(&common);
    succeeds(&args);
    for f in [
        "config.json",
        "generator.safetensors",
        "discriminator.safetensors",
        "metrics.jsonl",
        "diagnostics.jsonl",
        "diagnostics.png",
        "loss.png",
        "samples/epoch_0001.png",
    ] {
        assert!(run.join(f).is_file(), "{f}");
    }
    // A second run into the same directory is refused without --force.
    let err = fails(&args);
    assert!(err.contains("--force"), "{err}");
    // Sampling a run whose generator checkpoint is missing is an error.
    let broken = dir.join("broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::copy(run.join("config.json"), broken.join("config.json")).unwrap();
    let b = broken.to_str().unwrap();
    let err = fails(&["sample", "gan", "--run", b, "--out", dir.join("x.npy").to_str().unwrap()]);
    assert!(err.contains("generator.safetensors"), "{err}");

    let samples = dir.join("samples.npy");
    let s = samples.to_str().unwrap();
    let png = dir.join("grid.png");
    succeeds(&["sample", "gan", "--run", r, "--n", "5", "--out", s, "--png", png.to_str().unwrap()]);
    let x = ArrayD::<f32>::read_npy(std::fs::File::open(&samples).unwrap()).unwrap();
    assert_eq!(x.shape(), &[5, 16, 16]);
    // The data were 1 + δ, so the samples are too: non-negative, mean near 1 for a lognormal.
    assert!(x.iter().all(|&v| v >= 0.0 && v.is_finite()));
    let side: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("samples.json")).unwrap()).unwrap();
    assert_eq!(side["units"], "overdensity");
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
    let err = fails(&["sample", "gan", "--run", r, "--n", "5", "--out", s]);
    assert!(err.contains("--force"), "{err}");
    succeeds(&["sample", "gan", "--run", r, "--n", "5", "--out", s, "--force"]);
    std::fs::remove_dir_all(dir).unwrap();
}
