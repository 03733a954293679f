//! `cosmograd simulate quijote` and `cosmograd eval fields` as a user runs them.

use crate::slices::temp_dir;
use ndarray::Array3;
use ndarray_npy::WriteNpyExt;
use std::path::Path;
use std::process::{Command, Output};

fn cosmograd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cosmograd")).args(args).output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn simulate(dir: &Path, n: &str, seed: &str) -> Output {
    cosmograd(&[
        "simulate",
        "quijote",
        "--out",
        dir.to_str().unwrap(),
        "--n",
        n,
        "--size",
        "32",
        "--seed",
        seed,
    ])
}

#[test]
fn simulate_then_evaluate() {
    let root = temp_dir("cli-fields");
    let (real, generated, out) = (root.join("real"), root.join("gen"), root.join("eval"));
    let o = simulate(&real, "60", "1");
    assert!(o.status.success(), "{}", text(&o));
    for f in ["slices.npy", "slices.json", "maps.png", "power_spectrum.png"] {
        assert!(real.join(f).is_file(), "no {f}");
    }
    let side: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(real.join("slices.json")).unwrap()).unwrap();
    assert_eq!(side["units"], "density_contrast");
    assert_eq!(side["seed"], 1);
    assert!(side["target_spectrum"]["power"].as_array().unwrap().len() > 10);
    // Nothing is overwritten without --force.
    let o = simulate(&real, "60", "1");
    assert!(!o.status.success() && text(&o).contains("--force"), "{}", text(&o));
    assert!(simulate(&generated, "60", "2").status.success());

    let args = [
        "eval",
        "fields",
        "--real",
        real.to_str().unwrap(),
        "--generated",
        generated.to_str().unwrap(),
    ];
    let o = cosmograd(&[&args[..], &["--out", out.to_str().unwrap()]].concat());
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("consistent: every statistic passes"), "{}", text(&o));
    for f in [
        "fields.json",
        "maps.png",
        "power_spectrum.png",
        "power_ratio.png",
        "pdf.png",
        "minkowski_v0.png",
        "minkowski_v1.png",
        "minkowski_v2.png",
        "peaks.png",
        "clusters.png",
    ] {
        assert!(out.join(f).is_file(), "no {f}");
    }
    let o = cosmograd(&[&args[..], &["--json"]].concat());
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["pass"], true);
    assert_eq!(json["real_maps"], 60);
    // A second evaluation into the same directory needs --force.
    let o = cosmograd(&[&args[..], &["--out", out.to_str().unwrap()]].concat());
    assert!(!o.status.success() && text(&o).contains("--force"), "{}", text(&o));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn bad_inputs_are_clear_errors() {
    let root = temp_dir("cli-fields-bad");
    let good = root.join("good");
    assert!(simulate(&good, "8", "1").status.success());
    let write = |name: &str, a: Array3<f32>| {
        let p = root.join(name);
        a.write_npy(std::fs::File::create(&p).unwrap()).unwrap();
        p
    };
    let nan = write("nan.npy", Array3::from_elem((4, 32, 32), f32::NAN));
    let negative = write("negative.npy", Array3::from_elem((4, 32, 32), -0.5));
    let small = write("small.npy", Array3::zeros((4, 16, 16)));
    let empty = root.join("empty.npy");
    std::fs::write(&empty, b"").unwrap();
    let g = good.to_str().unwrap();
    let cases: [(&[&str], &str); 6] = [
        (&["--generated", nan.to_str().unwrap()], "non-finite"),
        (&["--generated", negative.to_str().unwrap(), "--overdensity"], "cannot be negative"),
        (&["--generated", small.to_str().unwrap()], "must be square and of one size"),
        (&["--generated", empty.to_str().unwrap()], "empty file"),
        (&["--generated", "/no/such/file.npy"], "file.npy"),
        (&["--generated", g, "--overdensity", "--density-contrast"], "cannot be used with"),
    ];
    for (extra, want) in cases {
        let o = cosmograd(&[&["eval", "fields", "--real", g][..], extra].concat());
        assert!(!o.status.success(), "{extra:?} succeeded");
        assert!(text(&o).contains(want), "{extra:?}: {}", text(&o));
    }
    let o = cosmograd(&["simulate", "quijote", "--out", root.join("x").to_str().unwrap(), "--n", "0"]);
    assert!(!o.status.success() && text(&o).contains("--n"), "{}", text(&o));
    std::fs::remove_dir_all(&root).unwrap();
}
