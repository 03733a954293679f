//! The `cosmograd` binary as a user (or a script) runs it: every subcommand with a closed
//! pipe and a full disk on standard output, bad values for every option, and output files
//! that already exist. Nothing here may end in a panic (exit status 101).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_cosmograd");

/// Every subcommand (and the help and version flags) with arguments that print something.
const COMMANDS: &[&[&str]] = &[
    &["info"],
    &["gradcheck", "--op", "relu"],
    &["gradcheck", "--op", "linear", "--json", "--worst", "2"],
    &["explain"],
    &["explain", "--markdown", "--trace"],
    &["fisher", "--size", "16"],
    &["fisher", "--size", "16", "--json"],
    &["--help"],
    &["gradcheck", "--help"],
    &["--version"],
];

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn no_panic(args: &[&str], out: &Output) {
    let err = text(&out.stderr);
    assert_ne!(out.status.code(), Some(101), "{args:?} panicked: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
}

/// A fresh directory per test.
fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cosmograd-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn a_closed_pipe_ends_every_command_quietly() {
    for args in COMMANDS {
        // The reading end is closed before the command writes: `cosmograd … | head -0`.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = Command::new(BIN)
            .args(*args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        no_panic(args, &out);
        let code = out.status.code();
        assert!(code == Some(141) || code == Some(0), "{args:?}: exit {code:?}");
        // (Vulkan drivers may print their own complaints while `info` lists adapters.)
        let err = text(&out.stderr);
        assert!(
            !err.contains("error: writing"),
            "{args:?}: a closed pipe is no error to report: {err}"
        );
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_an_error_message() {
    for args in COMMANDS.iter().filter(|a| !a.contains(&"--help") && !a.contains(&"--version")) {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let out = Command::new(BIN).args(*args).stdout(full).output().unwrap();
        no_panic(args, &out);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = text(&out.stderr);
        assert!(
            err.contains("error: writing to standard output") && err.contains("No space left"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn bad_values_get_a_message_that_says_what_to_give() {
    for (args, needle) in [
        (&["explain", "--seed", "-1"][..], "whole number from 0"),
        (&["explain", "--seed", "1.5"], "whole number from 0"),
        (&["explain", "--seed", "abc"], "whole number from 0"),
        (&["explain", "--seed", "18446744073709551616"], "whole number from 0"),
        (&["explain", "--lr", "-0.5"], "finite number > 0"),
        (&["explain", "--lr", "0"], "finite number > 0"),
        (&["explain", "--lr", "inf"], "finite number > 0"),
        (&["explain", "--lr", "NaN"], "finite number > 0"),
        (&["explain", "--lr", "fast"], "finite number > 0"),
        (&["explain", "--activation", "swish"], "sigmoid"),
        (&["explain", "--dot"], "a value is required"),
        (&["gradcheck", "--worst", "-1"], "whole number ≥ 0"),
        (&["gradcheck", "--worst", "many"], "whole number ≥ 0"),
        (&["gradcheck", "--op", "nope"], "known ops: add"),
        (&["gradcheck", "--op"], "a value is required"),
        (&["gradcheck", "--bogus"], "unexpected argument"),
        (&["lesson", "--seed", "-1", "--out", "x.html"], "whole number from 0"),
        // (The lesson allows a negative λ on purpose: it shows gradient ascent.)
        (&["lesson", "--lr", "inf", "--out", "x.html"], "learning rate"),
        (&["simulate", "cmd", "--out", "x", "--seed", "-1"], "whole number from 0"),
        (&["simulate", "cmd", "--out", "x", "--sims", "-2"], "whole number ≥ 0"),
        (&["simulate", "cmd", "--out", "x", "--size", "1e3"], "whole number ≥ 0"),
        (&["simulate", "cmd", "--out", "x", "--set", "XY"], "use LH, CV or 1P"),
        (&["fisher", "--size", "-1"], "whole number ≥ 0"),
        (&["simulate", "quijote", "--out", "x", "--seed", "-1"], "whole number from 0"),
        (&["simulate", "quijote", "--out", "x", "--n", "-5"], "whole number ≥ 0"),
        (&["fisher", "--size", "4"], "between 8 and 4096"),
        (&["fisher", "--at", "1,2"], "six comma-separated numbers"),
        (&["nope"], "unrecognized subcommand"),
        (&[], "Usage"),
    ] {
        let out = run(args);
        no_panic(args, &out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(err.contains(needle), "{args:?}: message lacks `{needle}`: {err}");
        assert_eq!(text(&out.stdout), "", "{args:?}");
    }
}

#[test]
fn large_and_odd_values_that_are_allowed_work() {
    for args in [
        &["explain", "--seed", "18446744073709551615"][..],
        &["explain", "--seed", "0", "--lr", "1e-3"],
        &["gradcheck", "--op", "exp", "--worst", "1000000"],
    ] {
        let out = run(args);
        no_panic(args, &out);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    }
}

#[test]
fn worst_entries_are_in_the_json() {
    let out = run(&["gradcheck", "--op", "softmax", "--json", "--worst", "2"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = json["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    for r in rows {
        let worst = r["worst"].as_array().unwrap_or_else(|| panic!("no worst entries: {r}"));
        let numel: u64 = r["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap()).product();
        assert_eq!(worst.len() as u64, numel.min(2), "{r}");
        for key in ["index", "numeric", "analytic", "abs_err", "rel_err", "ratio"] {
            assert!(worst[0].get(key).is_some(), "{key} missing: {r}");
        }
    }
    // Without --worst the rows stay short.
    let out = run(&["gradcheck", "--op", "softmax", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["rows"][0].get("worst").is_none());
}

/// A directory holding a fake Graphviz `dot` that behaves as given, for PATH (the only entry
/// of PATH then, so the script names other programs by absolute path).
fn fake_dot(dir: &Path, script: &str) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let dot = bin.join("dot");
    std::fs::write(&dot, format!("#!/bin/sh\n{script}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dot, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

fn explain_dot(path: &Path, search: &Path) -> Output {
    let out = Command::new(BIN)
        .args(["explain", "--dot", path.to_str().unwrap()])
        .env("PATH", search)
        .output()
        .unwrap();
    no_panic(&["explain", "--dot"], &out);
    out
}

#[cfg(unix)]
#[test]
fn dot_writes_exactly_the_path_given_and_leaves_other_files_alone() {
    let dir = tmpdir("dot-given");
    // Graphviz present (a stand-in that answers with fixed bytes): the PNG goes to x.png, an
    // existing x.dot is not touched.
    let bin = fake_dot(&dir, "/bin/cat > /dev/null; printf 'PNG-BYTES'");
    let (png, dot) = (dir.join("x.png"), dir.join("x.dot"));
    std::fs::write(&dot, "my notes").unwrap();
    let out = explain_dot(&png, &bin);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(&png).unwrap(), b"PNG-BYTES");
    assert_eq!(std::fs::read_to_string(&dot).unwrap(), "my notes");
    assert!(text(&out.stderr).contains(&format!("wrote {}", png.display())));
    // A name ending in .dot gets the text, there.
    let named = dir.join("net.dot");
    let out = explain_dot(&named, &bin);
    assert!(out.status.success());
    assert!(std::fs::read_to_string(&named).unwrap().starts_with("digraph tape {"));
}

#[test]
fn without_graphviz_dot_says_so_and_never_overwrites_a_different_file() {
    let dir = tmpdir("dot-missing");
    let empty = dir.join("no-graphviz-here");
    std::fs::create_dir_all(&empty).unwrap();
    let (png, dot) = (dir.join("x.png"), dir.join("x.dot"));
    // No x.dot yet: the text goes there, and the message says why and what was written.
    let out = explain_dot(&png, &empty);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("not on the PATH") && err.contains("no PNG was made"), "{err}");
    assert!(err.contains(&format!("wrote the DOT text to {}", dot.display())), "{err}");
    assert!(std::fs::read_to_string(&dot).unwrap().starts_with("digraph tape {"));
    assert!(!png.exists());
    // x.dot exists now (it could be anyone's): an error, and the file is left as it was.
    std::fs::write(&dot, "someone else's file").unwrap();
    let out = explain_dot(&png, &empty);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("already exists and was left alone"), "{err}");
    assert_eq!(std::fs::read_to_string(&dot).unwrap(), "someone else's file");
}

#[cfg(unix)]
#[test]
fn a_failing_graphviz_leaves_no_half_written_png() {
    let dir = tmpdir("dot-fails");
    let bin = fake_dot(&dir, "/bin/cat > /dev/null; printf 'PARTIAL'; echo 'syntax error' >&2; exit 1");
    let png = dir.join("x.png");
    let out = explain_dot(&png, &bin);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("syntax error"), "{}", text(&out.stderr));
    assert!(!png.exists(), "a failed render must not leave a file at the path");
    assert!(dir.join("x.dot").exists());
}

#[test]
fn dot_refuses_directories_and_unknown_extensions() {
    let dir = tmpdir("dot-dir");
    let sub = dir.join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    for (arg, needle) in [
        (format!("{}/", sub.display()), "is a directory"),
        (sub.display().to_string(), "is a directory"),
        (dir.join("x.txt").display().to_string(), "must end in .png"),
        (dir.join("x").display().to_string(), "must end in .png"),
    ] {
        let out = run(&["explain", "--dot", &arg]);
        no_panic(&["explain", "--dot", &arg], &out);
        assert_eq!(out.status.code(), Some(2), "{arg}");
        assert!(text(&out.stderr).contains(needle), "{arg}: {}", text(&out.stderr));
    }
    // Nothing was written beside the directory (the old `--dot sub/` wrote sub.dot).
    let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    names.sort();
    assert_eq!(names, vec![std::ffi::OsString::from("sub")]);
}

#[test]
fn existing_output_files_are_kept_unless_forced() {
    let dir = tmpdir("exists");
    // lesson: an existing file is not overwritten without --force; a directory is named.
    let html = dir.join("lesson.html");
    std::fs::write(&html, "mine").unwrap();
    let h = html.to_str().unwrap();
    let out = run(&["lesson", "--out", h]);
    no_panic(&["lesson"], &out);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--force"), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&html).unwrap(), "mine");
    let out = run(&["lesson", "--out", dir.to_str().unwrap()]);
    assert!(text(&out.stderr).contains("is a directory"), "{}", text(&out.stderr));
    let out = run(&["lesson", "--out", h, "--force"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_ne!(std::fs::read_to_string(&html).unwrap(), "mine");

    // simulate: a second run into the same folder refuses, --force replaces.
    let sim = dir.join("cmd");
    let s = sim.to_str().unwrap();
    let args = ["simulate", "cmd", "--out", s, "--sims", "1", "--size", "16", "--set", "CV"];
    let out = run(&args);
    no_panic(&args, &out);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let maps = sim.join("Maps_T_Synthetic_CV_z=0.00.npy");
    let before = std::fs::read(&maps).unwrap();
    let out = run(&[&args[..], &["--seed", "7"]].concat());
    no_panic(&args, &out);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--force"), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(&maps).unwrap(), before, "the refused run changed the maps");
    let out = run(&[&args[..], &["--seed", "7", "--force"]].concat());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_ne!(std::fs::read(&maps).unwrap(), before);
    let _ = std::fs::remove_dir_all(&dir);
}
