//! Faults: no adapter (a message and the CPU, or an error when the GPU was required), a
//! shader that does not build, a lost device, a tensor over the binding limit. Each ends in an
//! error that says what happened, never a panic or a hang.

use cosmograd::backend::{choose_with, gpu_or_skip, Backend, BackendChoice, Chosen, Gpu, UnaryOp};
use cosmograd::Error;

fn no_adapter() -> cosmograd::Result<Gpu> {
    Err(Error::Device("no GPU adapter found (simulated)".into()))
}

#[test]
fn without_an_adapter_the_cpu_runs_unless_the_gpu_was_required() {
    // COSMOGRAD_BACKEND, when the developer set it, decides the default; the CLI test below
    // sets the variables for a child process instead.
    if std::env::var_os("COSMOGRAD_BACKEND").is_none() {
        assert!(matches!(choose_with(None, no_adapter), Ok(Chosen::Cpu)));
    }
    assert!(matches!(choose_with(Some(BackendChoice::Cpu), no_adapter), Ok(Chosen::Cpu)));
    match choose_with(Some(BackendChoice::Gpu), no_adapter) {
        Err(Error::Device(msg)) => assert!(msg.contains("--backend gpu") && msg.contains("no GPU adapter"), "{msg}"),
        other => panic!("an explicit --backend gpu without an adapter must be an error, got {other:?}"),
    }
}

fn cosmograd(env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cosmograd"));
    cmd.env_remove("COSMOGRAD_BACKEND").env_remove("COSMOGRAD_REQUIRE_GPU");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args).output().expect("cosmograd runs")
}

#[test]
fn the_cli_falls_back_or_fails_as_asked_when_no_adapter_exists() {
    // WGPU_BACKEND names an API with no adapter on this machine (Linux has no DX12), so the
    // instance finds none, as on a machine without a GPU driver.
    let none = ("WGPU_BACKEND", "dx12");
    let out = cosmograd(&[none], &["gradcheck", "--op", "relu", "--backend", "gpu"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--backend gpu") && err.contains("no GPU adapter"), "{err}");

    let out = cosmograd(&[none, ("COSMOGRAD_BACKEND", "gpu")], &["gradcheck", "--op", "relu"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("running on the CPU backend instead"), "{err}");

    let out = cosmograd(
        &[none, ("COSMOGRAD_BACKEND", "gpu"), ("COSMOGRAD_REQUIRE_GPU", "1")],
        &["gradcheck", "--op", "relu"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("COSMOGRAD_REQUIRE_GPU=1"));

    let out = cosmograd(&[("COSMOGRAD_BACKEND", "tpu")], &["gradcheck", "--op", "relu"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("COSMOGRAD_BACKEND=tpu is not a backend; use cpu or gpu"));
}

#[test]
fn a_shader_that_does_not_build_is_an_error_not_a_panic() {
    let Some(gpu) = gpu_or_skip("a_shader_that_does_not_build_is_an_error_not_a_panic") else {
        return;
    };
    let bad = "@group(0) @binding(0) var<uniform> p: u32;\n\
               @group(0) @binding(1) var<storage, read_write> o: array<f32>;\n\
               @compute @workgroup_size(1) fn main() { o[0] = undefined_name; }";
    let msg = gpu.build_pipeline(bad, "main").unwrap_err().to_string();
    assert!(msg.contains("does not compile") || msg.contains("cannot be built"), "{msg}");
    // The device still works afterwards.
    let x = gpu.from_f32(&[1.0, -2.0]).unwrap();
    assert_eq!(gpu.to_f32(&gpu.unary(UnaryOp::Abs, &x).unwrap()).unwrap(), vec![1.0, 2.0]);
}

#[test]
fn a_tensor_over_the_binding_limit_is_a_clear_error() {
    let Some(gpu) = gpu_or_skip("a_tensor_over_the_binding_limit_is_a_clear_error") else {
        return;
    };
    // A fill never uploads anything: the limit check refuses before any memory is touched.
    let huge = (gpu.adapter().max_storage_binding_mib as usize + 1) << 18; // (limit + 1 MiB) / 4 bytes
    let msg = gpu.fill(huge, 0.0).err().expect("over the limit").to_string();
    assert!(msg.contains("maximum storage binding") && msg.contains("smaller batch"), "{msg}");
}

#[test]
fn a_lost_device_gives_errors_not_panics_or_hangs() {
    if gpu_or_skip("a_lost_device_gives_errors_not_panics_or_hangs").is_none() {
        return;
    }
    // A device of its own: the shared one must survive for the other tests.
    let gpu = Gpu::new().unwrap();
    let x = gpu.from_f32(&[1.0, 2.0, 3.0]).unwrap();
    gpu.destroy_device();
    let r = gpu.unary(UnaryOp::Exp, &x).and_then(|y| gpu.to_f32(&y));
    match r {
        Err(Error::Device(msg)) => assert!(!msg.is_empty()),
        other => panic!("expected a device error after the device was lost, got {other:?}"),
    }
}
