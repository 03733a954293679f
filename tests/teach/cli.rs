//! `cosmograd explain` as a user runs it.

use std::process::Command;

fn cosmograd(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cosmograd")).args(args).output().unwrap()
}

#[test]
fn explain_prints_the_walk_and_writes_the_picture() {
    let dir = std::env::temp_dir().join(format!("cosmograd-explain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dot = dir.join("net.dot");
    let out = cosmograd(&[
        "explain",
        "--seed",
        "2",
        "--activation",
        "tanh",
        "--lr",
        "0.1",
        "--dot",
        dot.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("(38)") && text.contains("f = tanh") && text.contains("λ = 0.1"),
        "{text}"
    );
    assert!(std::fs::read_to_string(&dot).unwrap().starts_with("digraph tape {"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn explain_markdown_and_trace() {
    let out = cosmograd(&["explain", "--markdown", "--trace"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("| (25) |") && text.contains("backward trace"), "{text}");
}

#[test]
fn a_bad_activation_is_an_error_that_lists_the_choices() {
    let out = cosmograd(&["explain", "--activation", "swish"]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("sigmoid") && err.contains("tanh") && err.contains("relu"), "{err}");
}
