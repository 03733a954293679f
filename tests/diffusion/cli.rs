//! `cosmograd train ddpm` and `cosmograd sample ddpm` as a user runs them: a tiny run end to
//! end, samples written in the data's own units, and every kind of bad input refused with a
//! message that says what was wrong (before a run directory is created).

use ndarray::{Array, Array2, Array3};
use ndarray_npy::WriteNpyExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn cosmograd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cosmograd")).args(args).output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cosmograd-ddpm-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn save<D: ndarray::Dimension>(path: &Path, a: &Array<f32, D>) {
    a.write_npy(std::fs::File::create(path).unwrap()).unwrap();
}

/// A tiny model's flags.
const TINY: [&str; 12] = [
    "--epochs",
    "1",
    "--batch",
    "4",
    "--base-channels",
    "2",
    "--depth",
    "2",
    "--steps",
    "20",
    "--sample-every",
    "1",
];

fn train(data: &Path, out: &Path, extra: &[&str]) -> Output {
    let args = [
        &["train", "ddpm", "--data", data.to_str().unwrap(), "--out", out.to_str().unwrap()],
        &TINY[..],
        extra,
    ]
    .concat();
    cosmograd(&args)
}

/// Positive overdensities 1 + δ, lognormal-ish.
fn overdensity(n: usize) -> Array3<f32> {
    Array3::from_shape_fn((n, 8, 8), |(i, y, x)| (0.5 * ((i * 7 + y * 3 + x * 5) as f32 * 0.37).sin()).exp())
}

#[test]
fn train_then_sample_in_the_datas_units() {
    let dir = temp("run");
    let data = dir.join("rho.npy");
    save(&data, &overdensity(24));
    let run = dir.join("run");
    let o = train(&data, &run, &["--overdensity"]);
    assert!(o.status.success(), "{}", text(&o));
    for f in [
        "config.json",
        "last.safetensors",
        "metrics.jsonl",
        "loss.png",
        "samples/epoch_0001.png",
    ] {
        assert!(run.join(f).is_file(), "no {f}: {}", text(&o));
    }
    // Nothing in a run directory is overwritten without --force.
    let o = train(&data, &run, &["--overdensity"]);
    assert!(!o.status.success() && text(&o).contains("--force"), "{}", text(&o));
    assert!(train(&data, &run, &["--overdensity", "--force"]).status.success());

    let samples = dir.join("s.npy");
    let sample = |extra: &[&str]| {
        let args = [
            &[
                "sample",
                "ddpm",
                "--run",
                run.to_str().unwrap(),
                "--n",
                "3",
                "--out",
                samples.to_str().unwrap(),
            ][..],
            extra,
        ]
        .concat();
        cosmograd(&args)
    };
    let o = sample(&["--sampler", "ddim", "--steps", "5", "--png", dir.join("g.png").to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    // Written as 1 + δ, because the data was: every value ≥ 0, and the sidecar says so.
    let x: Array3<f32> = ndarray_npy::read_npy(&samples).unwrap();
    assert_eq!(x.dim(), (3, 8, 8));
    assert!(x.iter().all(|v| v.is_finite() && *v >= 0.0), "{x:?}");
    let side: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("s.json")).unwrap()).unwrap();
    assert_eq!(side["units"], "overdensity");
    assert_eq!(side["network_evaluations"], 5);
    assert!(dir.join("g.png").is_file());
    // DDIM is deterministic for a seed.
    let first = x.clone();
    assert!(sample(&["--sampler", "ddim", "--steps", "5", "--force"]).status.success());
    assert_eq!(ndarray_npy::read_npy::<_, Array3<f32>>(&samples).unwrap(), first);
    // The ancestral sampler takes T steps; the file is not replaced without --force.
    let o = sample(&["--sampler", "ancestral"]);
    assert!(!o.status.success() && text(&o).contains("--force"), "{}", text(&o));
    let o = sample(&["--sampler", "ancestral", "--variance", "beta", "--force"]);
    assert!(o.status.success(), "{}", text(&o));
    let side: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("s.json")).unwrap()).unwrap();
    assert_eq!(side["network_evaluations"], 20);
    // A resumed finished run trains no more.
    let o = cosmograd(&["train", "ddpm", "--resume", run.to_str().unwrap()]);
    assert!(o.status.success() && text(&o).contains("trained 1 epochs"), "{}", text(&o));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_data_is_refused_before_a_run_directory_exists() {
    let dir = temp("bad");
    type Writer = Box<dyn Fn(&Path)>;
    let cases: Vec<(&str, Writer, &[&str], &str)> = vec![
        ("rank2.npy", Box::new(|p| save(p, &Array2::<f32>::zeros((8, 8)))), &[], "(N, H, W)"),
        (
            "nonfinite.npy",
            Box::new(|p| {
                let mut a = overdensity(8);
                a[[1, 2, 3]] = f32::NAN;
                save(p, &a)
            }),
            &["--overdensity"],
            "non-finite",
        ),
        ("empty.npy", Box::new(|p| std::fs::write(p, b"").unwrap()), &[], "empty.npy"),
        (
            "negative.npy",
            Box::new(|p| {
                let mut a = overdensity(8);
                a[[0, 0, 0]] = -0.5;
                save(p, &a)
            }),
            &["--overdensity"],
            "negative",
        ),
        ("one.npy", Box::new(|p| save(p, &overdensity(1))), &["--overdensity"], "at least 2"),
        (
            "size.npy",
            Box::new(|p| save(p, &Array3::<f32>::zeros((4, 12, 12)))),
            &[],
            "multiple of 2^(depth − 1)",
        ),
    ];
    for (name, write, flags, want) in cases {
        let path = dir.join(name);
        write(&path);
        let run = dir.join(format!("run-{name}"));
        let extra: Vec<&str> = if name == "size.npy" { vec!["--depth", "4"] } else { flags.to_vec() };
        let args = [
            &[
                "train",
                "ddpm",
                "--data",
                path.to_str().unwrap(),
                "--out",
                run.to_str().unwrap(),
                "--epochs",
                "1",
            ][..],
            &extra,
        ]
        .concat();
        let o = cosmograd(&args);
        let t = text(&o);
        assert!(!o.status.success(), "{name}: {t}");
        assert!(t.contains(want), "{name}: expected `{want}` in: {t}");
        assert!(!t.contains("panicked"), "{name}: {t}");
        assert!(!run.exists(), "{name}: a run directory was created");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sampling_from_a_run_without_config_or_checkpoint_is_a_clear_error() {
    let dir = temp("nosample");
    let out = dir.join("s.npy");
    let sample = |run: &Path| {
        cosmograd(&[
            "sample",
            "ddpm",
            "--run",
            run.to_str().unwrap(),
            "--n",
            "2",
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let o = sample(&dir.join("nowhere"));
    assert!(!o.status.success() && text(&o).contains("not a run directory"), "{}", text(&o));
    // A run directory whose training never finished an epoch: config, no checkpoint.
    let data = dir.join("rho.npy");
    save(&data, &overdensity(8));
    let run = dir.join("run");
    assert!(train(&data, &run, &["--overdensity"]).status.success());
    std::fs::remove_file(run.join("last.safetensors")).unwrap();
    let o = sample(&run);
    assert!(
        !o.status.success() && text(&o).contains("last.safetensors is missing"),
        "{}",
        text(&o)
    );
    // A damaged configuration.
    std::fs::write(run.join("config.json"), "{").unwrap();
    let o = sample(&run);
    assert!(!o.status.success() && text(&o).contains("config.json"), "{}", text(&o));
    // Bad sampling options.
    for (args, want) in [(vec!["--n", "0"], "--n"), (vec!["--sampler", "ddim", "--steps", "0"], "--steps")] {
        let a = [
            &["sample", "ddpm", "--run", run.to_str().unwrap(), "--out", out.to_str().unwrap()][..],
            &args,
        ]
        .concat();
        let o = cosmograd(&a);
        assert!(!o.status.success() && text(&o).contains(want), "{}", text(&o));
    }
    assert!(!out.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
