//! Integration tests of `models/`: the thesis's MDN-CNN at tiny input sizes.

use cosmograd::autodiff::gradcheck::{gradcheck, CheckInput, GradcheckOptions};
use cosmograd::backend::random::uniform;
use cosmograd::models::{MdnCnn, MdnCnnConfig};
use cosmograd::nn::ParamStore;
use cosmograd::prelude::*;
use ndarray::{ArrayD, IxDyn};

/// Deterministic values in [−1, 1).
fn data(shape: &[usize], seed: u64) -> ArrayD<f64> {
    let n = shape.iter().product::<usize>();
    let v = (0..n).map(|i| uniform(seed, i as u32) as f64 * 2.0 - 1.0).collect();
    ArrayD::from_shape_vec(IxDyn(shape), v).unwrap()
}

fn tiny(input_size: usize, components: usize) -> MdnCnnConfig {
    MdnCnnConfig {
        input_size,
        components,
        ..Default::default()
    }
}

#[test]
fn forward_gives_the_mixture_shapes() {
    let be = Cpu::<f32>::default();
    for isotropic in [true, false] {
        let mut store = ParamStore::new(be);
        let cfg = MdnCnnConfig { isotropic, ..tiny(16, 4) };
        let model = MdnCnn::new(&mut store, cfg).unwrap();
        let tape = Tape::new(be).training(true);
        let x = tape.input(Tensor::from_array(&be, &data(&[2, 1, 16, 16], 1)).unwrap());
        let m = model.forward(&store, x).unwrap();
        assert_eq!(m.logits.shape(), vec![2, 4]);
        assert_eq!(m.means.shape(), vec![2, 4, 6]);
        let sigma = if isotropic { vec![2, 4] } else { vec![2, 4, 6] };
        assert_eq!(m.raw_sigma.shape(), sigma);
    }
}

#[test]
fn the_thesis_size_flattens_to_65536() {
    assert_eq!(MdnCnnConfig::default().flat_features(), 65536);
}

#[test]
fn bad_sizes_are_errors_naming_the_model() {
    let be = Cpu::<f32>::default();
    for cfg in [tiny(12, 3), tiny(0, 3), tiny(16, 0)] {
        let err = MdnCnn::new(&mut ParamStore::new(be), cfg).unwrap_err().to_string();
        assert!(err.contains("mdn_cnn"), "{cfg:?}: {err}");
    }
    let mut store = ParamStore::new(be);
    let model = MdnCnn::new(&mut store, tiny(16, 3)).unwrap();
    let tape = Tape::new(be);
    let x = tape.input(Tensor::zeros(&be, &[2, 1, 8, 8]).unwrap());
    let err = model.forward(&store, x).err().expect("an 8×8 map into a 16×16 model").to_string();
    assert!(err.contains("mdn_cnn") && err.contains("[2, 1, 8, 8]"), "{err}");
}

#[test]
fn a_training_step_has_a_finite_loss_and_a_gradient_for_every_parameter() {
    let be = Cpu::<f32>::default();
    let mut store = ParamStore::new(be);
    let model = MdnCnn::new(&mut store, tiny(16, 3)).unwrap();
    // Training mode: the batch norm uses the batch statistics and queues its running update.
    let tape = Tape::new(be).training(true);
    let x = tape.input(Tensor::from_array(&be, &data(&[2, 1, 16, 16], 2)).unwrap());
    let y = tape.input(Tensor::from_array(&be, &data(&[2, 6], 3)).unwrap());
    let loss = model.loss(&store, x, y).unwrap();
    assert!(loss.item().unwrap().is_finite());
    let grads = tape.backward(loss).unwrap();
    let names: Vec<String> = store.params().map(|(n, _)| n.clone()).collect();
    assert_eq!(names.len(), 20, "10 layers with weight and bias: {names:?}");
    for name in &names {
        let g = store.grad(&grads, name).unwrap_or_else(|| panic!("no gradient for `{name}`"));
        assert!(g.to_vec_f64(&be).unwrap().iter().all(|v| v.is_finite()), "`{name}`");
    }
    let before = store.get("bn1.running_mean").unwrap().to_vec_f64(&be).unwrap();
    store.apply_updates(&tape).unwrap();
    assert_ne!(
        store.get("bn1.running_mean").unwrap().to_vec_f64(&be).unwrap(),
        before,
        "the batch norm's running mean moves"
    );
    assert!(tape.take_updates(store.id()).is_empty(), "applied updates leave the tape");
}

#[test]
fn the_loss_gradient_wrt_the_maps_matches_finite_differences() {
    let be = Cpu::<f64>::default();
    let mut store = ParamStore::new(be);
    let model = MdnCnn::new(&mut store, tiny(8, 2)).unwrap();
    let x = data(&[2, 1, 8, 8], 4);
    let y = data(&[2, 6], 5);
    // Training mode in every evaluation (the default): the batch statistics then depend on x
    // in the analytic and the finite-difference passes alike.
    let opts = GradcheckOptions::default();
    assert!(opts.training);
    let inputs = [CheckInput::wrt("x", x.clone()), CheckInput::data("y", y)];
    let report = gradcheck(|_, v| model.loss(&store, v[0], v[1]), &inputs, opts).unwrap();
    assert!(report.passed(), "{}", report.table());
    // The check means something only if the gradient stands well above the tolerance.
    let tape = Tape::new(be).training(true);
    let xv = tape.leaf(Tensor::from_array(&be, &x).unwrap());
    let yv = tape.input(Tensor::from_array(&be, &data(&[2, 6], 5)).unwrap());
    let grads = tape.backward(model.loss(&store, xv, yv).unwrap()).unwrap();
    let g = grads.wrt(xv).unwrap().to_vec_f64(&be).unwrap();
    assert!(g.iter().any(|v| v.abs() > 1e-3), "{g:?}");
}
