//! The U-Net: shapes at the report's sizes, gradients for every parameter, an f64 gradient
//! check of a tiny configuration (input and every parameter), periodic equivariance.

use cosmograd::autodiff::gradcheck::{gradcheck, CheckInput, GradcheckOptions};
use cosmograd::backend::random::uniform;
use cosmograd::models::{UNet, UNetConfig};
use cosmograd::nn::ParamStore;
use cosmograd::prelude::*;
use ndarray::{ArrayD, IxDyn};

fn data(n: usize, seed: u64) -> Vec<f64> {
    (0..n).map(|i| uniform(seed, i as u32) as f64 * 2.0 - 1.0).collect()
}

fn tiny() -> UNetConfig {
    UNetConfig {
        size: 8,
        base_channels: 2,
        depth: 3,
        time_dim: 4,
        max_groups: 2,
        seed: 3,
        ..Default::default()
    }
}

#[test]
fn the_report_sizes_map_64x64_fields_to_64x64_through_a_160_channel_bottleneck() {
    let be = Cpu::<f32>::default();
    let mut store = ParamStore::new(be);
    let net = UNet::new(&mut store, UNetConfig::default()).unwrap();
    let tape = Tape::new(be).no_grad();
    let x = tape.input(Tensor::from_f64(&be, &data(2 * 64 * 64, 1), &[2, 1, 64, 64]).unwrap());
    let y = net.forward(&store, x, &[1.0, 700.0]).unwrap();
    assert_eq!(y.shape(), vec![2, 1, 64, 64]);
    let nodes = tape.nodes();
    let shape_of = |label: &str| {
        nodes
            .iter()
            .find(|n| n.label.as_deref() == Some(label))
            .map(|n| n.value.shape().to_vec())
            .unwrap_or_else(|| panic!("no node labelled {label}"))
    };
    assert_eq!(shape_of("down0"), vec![2, 10, 64, 64]);
    assert_eq!(shape_of("down4"), vec![2, 160, 4, 4]);
    assert_eq!(shape_of("bottleneck"), vec![2, 160, 4, 4]);
    assert_eq!(shape_of("time embedding"), vec![2, 40]);
    assert!(y.to_vec().unwrap().iter().all(|v| v.is_finite()));
}

#[test]
fn gradients_reach_every_parameter() {
    let be = Cpu::<f64>::default();
    let mut store = ParamStore::new(be);
    let net = UNet::new(&mut store, tiny()).unwrap();
    let tape = Tape::new(be).training(true);
    let x = tape.input(Tensor::from_f64(&be, &data(3 * 64, 2), &[3, 1, 8, 8]).unwrap());
    let loss = net
        .forward(&store, x, &[1.0, 50.0, 999.0])
        .unwrap()
        .square()
        .unwrap()
        .mean()
        .unwrap();
    let grads = tape.backward(loss).unwrap();
    let mut count = 0;
    for (name, _) in store.params() {
        let g = store.grad(&grads, name).unwrap_or_else(|| panic!("no gradient for `{name}`"));
        let g = g.to_vec_f64(&be).unwrap();
        assert!(g.iter().all(|v| v.is_finite()), "`{name}`");
        assert!(g.iter().any(|v| *v != 0.0), "`{name}` has an all-zero gradient");
        count += 1;
    }
    // time MLP (2 linear × 2) + conv_in (2) + 3 down blocks + middle + 3 up blocks (each: 2 norms
    // × 2, 2 convs × 2, time linear × 2, a skip conv × 2 when the channels change) + 2
    // downsamplers (2 each) + 2 upsamplers (2 each) + norm_out (2) + conv_out (2).
    let blocks_with_skip = 2 + 3; // down1, down2; every up block (2c → c)
    let blocks = 3 + 1 + 3;
    assert_eq!(count, 4 + 2 + blocks * 10 + blocks_with_skip * 2 + 4 + 4 + 2 + 2);
}

#[test]
fn the_tiny_unet_passes_an_f64_gradient_check_in_its_input_and_every_parameter() {
    let be = Cpu::<f64>::default();
    let mut store = ParamStore::new(be);
    let cfg = UNetConfig { depth: 2, ..tiny() };
    let net = UNet::new(&mut store, cfg).unwrap();
    let t = [3.0, 400.0];
    let x = data(2 * 64, 4);
    // The input, through the checker (every element).
    let xa = ArrayD::from_shape_vec(IxDyn(&[2, 1, 8, 8]), x.clone()).unwrap();
    let report = gradcheck(
        |_, v| net.forward(&store, v[0], &t),
        &[CheckInput::wrt("x", xa)],
        GradcheckOptions::default(),
    )
    .unwrap();
    assert!(report.passed(), "{}", report.table());
    // Every parameter: E = Σ r ⊙ ε_θ with fixed weights r, central differences on a few
    // elements of each parameter (the first, the last and one in between).
    let r = data(2 * 64, 5);
    let energy = |store: &ParamStore<Cpu<f64>>| -> (f64, Option<Grads<Cpu<f64>>>) {
        let tape = Tape::new(be);
        let xv = tape.input(Tensor::from_f64(&be, &x, &[2, 1, 8, 8]).unwrap());
        let rv = tape.input(Tensor::from_f64(&be, &r, &[2, 1, 8, 8]).unwrap());
        let e = net.forward(store, xv, &t).unwrap().mul(rv).unwrap().sum().unwrap();
        (e.item().unwrap(), Some(tape.backward(e).unwrap()))
    };
    let (_, grads) = energy(&store);
    let grads = grads.unwrap();
    let names: Vec<String> = store.params().map(|(n, _)| n.clone()).collect();
    let eps = 1e-6;
    let mut worst: (f64, String) = (0.0, String::new());
    for name in &names {
        let analytic = store.grad(&grads, name).unwrap().to_vec_f64(&be).unwrap();
        let value = store.get(name).unwrap().clone();
        let (shape, v0) = (value.shape().to_vec(), value.to_vec_f64(&be).unwrap());
        for i in [0, v0.len() / 2, v0.len() - 1] {
            let at = |d: f64| {
                let mut v = v0.clone();
                v[i] += d;
                let mut s = ParamStore::new(be);
                for (n, p) in store.params() {
                    let t = if n == name {
                        Tensor::from_f64(&be, &v, &shape).unwrap()
                    } else {
                        p.clone()
                    };
                    s.add(n, t).unwrap();
                }
                energy(&s).0
            };
            let numeric = (at(eps) - at(-eps)) / (2.0 * eps);
            let err = (numeric - analytic[i]).abs() / (1e-5 + 1e-3 * numeric.abs());
            assert!(err <= 1.0, "{name}[{i}]: numeric {numeric} vs analytic {}", analytic[i]);
            if err > worst.0 {
                worst = (err, format!("{name}[{i}]"));
            }
        }
    }
    eprintln!("worst parameter element: {} at {:.3} of the tolerance", worst.1, worst.0);
}

#[test]
fn circular_padding_makes_the_network_commute_with_periodic_shifts() {
    // Shifts by a multiple of 2^(depth − 1) pixels survive every stride-2 step, so with
    // periodic padding ε_θ(roll(x)) = roll(ε_θ(x)) exactly; with zero padding it does not.
    let be = Cpu::<f64>::default();
    let roll = |v: &[f64], s: usize, dy: usize, dx: usize| {
        let mut out = vec![0.0; v.len()];
        for (p, chunk) in v.chunks(s * s).enumerate() {
            for y in 0..s {
                for x in 0..s {
                    out[p * s * s + ((y + dy) % s) * s + (x + dx) % s] = chunk[y * s + x];
                }
            }
        }
        out
    };
    for circular in [true, false] {
        let mut store = ParamStore::new(be);
        let net = UNet::new(&mut store, UNetConfig { circular, ..tiny() }).unwrap();
        let x = data(2 * 64, 6);
        let run = |x: &[f64]| {
            let tape = Tape::new(be).no_grad();
            let xv = tape.input(Tensor::from_f64(&be, x, &[2, 1, 8, 8]).unwrap());
            net.forward(&store, xv, &[10.0, 20.0]).unwrap().to_vec().unwrap()
        };
        let a = roll(&run(&x), 8, 4, 4);
        let b = run(&roll(&x, 8, 4, 4));
        let diff = a.iter().zip(&b).map(|(p, q)| (p - q).abs()).fold(0.0, f64::max);
        if circular {
            assert!(diff < 1e-12, "periodic: {diff}");
        } else {
            assert!(diff > 1e-3, "zero padding sees the edges: {diff}");
        }
    }
}

#[test]
fn bad_configurations_and_inputs_are_errors_naming_the_unet() {
    let be = Cpu::<f32>::default();
    let bad = [
        UNetConfig { size: 10, ..tiny() },
        UNetConfig { depth: 0, ..tiny() },
        UNetConfig { depth: 4, ..tiny() },
        UNetConfig { time_dim: 3, ..tiny() },
        UNetConfig {
            base_channels: 0,
            ..tiny()
        },
    ];
    for cfg in bad {
        let err = UNet::new(&mut ParamStore::new(be), cfg.clone()).unwrap_err().to_string();
        assert!(err.contains("unet"), "{cfg:?}: {err}");
    }
    let mut store = ParamStore::new(be);
    let net = UNet::new(&mut store, tiny()).unwrap();
    let tape = Tape::new(be).no_grad();
    let x = tape.input(Tensor::zeros(&be, &[2, 1, 16, 16]).unwrap());
    let err = net.forward(&store, x, &[1.0, 2.0]).err().unwrap().to_string();
    assert!(err.contains("unet") && err.contains("[2, 1, 16, 16]"), "{err}");
    let x = tape.input(Tensor::zeros(&be, &[2, 1, 8, 8]).unwrap());
    let err = net.forward(&store, x, &[1.0]).err().unwrap().to_string();
    assert!(err.contains("one time step per field"), "{err}");
}

#[test]
fn the_time_embedding_is_sin_and_cos_of_geometric_frequencies() {
    use cosmograd::models::unet::timestep_embedding;
    let e = timestep_embedding(&[0.0, 2.0], 6);
    // t = 0: sin 0 = 0, cos 0 = 1.
    assert_eq!(&e[..6], &[0.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
    // ω = 1, 10000^(−1/2) = 0.01, 10000^(−1) = 1e-4.
    let w: [f64; 3] = [1.0, 0.01, 1e-4];
    for j in 0..3 {
        assert!((e[6 + j] - (2.0 * w[j]).sin()).abs() < 1e-12);
        assert!((e[9 + j] - (2.0 * w[j]).cos()).abs() < 1e-12);
    }
}
