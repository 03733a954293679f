//! `cosmograd simulate cmd` and `cosmograd fisher` as a user runs them (the density-field
//! commands are in cli_fields.rs).

use crate::scratch_dir;
use std::process::Command;

fn cosmograd(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cosmograd")).args(args).output().unwrap()
}

#[test]
fn simulate_cmd_writes_the_files_and_refuses_bad_arguments() {
    let dir = scratch_dir("cli_simulate");
    let out = dir.to_str().unwrap();
    let ok = cosmograd(&[
        "simulate", "cmd", "--out", out, "--sims", "2", "--size", "16", "--set", "CV", "--seed", "4",
    ]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    for f in ["Maps_T_Synthetic_CV_z=0.00.npy", "params_CV_Synthetic.txt", "simulation.json"] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    for (args, says) in [
        (vec!["--set", "XY"], "unknown set `XY`"),
        (vec!["--set", "1P", "--sims", "7"], "multiple of 6"),
        (vec!["--at", "0.3,0.8,1,1,1"], "six comma-separated numbers"),
        (vec!["--at", "0.3,0.8,9,1,1,1"], "A_SN1 = 9 is outside"),
        (vec!["--size", "3"], "between 8 and 4096"),
        (vec!["--sims", "0"], "at least one simulation"),
        (vec!["--set", "CV", "--sims", "2"], "exists already"),
    ] {
        let mut a = vec!["simulate", "cmd", "--out", out];
        a.extend(args);
        if !a.contains(&"--size") {
            a.extend(["--size", "16"]);
        }
        let r = cosmograd(&a);
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(!r.status.success() && err.contains(says), "{a:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn fisher_json_has_the_bounds_by_name() {
    let r = cosmograd(&["fisher", "--size", "64", "--json"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    for name in ["Omega_m", "sigma_8", "A_SN1", "A_AGN1", "A_SN2", "A_AGN2"] {
        assert!(v["crb"][name].as_f64().unwrap() > 0.0, "{name}");
    }
    assert_eq!(v["fisher"].as_array().unwrap().len(), 6);
    assert!(v["crb_astro_fixed"]["sigma_8"].as_f64().unwrap() > 0.0);
    assert_eq!(v["requirement_applies"], false);
    let table = cosmograd(&["fisher", "--at", "0.2,0.7,1,1,1,1", "--size", "32"]);
    assert!(String::from_utf8_lossy(&table.stdout).contains("ln A_AGN2"));
    let bad = cosmograd(&["fisher", "--at", "0.6,0.8,1,1,1,1"]);
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("Omega_m = 0.6 is outside"));
}
