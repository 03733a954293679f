//! `cosmograd lesson` as a user runs it: the file it writes, and the errors for bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn cosmograd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cosmograd")).args(args).output().unwrap()
}

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cosmograd-lesson-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn writes_exactly_the_path_given_and_refuses_to_overwrite_without_force() {
    let dir = scratch("write");
    // Not an .html name: the file is written under exactly this name all the same.
    let out = dir.join("backprop.page");
    let o = cosmograd(&["lesson", "--seed", "3", "--lr", "-0.25", "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let first = std::fs::read_to_string(&out).unwrap();
    assert!(first.starts_with("<!DOCTYPE html>") && first.contains("λ = -0.25"));
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "nothing else written");

    let o = cosmograd(&["lesson", "--net", "mdn-head", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("exists") && err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), first, "the file is untouched");

    let o = cosmograd(&["lesson", "--net", "mdn-head", "--out", s(&out), "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::read_to_string(&out).unwrap().contains("mixture density head"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unknown_net_is_an_error_that_lists_the_choices() {
    let dir = scratch("net");
    let out = dir.join("l.html");
    let o = cosmograd(&["lesson", "--net", "resnet", "--out", s(&out)]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("resnet") && err.contains("thesis") && err.contains("mdn-head"),
        "{err}"
    );
    assert!(!out.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unwritable_paths_are_clear_errors() {
    let dir = scratch("unwritable");
    // A directory that does not exist.
    let missing = dir.join("no-such-dir").join("l.html");
    let o = cosmograd(&["lesson", "--out", s(&missing)]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("does not exist") && err.contains(s(&missing)), "{err}");
    // A path under a regular file (unwritable even for root).
    let file = dir.join("a-file");
    std::fs::write(&file, "x").unwrap();
    let under = file.join("l.html");
    let o = cosmograd(&["lesson", "--out", s(&under)]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("cannot write") && err.contains(s(&under)), "{err}");
    // A directory given as the output.
    let o = cosmograd(&["lesson", "--out", s(&dir)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is a directory"), "{}", stderr(&o));
    // An empty name.
    let o = cosmograd(&["lesson", "--out", ""]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--out"), "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn options_that_do_not_apply_are_errors() {
    let dir = scratch("options");
    let out = dir.join("l.html");
    let o = cosmograd(&["lesson", "--net", "mdn-head", "--activation", "relu", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--activation"), "{}", stderr(&o));
    let o = cosmograd(&["lesson", "--lr", "inf", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("learning rate"), "{}", stderr(&o));
    let o = cosmograd(&["lesson"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--out"), "{}", stderr(&o));
    assert!(!out.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
