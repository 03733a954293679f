//! Whole GAN steps against PyTorch in float64 (tests/golden/make_golden_gan.py): the same
//! weights loaded into both, then D's and G's losses, every parameter's gradient, the batch-norm
//! running statistics (compounded over D's two passes) and the parameters after one Adam step
//! of each network, as `cosmograd train gan` takes it.

use super::{assert_close, load, tensor};
use cosmograd::models::{GanArch, GanArchitecture};
use cosmograd::nn::ParamStore;
use cosmograd::prelude::*;
use cosmograd::train::gan_step::{AdamSettings, GanTrainer, Step};
use serde_json::Value;

type B = Cpu<f64>;

fn arch_of(case: &Value) -> GanArchitecture {
    let widths = |k: &str| case[k].as_array().unwrap().iter().map(|w| w.as_u64().unwrap() as usize).collect();
    let report = case["arch"] == "report";
    GanArchitecture {
        arch: if report { GanArch::Report } else { GanArch::Dcgan },
        size: case["size"].as_u64().unwrap() as usize,
        latent: case["latent"].as_u64().unwrap() as usize,
        generator_widths: widths("generator_widths"),
        discriminator_widths: widths("discriminator_widths"),
        dropout: 0.0,
        periodic: case["periodic"].as_bool().unwrap(),
        leaky_slope: if report { 0.0 } else { 0.2 },
        discriminator_norm: !report,
        seed: 0,
    }
}

fn t(enc: &Value) -> Tensor<B> {
    let (shape, data) = tensor(enc);
    Tensor::from_f64(&B::default(), &data, &shape).unwrap()
}

/// Sets every parameter and buffer from the golden file; the store must hold exactly those.
fn load_store(store: &mut ParamStore<B>, section: &Value) {
    let (params, buffers) = (section["params"].as_object().unwrap(), section["buffers"].as_object().unwrap());
    let names: Vec<&String> = store.params().map(|(n, _)| n).collect();
    assert_eq!(names, params.keys().collect::<Vec<_>>(), "parameter names");
    let bufs: Vec<&String> = store.buffers().map(|(n, _)| n).collect();
    assert_eq!(bufs, buffers.keys().collect::<Vec<_>>(), "buffer names");
    for (name, enc) in params.iter().chain(buffers) {
        store.set(name, t(enc)).unwrap();
    }
}

fn trainer(case: &Value) -> GanTrainer<B> {
    let betas = case["betas"].as_array().unwrap();
    let lr = case["lr"].as_f64().unwrap();
    let adam = AdamSettings {
        lr_generator: lr,
        lr_discriminator: lr,
        beta1: betas[0].as_f64().unwrap(),
        beta2: betas[1].as_f64().unwrap(),
    };
    let mut tr = GanTrainer::new(B::default(), &arch_of(case), &adam, case["real_label"].as_f64().unwrap()).unwrap();
    load_store(&mut tr.g, &case["generator"]);
    load_store(&mut tr.d, &case["discriminator"]);
    tr
}

fn values(store: &ParamStore<B>, name: &str) -> Vec<f64> {
    store.get(name).unwrap().to_vec_f64(store.backend()).unwrap()
}

fn assert_store(what: &str, store: &ParamStore<B>, want: &Value) {
    for (name, enc) in want.as_object().unwrap() {
        assert_close(&format!("{what} {name}"), &values(store, name), &tensor(enc).1);
    }
}

#[test]
fn discriminator_loss_gradients_and_running_statistics_match_pytorch() {
    for case in load("gan.json") {
        let name = case["name"].as_str().unwrap();
        let mut tr = trainer(&case);
        let fake = tr.generate_for_training(&t(&case["z_d"])).unwrap();
        assert_store(
            &format!("{name}: G buffers after generating"),
            &tr.g,
            &case["g_buffers_after_generating"],
        );
        let tape = Tape::new(B::default()).training(true);
        let step = tr
            .gan
            .discriminator_loss(
                &tr.d,
                tape.input(t(&case["real"])),
                tape.input(fake),
                case["real_label"].as_f64().unwrap(),
            )
            .unwrap();
        assert_close(
            &format!("{name}: D loss"),
            &[step.loss.item().unwrap()],
            &[case["d_loss"].as_f64().unwrap()],
        );
        let grads = tape.backward(step.loss).unwrap();
        for (p, enc) in case["d_grads"].as_object().unwrap() {
            let g = tr.d.grad(&grads, p).unwrap_or_else(|| panic!("{name}: no gradient for {p}"));
            assert_close(&format!("{name}: ∂E_D/∂{p}"), &g.to_vec_f64(&B::default()).unwrap(), &tensor(enc).1);
        }
        tr.d.apply_updates(&tape).unwrap();
        assert_store(&format!("{name}: D buffers after D's passes"), &tr.d, &case["d_buffers_after"]);
    }
}

#[test]
fn generator_loss_and_gradients_through_the_discriminator_match_pytorch() {
    for case in load("gan.json") {
        let name = case["name"].as_str().unwrap();
        let tr = trainer(&case);
        let tape = Tape::new(B::default()).training(true);
        let step = tr.gan.generator_loss(&tr.g, &tr.d, tape.input(t(&case["z_g"]))).unwrap();
        assert_close(
            &format!("{name}: G loss"),
            &[step.loss.item().unwrap()],
            &[case["g_loss"].as_f64().unwrap()],
        );
        let grads = tape.backward(step.loss).unwrap();
        for (p, enc) in case["g_grads"].as_object().unwrap() {
            let g = tr.g.grad(&grads, p).unwrap_or_else(|| panic!("{name}: no gradient for {p}"));
            assert_close(&format!("{name}: ∂E_G/∂{p}"), &g.to_vec_f64(&B::default()).unwrap(), &tensor(enc).1);
        }
    }
}

#[test]
fn one_trainer_step_of_each_network_matches_pytorchs_adam_steps() {
    for case in load("gan.json") {
        let name = case["name"].as_str().unwrap();
        let mut tr = trainer(&case);
        let fake = tr.generate_for_training(&t(&case["z_d"])).unwrap();
        let Step::Done(_) = tr.discriminator_step(&t(&case["real"]), &fake, 0).unwrap() else {
            panic!("{name}: D step not finite")
        };
        let Step::Done(g) = tr.generator_step(&t(&case["z_g"]), 0).unwrap() else {
            panic!("{name}: G step not finite")
        };
        assert_close(
            &format!("{name}: G loss of the step"),
            &[g.loss],
            &[case["step_g_loss"].as_f64().unwrap()],
        );
        let after = &case["after_steps"];
        assert_store(&format!("{name}: G after its step"), &tr.g, &after["generator"]);
        assert_store(&format!("{name}: D after its step"), &tr.d, &after["discriminator"]);
        assert_store(&format!("{name}: G buffers"), &tr.g, &after["generator_buffers"]);
        assert_store(&format!("{name}: D buffers"), &tr.d, &after["discriminator_buffers"]);
    }
}
