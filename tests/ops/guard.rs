//! The guard (`Tape::guard(true)`, `COSMOGRAD_GUARD=1`) names where a non-finite value first
//! appeared: the op that produced it, or the entry — input, parameter, buffer, and the
//! checkpoint a parameter was loaded from — that brought it onto the tape.

use cosmograd::nn::checkpoint::{self, LoadOptions};
use cosmograd::nn::ParamStore;
use cosmograd::prelude::*;
use std::collections::BTreeMap;

fn guarded() -> Tape<Cpu<f64>> {
    Tape::new(Cpu::default()).guard(true)
}

fn entry_of(e: Error) -> (String, Option<String>, String) {
    let msg = e.to_string();
    match e {
        Error::NonFiniteEntry { entry, read_by, .. } => (entry, read_by, msg),
        other => panic!("expected the entry to be blamed, got: {other}"),
    }
}

#[test]
fn a_nan_input_is_blamed_on_the_input_not_on_the_op_that_reads_it() {
    let t = guarded();
    let be = *t.backend();
    let x = t.input(Tensor::from_f64(&be, &[1.0, f64::NAN, 2.0], &[3]).unwrap()).named("maps");
    let (entry, read_by, msg) = entry_of(x.exp().unwrap_err());
    assert_eq!(entry, "input `maps`");
    assert_eq!(read_by.as_deref(), Some("exp"));
    assert!(msg.contains("1 of 3 elements") && msg.contains("entered the tape"), "{msg}");
}

#[test]
fn an_unnamed_leaf_says_how_to_name_it() {
    let t = guarded();
    let be = *t.backend();
    let x = t.leaf(Tensor::from_f64(&be, &[f64::INFINITY], &[1]).unwrap());
    let (entry, ..) = entry_of(x.square().unwrap_err());
    assert!(entry.contains("unnamed input") && entry.contains(".named"), "{entry}");
}

#[test]
fn input_f64_reports_at_once() {
    let t = guarded();
    let (entry, read_by, _) = entry_of(t.input_f64(&[f64::NAN], &[1]).unwrap_err());
    assert!(entry.contains("input"), "{entry}");
    assert_eq!(read_by, None);
}

#[test]
fn a_nan_parameter_is_named_with_the_checkpoint_it_came_from() {
    let be = Cpu::<f64>::default();
    let dir = std::env::temp_dir().join(format!("cosmograd-guard-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("diverged.safetensors");
    let mut store = ParamStore::new(be);
    store
        .add("fc.weight", Tensor::from_f64(&be, &[0.5, f64::NAN], &[1, 2]).unwrap())
        .unwrap();
    store
        .add_buffer("bn.running_var", Tensor::from_f64(&be, &[f64::INFINITY], &[1]).unwrap())
        .unwrap();
    checkpoint::save(&path, &store, None, &BTreeMap::new()).unwrap();
    let mut loaded = ParamStore::new(be);
    loaded.add("fc.weight", Tensor::zeros(&be, &[1, 2]).unwrap()).unwrap();
    loaded.add_buffer("bn.running_var", Tensor::zeros(&be, &[1]).unwrap()).unwrap();
    let opts = LoadOptions { allow_non_finite: true };
    checkpoint::load_with(&path, &mut loaded, None, opts).unwrap();

    let t = guarded();
    let (entry, _, msg) = entry_of(loaded.var(&t, "fc.weight").unwrap_err());
    assert!(entry.starts_with("parameter `fc.weight`"), "{entry}");
    assert!(entry.contains("diverged.safetensors"), "names the file: {msg}");
    let (entry, ..) = entry_of(loaded.buffer_var(&t, "bn.running_var").unwrap_err());
    assert!(
        entry.starts_with("buffer `bn.running_var`") && entry.contains("diverged.safetensors"),
        "{entry}"
    );
    // A value set after loading no longer counts as the file's.
    loaded
        .set("fc.weight", Tensor::from_f64(&be, &[f64::NAN, 0.0], &[1, 2]).unwrap())
        .unwrap();
    let t = guarded();
    let (entry, ..) = entry_of(loaded.var(&t, "fc.weight").unwrap_err());
    assert_eq!(entry, "parameter `fc.weight`");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_parameter_registered_directly_is_named_by_the_op_that_reads_it() {
    let t = guarded();
    let be = *t.backend();
    let w = t.param("V^2", &Tensor::from_f64(&be, &[f64::NAN], &[1]).unwrap());
    let x = t.input_f64(&[1.0], &[1]).unwrap();
    let (entry, read_by, _) = entry_of(x.mul(w).unwrap_err());
    assert_eq!(entry, "parameter `V^2`");
    assert_eq!(read_by.as_deref(), Some("mul"));
}

#[test]
fn ops_are_still_blamed_for_what_they_produce() {
    let t = guarded();
    let x = t.input_f64(&[-1.0], &[1]).unwrap();
    assert!(matches!(x.log().unwrap_err(), Error::NonFinite { op, .. } if op == "log"));
}

#[test]
fn without_the_guard_entries_are_not_checked() {
    let t = Tape::new(Cpu::<f64>::default()).guard(false);
    let x = t.input_f64(&[f64::NAN], &[1]).unwrap();
    assert!(x.exp().unwrap().to_vec().unwrap()[0].is_nan());
}
