//! The GAN loop on tiny maps: an interrupted run resumed repeats the uninterrupted one bit for
//! bit, every epoch writes its files, incompatible resumes and mismatched data are refused.

use super::common::{lognormal_maps, options, temp_dir, tiny_dcgan, tiny_report, BOX};
use cosmograd::data::transform::ContrastTransform;
use cosmograd::models::GanArchitecture;
use cosmograd::prelude::*;
use cosmograd::train::gan::{gan_files, load_generator, train, GanData, GanJob, GanOptions, GanOutcome};
use cosmograd::train::gan_step::latents;
use cosmograd::train::run_dir::{files, RunDir};
use ndarray::{s, Array3};

struct Fixture {
    delta: Array3<f32>,
    maps: Array3<f32>,
    transform: ContrastTransform,
}

fn fixture() -> Fixture {
    let delta = lognormal_maps(32, 16, 1);
    let transform = ContrastTransform::fit(delta.view()).unwrap();
    Fixture {
        maps: transform.forward_maps(delta.view()),
        delta,
        transform,
    }
}

fn data(f: &Fixture) -> GanData<'_> {
    GanData {
        maps: f.maps.view(),
        transform: f.transform,
        reference: f.delta.slice(s![..16, .., ..]),
        box_size: BOX,
    }
}

fn run(
    arch: &GanArchitecture,
    opts: &GanOptions,
    dir: &std::path::Path,
    resume: bool,
    stop: Option<u64>,
    f: &Fixture,
) -> Result<GanOutcome> {
    let run = if resume {
        RunDir { path: dir.to_path_buf() }
    } else {
        RunDir::create(dir, false)?
    };
    let job = GanJob {
        arch,
        options: opts,
        run: &run,
        resume,
        progress: false,
        interrupt_at_step: stop,
    };
    train(Cpu::<f32>::default(), &job, &data(f))
}

fn bytes(path: std::path::PathBuf) -> Vec<u8> {
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The lines of a JSON-lines file without the wall-clock fields.
fn lines_without_timings(path: std::path::PathBuf) -> Vec<serde_json::Value> {
    String::from_utf8(bytes(path))
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            let o = v.as_object_mut().unwrap();
            o.remove("seconds");
            o.remove("maps_per_s");
            v
        })
        .collect()
}

#[test]
fn an_interrupted_run_resumed_repeats_the_uninterrupted_one_bit_for_bit() {
    let f = fixture();
    for (name, arch) in [("dcgan", tiny_dcgan()), ("report", tiny_report())] {
        let opts = options(2); // 4 steps an epoch, diagnostics every 3 steps
        let (a, b) = (temp_dir(&format!("whole-{name}")), temp_dir(&format!("resumed-{name}")));
        let whole = run(&arch, &opts, &a, false, None, &f).unwrap();
        assert_eq!((whole.state.epoch, whole.state.step), (2, 8));
        // Killed during the second epoch (after step 6), then resumed from the end of epoch 1.
        let cut = run(&arch, &opts, &b, false, Some(6), &f).unwrap();
        assert_eq!(cut.state.step, 6);
        let resumed = run(&arch, &opts, &b, true, None, &f).unwrap();
        assert_eq!(resumed.state.step, 8);
        for file in [files::METRICS, gan_files::DIAGNOSTICS] {
            let (x, y) = (lines_without_timings(a.join(file)), lines_without_timings(b.join(file)));
            assert_eq!(x, y, "{name}: {file}");
        }
        // Diagnostics at steps 3 and 6 and at the two epoch ends (4, 8).
        let steps: Vec<u64> = whole.diagnostics.iter().map(|d| d.step).collect();
        assert_eq!(steps, vec![3, 4, 6, 8], "{name}");
        for net in [gan_files::GENERATOR, gan_files::DISCRIMINATOR] {
            let (x, y) = (params(&a.join(net)), params(&b.join(net)));
            assert_eq!(x, y, "{name}: {net}");
        }
        for f in [
            files::LOSS_PNG,
            gan_files::DIAGNOSTICS_PNG,
            &gan_files::sample_grid(1),
            &gan_files::sample_grid(2),
        ] {
            assert!(bytes(a.join(f)).starts_with(b"\x89PNG"), "{name}: {f}");
        }
        for d in [a, b] {
            std::fs::remove_dir_all(d).unwrap();
        }
    }
}

/// Every tensor of a checkpoint, as f32 bits.
fn params(path: &std::path::Path) -> Vec<(String, Vec<u32>)> {
    let bytes = std::fs::read(path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut out: Vec<(String, Vec<u32>)> = st
        .tensors()
        .into_iter()
        .map(|(n, v)| (n, v.data().chunks(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect()))
        .collect();
    out.sort();
    out
}

#[test]
fn the_diagnostics_and_metrics_hold_what_they_promise() {
    let f = fixture();
    let dir = temp_dir("metrics");
    let out = run(&tiny_dcgan(), &options(1), &dir, false, None, &f).unwrap();
    let m = &out.history[0];
    assert_eq!((m.epoch, m.step), (1, 4));
    for v in [
        m.d_accuracy_real,
        m.d_accuracy_fake,
        m.d_eval_accuracy_real,
        m.d_eval_accuracy_fake,
        m.d_mean_real,
        m.d_mean_fake,
    ] {
        assert!((0.0..=1.0).contains(&v), "{m:?}");
    }
    let d = out.diagnostics.last().unwrap();
    assert_eq!(d.k.len(), d.scatter_ratio_k.len());
    assert!(d.scatter_ratio > 0.0 && d.pairwise_ratio > 0.0 && d.power_ratio > 0.0, "{d:?}");
    // The real pairwise distance is the data's own: recompute it.
    let real = f.delta.slice(s![..16, .., ..]);
    let mut sum = 0.0;
    for i in 0..16 {
        for j in i + 1..16 {
            let d2: f64 = (0..256)
                .map(|p| (real[[i, p / 16, p % 16]] as f64 - real[[j, p / 16, p % 16]] as f64).powi(2))
                .sum();
            sum += (d2 / 256.0).sqrt();
        }
    }
    let want = sum / 120.0;
    assert!((d.pairwise_real - want).abs() < 1e-9 * want, "{} vs {want}", d.pairwise_real);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn resuming_with_other_options_or_another_model_is_refused() {
    let f = fixture();
    let dir = temp_dir("incompatible");
    run(&tiny_dcgan(), &options(1), &dir, false, None, &f).unwrap();
    let mut other = options(1);
    other.real_label = 1.0;
    let err = run(&tiny_dcgan(), &other, &dir, true, None, &f).err().unwrap().to_string();
    assert!(err.contains("cannot resume") && err.contains("training options"), "{err}");
    let err = run(&tiny_report(), &options(1), &dir, true, None, &f).err().unwrap().to_string();
    assert!(err.contains("cannot resume") && err.contains("report"), "{err}");
    // A run that has done all its epochs resumes to nothing.
    let done = run(&tiny_dcgan(), &options(1), &dir, true, None, &f).unwrap();
    assert_eq!(done.state.step, 4);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn data_that_does_not_fit_the_networks_is_refused_before_training() {
    let f = fixture();
    let dir = temp_dir("mismatch");
    let mut arch = tiny_dcgan();
    arch.size = 32;
    let err = run(&arch, &options(1), &dir, false, None, &f).err().unwrap().to_string();
    assert!(err.contains("16×16") && err.contains("32×32"), "{err}");
    let mut opts = options(1);
    opts.batch = 64;
    let err = run(&tiny_dcgan(), &opts, &dir, false, None, &f).err().unwrap().to_string();
    assert!(err.contains("fewer than one batch"), "{err}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "nothing was written");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_saved_generator_samples_what_the_trained_one_does() {
    let f = fixture();
    let dir = temp_dir("sample");
    run(&tiny_dcgan(), &options(1), &dir, false, None, &f).unwrap();
    let be = Cpu::<f32>::default();
    let (t, transform) = load_generator(&be, &RunDir { path: dir.clone() }).unwrap();
    assert_eq!(transform, f.transform);
    let z = t.latent_tensor(&latents(3, 4, 4)).unwrap();
    let x = t.sample(&z).unwrap().to_vec_f32(&be).unwrap();
    assert_eq!(x.len(), 4 * 256);
    assert!(x.iter().all(|v| (-1.0..=1.0).contains(v)));
    std::fs::remove_dir_all(dir).unwrap();
}
