//! The GAN's networks: the report's sizes exactly, outputs of the right shape and range, sizes
//! that do not fit refused with a message, dropout only in training, and a step with a
//! non-finite loss refused before any parameter changes.

use cosmograd::models::{Gan, GanArch, GanArchitecture};
use cosmograd::nn::{Optimizer, ParamStore};
use cosmograd::prelude::*;
use cosmograd::train::gan_step::{latents, AdamSettings, GanTrainer, Step};

type B = Cpu<f32>;

fn stores() -> (ParamStore<B>, ParamStore<B>) {
    (ParamStore::new(B::default()), ParamStore::new(B::default()))
}

const ADAM: AdamSettings = AdamSettings {
    lr_generator: 2e-4,
    lr_discriminator: 2e-4,
    beta1: 0.5,
    beta2: 0.999,
};

#[test]
fn the_report_networks_have_the_reports_layers_and_pytorchs_parameter_counts() {
    let (mut g, mut d) = stores();
    Gan::new(&mut g, &mut d, &GanArchitecture::report(64, 1)).unwrap();
    // Counted by PyTorch for the report's nn.Sequential (benches/peers/gan_step_torch.py).
    assert_eq!(d.num_params(), 11_145_217);
    assert_eq!(g.num_params(), 4_881_152);
    let shape = |s: &ParamStore<B>, n: &str| s.get(n).unwrap().shape().to_vec();
    for (i, (o, n)) in [(2048, 4096), (1024, 2048), (512, 1024), (256, 512), (1, 256)]
        .into_iter()
        .enumerate()
    {
        assert_eq!(shape(&d, &format!("fc{}.weight", i + 1)), vec![o, n]);
    }
    for (i, (o, n)) in [(256, 100), (512, 256), (1024, 512), (4096, 1024)].into_iter().enumerate() {
        assert_eq!(shape(&g, &format!("fc{}.weight", i + 1)), vec![o, n]);
    }
    // The DCGAN of the peer script has the same counts as PyTorch's.
    let (mut g, mut d) = stores();
    Gan::new(&mut g, &mut d, &GanArchitecture::dcgan(64, 100, 16, true, 1)).unwrap();
    assert_eq!((g.num_params(), d.num_params()), (304_529, 174_801));
}

#[test]
fn generated_maps_have_the_data_shape_and_lie_in_minus_one_to_one() {
    for arch in [GanArchitecture::report(16, 3), GanArchitecture::dcgan(16, 8, 4, true, 3)] {
        let (mut g, mut d) = stores();
        let gan = Gan::new(&mut g, &mut d, &arch).unwrap();
        let be = B::default();
        let tape = Tape::new(be).training(true);
        let z = tape.input(Tensor::from_f32(&be, &latents(1, 5, arch.latent), &[5, arch.latent]).unwrap());
        let x = gan.generator.forward(&g, z).unwrap();
        assert_eq!(x.shape(), vec![5, 1, 16, 16], "{:?}", arch.arch);
        let v = x.to_vec().unwrap();
        assert!(v.iter().all(|p| (-1.0..=1.0).contains(p)), "{:?}", arch.arch);
        // Not one map five times: the latents matter at initialisation.
        assert!(v[..256] != v[256..512]);
        let logits = gan.discriminator.forward(&d, x).unwrap();
        assert_eq!(logits.shape(), vec![5, 1]);
    }
}

#[test]
fn inputs_of_the_wrong_size_are_refused_with_both_shapes() {
    let (mut g, mut d) = stores();
    let arch = GanArchitecture::dcgan(16, 8, 2, true, 1);
    let gan = Gan::new(&mut g, &mut d, &arch).unwrap();
    let be = B::default();
    let tape = Tape::new(be);
    let maps = tape.input(Tensor::zeros(&be, &[2, 1, 32, 32]).unwrap());
    let err = gan.discriminator.forward(&d, maps).unwrap_err().to_string();
    assert!(
        err.contains("gan discriminator") && err.contains("[2, 1, 32, 32]") && err.contains("[2, 1, 16, 16]"),
        "{err}"
    );
    let z = tape.input(Tensor::zeros(&be, &[2, 100]).unwrap());
    let err = gan.generator.forward(&g, z).unwrap_err().to_string();
    assert!(err.contains("gan generator") && err.contains("[2, 8]"), "{err}");
}

#[test]
fn architectures_that_cannot_fit_the_map_size_are_refused() {
    let mut a = GanArchitecture::dcgan(64, 100, 8, true, 1);
    a.size = 40; // 40 cannot be halved four times
    let err = a.validate().unwrap_err().to_string();
    assert!(err.contains("40") && err.contains("multiple of 16"), "{err}");
    let mut a = GanArchitecture::report(64, 1);
    a.dropout = 1.0;
    assert!(a.validate().unwrap_err().to_string().contains("dropout"));
    let mut a = GanArchitecture::report(64, 1);
    a.latent = 0;
    assert!(a.validate().is_err());
    // Small maps get fewer DCGAN stages rather than an error.
    let small = GanArchitecture::dcgan(8, 4, 2, true, 1);
    assert_eq!(small.discriminator_widths.len(), 2);
    small.validate().unwrap();
}

#[test]
fn the_report_discriminator_drops_out_only_in_training() {
    let (mut g, mut d) = stores();
    let gan = Gan::new(&mut g, &mut d, &GanArchitecture::report(8, 1)).unwrap();
    let be = B::default();
    let x = Tensor::from_f32(&be, &(0..128).map(|i| (i as f32 / 64.0) - 1.0).collect::<Vec<_>>(), &[2, 1, 8, 8]).unwrap();
    let out = |training: bool, seed: u64| {
        let tape = Tape::new(be).training(training).seed(seed);
        gan.discriminator.forward(&d, tape.input(x.clone())).unwrap().to_vec().unwrap()
    };
    assert_ne!(out(true, 1), out(true, 2), "different dropout masks");
    assert_eq!(out(true, 1), out(true, 1), "a seeded tape repeats its masks");
    assert_eq!(out(false, 1), out(false, 2), "no dropout in evaluation");
}

#[test]
fn a_step_with_a_non_finite_loss_changes_nothing_and_the_guard_names_the_parameter() {
    let be = B::default();
    let arch = GanArchitecture::dcgan(8, 4, 2, true, 1);
    let mut t = GanTrainer::new(be, &arch, &ADAM, 1.0).unwrap();
    // D's last layer reads 4 channels of 2×2.
    let bad = Tensor::from_f32(&be, &[f32::NAN; 16], &[1, 16]).unwrap();
    let w = t.d.get("fc.weight").unwrap().clone();
    t.d.set("fc.weight", bad).unwrap();
    let before: Vec<f32> = t.d.get("down1.weight").unwrap().to_vec_f32(&be).unwrap();
    let real = Tensor::zeros(&be, &[2, 1, 8, 8]).unwrap();
    let z = t.latent_tensor(&latents(1, 2, 4)).unwrap();
    let fake = t.generate_for_training(&z).unwrap();
    match t.discriminator_step(&real, &fake, 0).unwrap() {
        Step::NonFinite { network, why } => assert!(network == "discriminator" && why.contains("NaN"), "{why}"),
        Step::Done(_) => panic!("a NaN weight gave a finite loss"),
    }
    assert_eq!(
        t.d.get("down1.weight").unwrap().to_vec_f32(&be).unwrap(),
        before,
        "no parameter changed"
    );
    assert_eq!(t.opt_d.state().step, 0);
    let culprit = t.diagnose("discriminator", &real, &fake, &z, 0);
    // The guard checks parameters where they enter the tape: it names the poisoned weight.
    assert!(
        culprit.contains("parameter `fc.weight`") && culprit.contains("no op produced it"),
        "{culprit}"
    );
    t.d.set("fc.weight", w).unwrap();
    assert!(matches!(t.discriminator_step(&real, &fake, 0).unwrap(), Step::Done(_)));
}

#[test]
fn labels_and_settings_out_of_range_are_refused() {
    let be = B::default();
    let arch = GanArchitecture::dcgan(8, 4, 2, true, 1);
    let err = GanTrainer::new(be, &arch, &ADAM, 0.3).err().unwrap().to_string();
    assert!(err.contains("real label"), "{err}");
    let mut bad = ADAM;
    bad.lr_generator = -1.0;
    assert!(GanTrainer::new(be, &arch, &bad, 1.0)
        .err()
        .unwrap()
        .to_string()
        .contains("learning rates"));
    let mut bad = ADAM;
    bad.beta1 = 1.0;
    assert!(GanTrainer::new(be, &arch, &bad, 1.0).err().unwrap().to_string().contains("β"));
    assert_eq!(GanArch::Report.name(), "report");
}

#[test]
fn a_dcgan_discriminator_without_batch_norm_has_biases_instead_and_old_records_keep_it() {
    let arch = GanArchitecture {
        discriminator_norm: false,
        ..GanArchitecture::dcgan(64, 100, 16, true, 1)
    };
    let (mut g, mut d) = stores();
    Gan::new(&mut g, &mut d, &arch).unwrap();
    // 174,801 with batch norm (above) − 2·(32 + 64 + 128) for γ, β + (32 + 64 + 128) biases.
    assert_eq!(d.num_params(), 174_577);
    assert!(d.get("bn2.weight").is_err() && d.get("down2.bias").is_ok());
    assert_eq!(g.num_params(), 304_529);
    // A record written before the option existed means the DCGAN with batch norm.
    let mut old: serde_json::Value = serde_json::from_str(&GanArchitecture::dcgan(16, 8, 4, true, 3).to_json()).unwrap();
    old.as_object_mut().unwrap().remove("discriminator_norm");
    assert!(GanArchitecture::from_json(&old.to_string()).unwrap().discriminator_norm);
}
