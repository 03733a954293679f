//! `cosmograd train mdn` and `cosmograd eval mdn` as a user runs them: bad input is a clear
//! error (exit status 2, a message that says what was wrong and what to do), never a panic,
//! and nothing is written before the input has been checked.

use super::common::temp_dir;
use std::process::{Command, Output};

fn cosmograd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cosmograd")).args(args).output().unwrap()
}

/// Runs a command that must fail cleanly and returns its error message.
fn fails(args: &[&str]) -> String {
    let out = cosmograd(args);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    err
}

#[test]
fn bad_training_options_are_refused_before_anything_is_written() {
    let out = temp_dir("cli-bad-options");
    let o = out.to_str().unwrap();
    let cases: [(&[&str], &str); 6] = [
        (&["--targets", "Omega_m,Omega_b"], "unknown parameter `Omega_b`"),
        (&["--targets", "sigma_8,sigma_8"], "listed twice"),
        (&["--split", "0.5,0.5"], "three fractions"),
        (&["--batch", "1"], "batch normalisation needs at least 2"),
        (&["--lr", "-1"], "learning rates must be positive"),
        (&["--epochs", "0"], "--epochs must be at least 1"),
    ];
    for (args, want) in cases {
        let mut all = vec!["train", "mdn", "--out", o];
        all.extend_from_slice(args);
        let err = fails(&all);
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?} created the run directory");
    }
    // clap's own errors (unknown architecture) also exit with 2.
    let err = fails(&["train", "mdn", "--arch", "resnet"]);
    assert!(err.contains("thesis") && err.contains("periodic"), "{err}");
}

#[test]
fn resuming_or_evaluating_a_directory_that_is_no_run_is_an_error() {
    let dir = temp_dir("cli-no-run");
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.to_str().unwrap();
    for args in [vec!["train", "mdn", "--resume", d], vec!["eval", "mdn", "--run", d]] {
        let err = fails(&args);
        assert!(err.contains("is not a run directory"), "{args:?}: {err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
