//! Checkpoints: exact round trips through safetensors, atomic writes, and a clear error for
//! every way a file can fail to fit.

use super::common::*;
use cosmograd::nn::checkpoint::{self, FORMAT};
use cosmograd::nn::{Adam, Optimizer, ParamStore, Sgd};
use cosmograd::prelude::*;
use safetensors::tensor::{Dtype, SafeTensors};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A fresh directory per test (tests run in parallel).
fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cosmograd-ckpt-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const W: [f64; 6] = [0.1, -0.2, 0.3, 0.4, -0.5, 0.6];
const B: [f64; 3] = [1.0, 2.0, 3.0];

/// A store with a buffer, trained for three Adam steps.
fn trained<Bk: Backend>(be: Bk) -> (ParamStore<Bk>, Adam<Bk>) {
    let mut store = store_wb(be.clone(), &W, &B);
    store
        .add_buffer("running_mean", Tensor::from_f64(&be, &[0.25, -0.75], &[2]).unwrap())
        .unwrap();
    let mut opt = Adam::new(0.01);
    for _ in 0..3 {
        let (_, g) = quadratic_grads(&store, 0.7);
        opt.step(&mut store, &g).unwrap();
    }
    (store, opt)
}

/// A trained store and its optimiser, saved with the optimiser state to `<fresh dir>/m.safetensors`.
fn saved_trained(test: &str) -> (PathBuf, PathBuf, ParamStore<Cpu<f32>>, Adam<Cpu<f32>>) {
    let dir = tmpdir(test);
    let path = dir.join("m.safetensors");
    let (store, opt) = trained(Cpu::<f32>::default());
    checkpoint::save(&path, &store, Some(&opt), &BTreeMap::new()).unwrap();
    (dir, path, store, opt)
}

/// The untrained `w`, `b` store saved without optimiser state.
fn saved_plain(test: &str) -> (PathBuf, PathBuf) {
    let dir = tmpdir(test);
    let path = dir.join("m.safetensors");
    checkpoint::save(&path, &store_wb(Cpu::<f32>::default(), &W, &B), None, &BTreeMap::new()).unwrap();
    (dir, path)
}

fn bits<Bk: Backend>(s: &ParamStore<Bk>, name: &str) -> Vec<u32> {
    s.get(name)
        .unwrap()
        .to_vec_f32(s.backend())
        .unwrap()
        .iter()
        .map(|x| x.to_bits())
        .collect()
}

fn expect_err(r: Result<impl std::fmt::Debug>, needles: &[&str]) -> String {
    match r {
        Err(Error::Checkpoint { path, msg }) => {
            for n in needles {
                assert!(msg.contains(n), "message lacks `{n}`: {msg}");
            }
            assert!(!path.is_empty());
            msg
        }
        other => panic!("expected Error::Checkpoint, got {other:?}"),
    }
}

#[test]
fn round_trip_is_exact_and_training_continues_identically() {
    let dir = tmpdir("roundtrip");
    let path = dir.join("model.safetensors");
    let be = Cpu::<f32>::default();
    let (mut store, mut opt) = trained(be);
    let mut extra = BTreeMap::new();
    extra.insert("epoch".to_string(), "7".to_string());
    checkpoint::save(&path, &store, Some(&opt), &extra).unwrap();

    let mut store2 = store_wb(be, &[0.0; 6], &[0.0; 3]);
    store2.add_buffer("running_mean", Tensor::zeros(&be, &[2]).unwrap()).unwrap();
    let mut opt2 = Adam::new(0.01);
    let info = checkpoint::load(&path, &mut store2, Some(&mut opt2)).unwrap();
    assert_eq!(info.optimizer, Some(("adam".to_string(), 3)));
    assert_eq!(info.metadata["epoch"], "7");
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    for name in ["w", "b", "running_mean"] {
        assert_eq!(bits(&store, name), bits(&store2, name), "{name}");
    }
    assert_eq!(opt2.steps(), 3);
    assert_eq!(opt2.state().params["w"].step, 3);

    // One more step from each gives the same parameters bit for bit.
    for (s, o) in [(&mut store, &mut opt), (&mut store2, &mut opt2)] {
        let (_, g) = quadratic_grads(s, 0.7);
        o.step(s, &g).unwrap();
    }
    assert_eq!(bits(&store, "w"), bits(&store2, "w"));
    assert_eq!(bits(&store, "b"), bits(&store2, "b"));
}

#[test]
fn the_file_is_plain_safetensors_with_f32_little_endian_tensors() {
    let be = Cpu::<f32>::default();
    let (_dir, path, store, opt) = saved_trained("format");
    let bytes = std::fs::read(&path).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut names: Vec<&str> = st.names();
    names.sort();
    assert_eq!(
        names,
        [
            "buffer/running_mean",
            "optim/b/m",
            "optim/b/v",
            "optim/w/m",
            "optim/w/v",
            "param/b",
            "param/w"
        ]
    );
    for (key, shape, value) in [
        ("param/w", vec![2, 3], store.get("w").unwrap().to_vec_f32(&be).unwrap()),
        ("param/b", vec![3], store.get("b").unwrap().to_vec_f32(&be).unwrap()),
        ("buffer/running_mean", vec![2], vec![0.25, -0.75]),
        ("optim/w/v", vec![2, 3], opt.state().params["w"].slots[1].to_vec_f32(&be).unwrap()),
    ] {
        let t = st.tensor(key).unwrap();
        assert_eq!(t.dtype(), Dtype::F32, "{key}");
        assert_eq!(t.shape(), shape.as_slice(), "{key}");
        let want: Vec<u8> = value.iter().flat_map(|x| x.to_le_bytes()).collect();
        assert_eq!(t.data(), want.as_slice(), "{key}");
    }
    let (_, header) = SafeTensors::read_metadata(&bytes).unwrap();
    let meta = header.metadata().clone().unwrap();
    assert_eq!(meta["format"], FORMAT);
    assert_eq!(meta["optim.kind"], "adam");
    assert_eq!(meta["optim.step"], "3");
    assert_eq!(meta["optim.param_steps"], r#"{"b":3,"w":3}"#);
}

#[test]
fn an_f64_backend_saves_f64_and_reads_f32_files_too() {
    let dir = tmpdir("f64");
    let (p64, p32) = (dir.join("a.safetensors"), dir.join("b.safetensors"));
    let b64 = Cpu::<f64>::default();
    let s64 = store_wb(b64, &W, &B);
    checkpoint::save(&p64, &s64, None, &BTreeMap::new()).unwrap();
    let bytes = std::fs::read(&p64).unwrap();
    assert_eq!(
        SafeTensors::deserialize(&bytes).unwrap().tensor("param/w").unwrap().dtype(),
        Dtype::F64
    );
    let mut back = store_wb(b64, &[0.0; 6], &[0.0; 3]);
    checkpoint::load(&p64, &mut back, None).unwrap();
    assert_eq!(values(&back, "w"), W.to_vec());

    let s32 = store_wb(Cpu::<f32>::default(), &W, &B);
    checkpoint::save(&p32, &s32, None, &BTreeMap::new()).unwrap();
    checkpoint::load(&p32, &mut back, None).unwrap();
    assert_eq!(values(&back, "b"), B.to_vec());
    assert_eq!(values(&back, "w")[0], 0.1f32 as f64);
}

#[test]
fn saving_replaces_the_file_atomically_and_leaves_no_temporary_file() {
    let be = Cpu::<f32>::default();
    let (dir, path) = saved_plain("atomic");
    checkpoint::save(&path, &store_wb(be, &[9.0; 6], &B), None, &BTreeMap::new()).unwrap();
    let entries: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(entries, vec![std::ffi::OsString::from("m.safetensors")]);
    let mut back = store_wb(be, &[0.0; 6], &[0.0; 3]);
    checkpoint::load(&path, &mut back, None).unwrap();
    assert_eq!(values(&back, "w"), vec![9.0; 6]);
    // A directory that does not exist: an error, and nothing written.
    let bad = dir.join("missing-dir").join("m.safetensors");
    expect_err(
        checkpoint::save(&bad, &store_wb(be, &W, &B), None, &BTreeMap::new()),
        &["directory"],
    );
}

#[test]
fn a_truncated_or_corrupt_file_is_reported_as_such() {
    let be = Cpu::<f32>::default();
    let (dir, path, ..) = saved_trained("corrupt");
    let bytes = std::fs::read(&path).unwrap();
    let cut = dir.join("cut.safetensors");
    std::fs::write(&cut, &bytes[..bytes.len() - 10]).unwrap();
    let mut s = store_wb(be, &[0.0; 6], &[0.0; 3]);
    expect_err(
        checkpoint::load(&cut, &mut s, None),
        &["corrupt or truncated", "earlier checkpoint"],
    );
    let junk = dir.join("junk.safetensors");
    std::fs::write(&junk, b"definitely not a checkpoint").unwrap();
    expect_err(checkpoint::load(&junk, &mut s, None), &["corrupt or truncated"]);
    // Nothing was changed by the failed loads.
    assert_eq!(values(&s, "w"), vec![0.0; 6]);
    expect_err(checkpoint::load(dir.join("absent.safetensors"), &mut s, None), &["no such file"]);
    // A valid safetensors file that cosmograd did not write.
    let foreign = dir.join("foreign.safetensors");
    let data = [0u8; 4];
    let view = safetensors::tensor::TensorView::new(Dtype::F32, vec![1], &data).unwrap();
    std::fs::write(&foreign, safetensors::serialize([("x", view)], None).unwrap()).unwrap();
    expect_err(checkpoint::load(&foreign, &mut s, None), &["not a cosmograd checkpoint"]);
}

#[test]
fn a_missing_parameter_names_it() {
    let be = Cpu::<f32>::default();
    let (_dir, path) = saved_plain("missing");
    let mut bigger = store_wb(be, &[0.0; 6], &[0.0; 3]);
    bigger.add("fc2.weight", Tensor::zeros(&be, &[4]).unwrap()).unwrap();
    expect_err(
        checkpoint::load(&path, &mut bigger, None),
        &["parameter `fc2.weight` is missing", "architecture"],
    );
    assert_eq!(values(&bigger, "w"), vec![0.0; 6], "a failed load changes nothing");
    let mut smaller = ParamStore::new(be);
    smaller.add("w", Tensor::zeros(&be, &[2, 3]).unwrap()).unwrap();
    expect_err(checkpoint::load(&path, &mut smaller, None), &["`param/b`", "does not have"]);
}

#[test]
fn a_shape_mismatch_names_both_shapes() {
    let be = Cpu::<f32>::default();
    let (_dir, path) = saved_plain("shape");
    let mut other = ParamStore::new(be);
    other.add("w", Tensor::zeros(&be, &[3, 2]).unwrap()).unwrap();
    other.add("b", Tensor::zeros(&be, &[3]).unwrap()).unwrap();
    expect_err(checkpoint::load(&path, &mut other, None), &["`w`", "[2, 3]", "[3, 2]"]);
}

#[test]
fn optimiser_state_must_exist_and_be_of_the_same_kind() {
    let be = Cpu::<f32>::default();
    let (dir, with, store, _) = saved_trained("optim");
    let without = dir.join("b.safetensors");
    checkpoint::save(&without, &store, None, &BTreeMap::new()).unwrap();
    let fresh = || {
        let mut s = store_wb(be, &[0.0; 6], &[0.0; 3]);
        s.add_buffer("running_mean", Tensor::zeros(&be, &[2]).unwrap()).unwrap();
        s
    };
    let mut sgd = Sgd::momentum(0.1, 0.9);
    expect_err(checkpoint::load(&with, &mut fresh(), Some(&mut sgd)), &["`adam`, not `sgd`"]);
    expect_err(
        checkpoint::load(&without, &mut fresh(), Some(&mut Adam::new(0.1))),
        &["no optimiser state"],
    );
    // Loading the parameters alone from a file with optimiser state is fine.
    checkpoint::load(&with, &mut fresh(), None).unwrap();
    let mut extra = BTreeMap::new();
    extra.insert("format".to_string(), "mine".to_string());
    expect_err(checkpoint::save(&without, &store, None, &extra), &["reserved"]);
}

// ---- strict loads: every tensor used, values that fit, finite unless asked ----

type Entry = (String, Dtype, Vec<usize>, Vec<u8>);

/// Rewrites a checkpoint file with its tensors and metadata edited by `f` (as a damaged or
/// hand-edited file would be).
fn rewrite(path: &std::path::Path, f: impl FnOnce(&mut Vec<Entry>, &mut std::collections::HashMap<String, String>)) {
    let bytes = std::fs::read(path).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut entries: Vec<Entry> = st
        .iter()
        .map(|(k, v)| (k.to_string(), v.dtype(), v.shape().to_vec(), v.data().to_vec()))
        .collect();
    let (_, header) = SafeTensors::read_metadata(&bytes).unwrap();
    let mut meta = header.metadata().clone().unwrap();
    f(&mut entries, &mut meta);
    let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = entries
        .iter()
        .map(|(k, d, s, b)| (k.clone(), safetensors::tensor::TensorView::new(*d, s.clone(), b).unwrap()))
        .collect();
    std::fs::write(path, safetensors::serialize(views, Some(meta)).unwrap()).unwrap();
}

fn fresh_with_buffer<Bk: Backend>(be: Bk) -> ParamStore<Bk> {
    let mut s = store_wb(be.clone(), &[0.0; 6], &[0.0; 3]);
    s.add_buffer("running_mean", Tensor::zeros(&be, &[2]).unwrap()).unwrap();
    s
}

#[test]
fn an_f64_value_that_does_not_fit_f32_names_the_tensor() {
    let dir = tmpdir("f64fit");
    let path = dir.join("m.safetensors");
    let b64 = Cpu::<f64>::default();
    for (w0, how) in [(1e300, "overflows"), (1e-300, "underflows")] {
        let mut w = W;
        w[4] = w0;
        checkpoint::save(&path, &store_wb(b64, &w, &B), None, &BTreeMap::new()).unwrap();
        let mut s32 = store_wb(Cpu::<f32>::default(), &[0.0; 6], &[0.0; 3]);
        let msg = expect_err(
            checkpoint::load(&path, &mut s32, None),
            &["parameter `w`", how, "element 4", "Cpu<f64>"],
        );
        assert!(!msg.contains("parameter `b`"), "{msg}");
        assert_eq!(values(&s32, "w"), vec![0.0; 6], "a failed load changes nothing");
    }
    // Ordinary f64 values load into f32, rounded to the nearest f32.
    checkpoint::save(&path, &store_wb(b64, &W, &B), None, &BTreeMap::new()).unwrap();
    let mut s32 = store_wb(Cpu::<f32>::default(), &[0.0; 6], &[0.0; 3]);
    checkpoint::load(&path, &mut s32, None).unwrap();
    assert_eq!(values(&s32, "w")[1], -0.2f32 as f64);
}

#[test]
fn non_finite_values_are_refused_unless_asked_for() {
    let be = Cpu::<f32>::default();
    let dir = tmpdir("nonfinite");
    let path = dir.join("m.safetensors");
    let mut b = B;
    b[2] = f64::NAN;
    checkpoint::save(&path, &store_wb(be, &W, &b), None, &BTreeMap::new()).unwrap();
    let mut s = store_wb(be, &[0.0; 6], &[0.0; 3]);
    expect_err(
        checkpoint::load(&path, &mut s, None),
        &["parameter `b`", "non-finite", "element 2", "allow_non_finite"],
    );
    assert_eq!(values(&s, "w"), vec![0.0; 6]);
    let opts = checkpoint::LoadOptions { allow_non_finite: true };
    checkpoint::load_with(&path, &mut s, None, opts).unwrap();
    assert!(values(&s, "b")[2].is_nan());
}

#[test]
fn moment_tensors_not_in_param_steps_are_an_error_not_dropped() {
    let (_dir, path, ..) = saved_trained("dropped");
    // The metadata forgets `w`: loading would restart Adam's bias correction for it at step 1.
    rewrite(&path, |_, meta| {
        meta.insert("optim.param_steps".into(), r#"{"b":3}"#.into());
    });
    let be = Cpu::<f32>::default();
    let msg = expect_err(
        checkpoint::load(&path, &mut fresh_with_buffer(be), Some(&mut Adam::new(0.01))),
        &["optim/w/", "optim.param_steps"],
    );
    assert!(msg.contains("drop"), "{msg}");
    // Also when only the parameters are loaded: the file is inconsistent either way.
    expect_err(checkpoint::load(&path, &mut fresh_with_buffer(be), None), &["optim/w/"]);
}

#[test]
fn stray_optimiser_tensors_are_an_error() {
    let be = Cpu::<f32>::default();
    // A file without optimiser state that holds an optimiser tensor anyway.
    let (_dir, path) = saved_plain("stray");
    rewrite(&path, |t, _| {
        t.push(("optim/w/m".into(), Dtype::F32, vec![2, 3], vec![0; 24]));
    });
    let mut s = store_wb(be, &[0.0; 6], &[0.0; 3]);
    expect_err(checkpoint::load(&path, &mut s, None), &["`optim/w/m`"]);
    // A slot Adam does not have.
    let (_dir, path, ..) = saved_trained("stray-slot");
    rewrite(&path, |t, _| {
        t.push(("optim/w/velocity".into(), Dtype::F32, vec![2, 3], vec![0; 24]));
    });
    expect_err(
        checkpoint::load(&path, &mut fresh_with_buffer(be), Some(&mut Adam::new(0.01))),
        &["`optim/w/velocity`"],
    );
    // A per-parameter step larger than the optimiser's step count.
    let (_dir, path, ..) = saved_trained("bad-steps");
    rewrite(&path, |_, meta| {
        meta.insert("optim.param_steps".into(), r#"{"b":3,"w":9}"#.into());
    });
    expect_err(
        checkpoint::load(&path, &mut fresh_with_buffer(be), Some(&mut Adam::new(0.01))),
        &["`w` had 9 updates in 3 steps"],
    );
}

#[test]
fn optimiser_settings_are_json_readable_without_cosmograd() {
    let be = Cpu::<f32>::default();
    let dir = tmpdir("optimjson");
    let path = dir.join("m.safetensors");
    let store = store_wb(be, &W, &B);
    let opt = Sgd::momentum(0.05, 0.9).with_clip(2.5);
    checkpoint::save(&path, &store, Some(&opt), &BTreeMap::new()).unwrap();
    let info = checkpoint::inspect(&path).unwrap();
    let json: serde_json::Value = serde_json::from_str(&info.metadata["optim.config"]).expect("optim.config is JSON");
    assert_eq!(json["kind"], "sgd");
    assert_eq!(json["momentum"], 0.9);
    assert_eq!(json["nesterov"], false);
    assert_eq!(json["max_grad_norm"], 2.5);
    assert_eq!(json["schedule"], serde_json::json!({ "type": "constant", "lr": 0.05 }));
    assert_eq!(info.optim_config(), Some(json));
    let adam = cosmograd::nn::Adam::<Cpu<f32>>::adamw(1e-3, 0.01);
    let cfg = adam.config();
    assert_eq!(
        (cfg["kind"].as_str(), cfg["decoupled"].as_bool(), cfg["beta2"].as_f64()),
        (Some("adamw"), Some(true), Some(0.999))
    );
}

#[test]
fn a_model_can_record_its_architecture_as_json() {
    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Arch {
        input_size: usize,
        components: usize,
    }
    let be = Cpu::<f32>::default();
    let dir = tmpdir("arch");
    let path = dir.join("m.safetensors");
    let arch = Arch {
        input_size: 64,
        components: 3,
    };
    let mut meta = checkpoint::model_metadata("tiny_mdn", &arch).unwrap();
    meta.insert("epoch".into(), "4".into());
    checkpoint::save(&path, &store_wb(be, &W, &B), None, &meta).unwrap();
    let info = checkpoint::inspect(&path).unwrap();
    assert_eq!(info.model_kind(), Some("tiny_mdn"));
    assert_eq!(info.model_config::<Arch>().unwrap(), Some(arch));
    assert_eq!(info.metadata["epoch"], "4");
    // Options of another model do not parse silently.
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Other {
        depth: usize,
    }
    assert!(info.model_config::<Other>().is_err());
    // model.config must be JSON.
    let mut bad = BTreeMap::new();
    bad.insert("model.config".to_string(), "input_size=64".to_string());
    expect_err(checkpoint::save(&path, &store_wb(be, &W, &B), None, &bad), &["must be JSON"]);
}

// ---- paths: directories, stale temporary files, permissions, symbolic links ----

#[test]
fn a_directory_is_named_as_one() {
    let be = Cpu::<f32>::default();
    let (dir, _path) = saved_plain("dirpath");
    let mut s = store_wb(be, &[0.0; 6], &[0.0; 3]);
    let msg = expect_err(checkpoint::load(&dir, &mut s, None), &["is a directory"]);
    assert!(msg.contains("m.safetensors"), "suggests the file inside: {msg}");
    expect_err(checkpoint::save(&dir, &s, None, &BTreeMap::new()), &["is a directory"]);
}

/// The pid of a process that has exited.
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn the_next_save_removes_the_temporary_files_of_killed_saves() {
    let be = Cpu::<f32>::default();
    let (dir, path) = saved_plain("stale");
    // What a save killed between writing and renaming leaves behind, and one of a save that
    // is still running (a live process).
    let stale = dir.join(format!(".m.safetensors.cosmograd-tmp.{}.0", dead_pid()));
    let mut sleeper = std::process::Command::new("sleep").arg("30").spawn().unwrap();
    let live = dir.join(format!(".m.safetensors.cosmograd-tmp.{}.0", sleeper.id()));
    let other_target = dir.join(format!(".other.safetensors.cosmograd-tmp.{}.0", dead_pid()));
    for f in [&stale, &live, &other_target] {
        std::fs::write(f, vec![0u8; 4096]).unwrap();
    }
    checkpoint::save(&path, &store_wb(be, &W, &B), None, &BTreeMap::new()).unwrap();
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    assert!(!stale.exists(), "the stale temporary file was not removed");
    assert!(live.exists(), "the file of a running save must be left alone");
    assert!(
        other_target.exists(),
        "temporary files of other targets are not this save's business"
    );
}

#[cfg(unix)]
#[test]
fn saving_keeps_the_target_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let be = Cpu::<f32>::default();
    let (_dir, path) = saved_plain("perm");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    checkpoint::save(&path, &store_wb(be, &W, &B), None, &BTreeMap::new()).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
}

#[cfg(unix)]
#[test]
fn saving_through_a_symbolic_link_replaces_its_target() {
    let be = Cpu::<f32>::default();
    let (dir, real) = saved_plain("symlink");
    let link = dir.join("latest.safetensors");
    std::os::unix::fs::symlink("m.safetensors", &link).unwrap();
    checkpoint::save(&link, &store_wb(be, &[7.0; 6], &B), None, &BTreeMap::new()).unwrap();
    assert!(
        std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(),
        "the link was replaced by a file"
    );
    let mut back = store_wb(be, &[0.0; 6], &[0.0; 3]);
    checkpoint::load(&real, &mut back, None).unwrap();
    assert_eq!(values(&back, "w"), vec![7.0; 6]);
}
